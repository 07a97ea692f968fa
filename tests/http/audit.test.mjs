// The security audit log: what each action writes (after the answer), what it never writes
// (secrets), GET /api/v1/audits in Langflow 1.13's feed shape with its strict query string, the
// retention, and the setting's validation.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, signInAdmin, makeUser, login, execSql, ADMIN, UUID_RE } from "./harness.mjs";

const UA = "AuditTest/1.0 (a browser of the audit suite)";
const from = (ip) => ({ headers: { "cf-connecting-ip": ip, "user-agent": UA } });

/** The feed, newest first; polls a little, as events are written after the answer. */
async function audits(base, token, query = "", until = () => true) {
  for (let i = 0; ; i++) {
    const res = await call(base, `/api/v1/audits${query}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (until(res.body) || i >= 40) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const has = (action, extra = {}) => (body) =>
  body.items.some((e) => e.action === action && Object.entries(extra).every(([k, v]) => e[k] === v));

describe("audit log", () => {
  let worker, admin;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_RATE_LIMIT_ENABLED: "True", LANGFLOW_ACCOUNT_LOCKOUT_THRESHOLD: "3" } });
    admin = await signInAdmin(worker.url);
  });
  after(async () => worker?.destroy());

  it("records sign-in success and failure with the reason class, address and browser, never the password", async () => {
    const user = await makeUser(worker.url, admin.token, "alice");
    const secret = "alice-WRONG-password-9";
    assert.equal((await login(worker.url, "alice", secret, from("203.0.113.7"))).status, 401);
    assert.equal((await login(worker.url, "nobody-here", "whatever-pass", from("203.0.113.8"))).status, 401);
    assert.equal((await login(worker.url, "alice", user.password, from("203.0.113.9"))).status, 200);
    const body = await audits(worker.url, admin.token, `?user_id=${user.id}`, has("auth:login", { result: "failed" }));
    const failed = body.items.find((e) => e.action === "auth:login" && e.result === "failed");
    assert.equal(failed.error_code, "WRONG_CREDENTIALS");
    assert.equal(failed.user_id, user.id);
    assert.equal(failed.resource_name, "alice");
    assert.equal(failed.client_ip, "203.0.113.7");
    assert.equal(failed.user_agent, UA);
    assert.equal(failed.actor_type, "anonymous");
    const ok = body.items.find((e) => e.action === "auth:login" && e.result === "succeeded" && e.client_ip === "203.0.113.9");
    assert.ok(ok, "the successful sign-in is there");
    assert.equal(ok.actor_id, user.id);
    assert.equal(ok.details.method, "password");
    // Langflow's feed item shape.
    for (const key of ["id", "timestamp", "source", "kind", "action", "resource_type", "resource_id", "resource_name", "result", "user_id", "actor_type", "actor_id", "actor", "operation", "error_code", "request_id", "details"]) {
      assert.ok(key in ok, `item has ${key}`);
    }
    assert.match(ok.id, UUID_RE);
    assert.match(ok.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(ok.source, "authz");
    // An unknown username is not stored (it may be a password typed into the wrong field).
    const rows = execSql(worker, "SELECT * FROM audit_log");
    const everything = JSON.stringify(rows);
    assert.ok(!everything.includes(secret), "no password in any row");
    assert.ok(!everything.includes(user.password), "no password in any row");
    assert.ok(!everything.includes("nobody-here"), "no unknown username stored");
    assert.ok(rows.some((r) => r.client_ip === "203.0.113.8" && r.user_id === null), "the unknown-user failure is logged without a name");
  });

  it("records a lockout once, when the limit is crossed, not for each refused attempt", async () => {
    const user = await makeUser(worker.url, admin.token, "locky");
    for (let i = 0; i < 6; i++) await login(worker.url, "locky", `wrong-password-${i}`, from(`198.51.100.${i + 1}`));
    const body = await audits(worker.url, admin.token, `?user_id=${user.id}&action=auth:lockout`, (b) => b.items.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    const again = await audits(worker.url, admin.token, `?user_id=${user.id}&action=auth:lockout`);
    assert.equal(again.items.length, 1, "one lockout event");
    assert.equal(body.items[0].error_code, "ACCOUNT_LOCKED");
    const failures = await audits(worker.url, admin.token, `?user_id=${user.id}&action=auth:login&result=failed`);
    assert.equal(failures.items.length, 3, "the three failures before the lock");
  });

  it("records user administration, password changes, API keys, logout, refresh-token reuse and key rotation", async () => {
    const bob = await makeUser(worker.url, admin.token, "bob");
    // create + activate by the admin (makeUser).
    let body = await audits(worker.url, admin.token, `?user_id=${bob.id}`, (b) => has("user:create")(b) && has("user:activate")(b));
    assert.equal(body.items.find((e) => e.action === "user:create").actor_id, admin.id);
    assert.equal(body.items.find((e) => e.action === "user:create").actor_name, ADMIN.username);

    await call(worker.url, `/api/v1/users/${bob.id}`, { method: "PATCH", json: { is_superuser: true }, token: admin.token });
    await call(worker.url, `/api/v1/users/${bob.id}`, { method: "PATCH", json: { password: "bob-new-password-2" }, token: admin.token });
    const bob2 = await login(worker.url, "bob", "bob-new-password-2");
    await call(worker.url, `/api/v1/users/${bob.id}/reset-password`, { method: "PATCH", json: { current_password: "not-it-at-all", password: "bob-third-pass-3" }, token: bob2.access });
    await call(worker.url, `/api/v1/users/${bob.id}/reset-password`, { method: "PATCH", json: { current_password: "bob-new-password-2", password: "bob-third-pass-3" }, token: bob2.access });
    const key = await call(worker.url, "/api/v1/api_key/", { method: "POST", json: { name: "ci key" }, token: bob2.access });
    assert.equal(key.status, 200);
    await call(worker.url, `/api/v1/api_key/${key.body.id}`, { method: "DELETE", token: bob2.access });
    // A refresh token used twice ends its session.
    const first = await call(worker.url, "/api/v1/refresh", { method: "POST", headers: { cookie: `refresh_token_lf=${bob2.refresh}` } });
    assert.equal(first.status, 200);
    const reused = await call(worker.url, "/api/v1/refresh", { method: "POST", headers: { cookie: `refresh_token_lf=${bob2.refresh}` } });
    assert.equal(reused.status, 401);
    const bob3 = await login(worker.url, "bob", "bob-third-pass-3");
    await call(worker.url, "/api/v1/logout", { method: "POST", token: bob3.access });
    await call(worker.url, `/api/v1/users/${bob.id}`, { method: "PATCH", json: { is_active: false, username: "bobby" }, token: admin.token });
    await call(worker.url, "/api/v1/admin/rotate-secret-key", { method: "POST", token: admin.token });
    await call(worker.url, `/api/v1/users/${bob.id}`, { method: "DELETE", token: admin.token });

    const expected = ["user:superuser_grant", "user:password_reset", "user:password_change", "api_key:create", "api_key:delete",
      "auth:refresh_token_reuse", "auth:logout", "user:deactivate", "user:update", "user:delete"];
    body = await audits(worker.url, admin.token, `?user_id=${bob.id}&limit=200`, (b) => expected.every((a) => has(a)(b)));
    for (const action of expected) assert.ok(has(action)(body), `${action} recorded: ${body.items.map((e) => e.action)}`);
    const wrongCurrent = body.items.find((e) => e.action === "user:password_change" && e.result === "failed");
    assert.equal(wrongCurrent.error_code, "CURRENT_PASSWORD_WRONG");
    assert.equal(body.items.find((e) => e.action === "api_key:create").resource_name, "ci key");
    assert.equal(body.items.find((e) => e.action === "api_key:create").resource_type, "api_key");
    assert.equal(body.items.find((e) => e.action === "user:delete").resource_name, "bobby", "the name survives the deletion");
    assert.equal(body.items.find((e) => e.action === "auth:refresh_token_reuse").error_code, "REFRESH_TOKEN_REUSED");
    const rotation = await audits(worker.url, admin.token, "?action=secret_key:rotate", (b) => b.items.length > 0);
    assert.equal(rotation.items[0].details.complete, true);
    // No secret reaches a row: the new passwords, the API key, the tokens.
    const everything = JSON.stringify(execSql(worker, "SELECT * FROM audit_log"));
    for (const secret of ["bob-new-password-2", "bob-third-pass-3", "not-it-at-all", key.body.api_key, bob2.refresh, bob2.access]) {
      assert.ok(!everything.includes(secret), "a secret in the audit log");
    }
  });

  it("pages newest first by cursor or offset, counts on request, and filters by actor, result and time", async () => {
    const all = await audits(worker.url, admin.token, "?limit=200&include_total=true");
    assert.ok(all.total >= all.items.length && all.items.length > 5);
    const seqTimes = all.items.map((e) => Date.parse(e.timestamp));
    assert.deepEqual([...seqTimes].sort((a, b) => b - a), seqTimes, "newest first");
    const first = await audits(worker.url, admin.token, "?limit=2");
    assert.equal(first.items.length, 2);
    assert.equal(first.total, null);
    assert.ok(first.next_cursor);
    const second = await audits(worker.url, admin.token, `?limit=2&cursor=${first.next_cursor}`);
    assert.deepEqual(second.items.map((e) => e.id), all.items.slice(2, 4).map((e) => e.id));
    const byOffset = await audits(worker.url, admin.token, "?limit=2&offset=2");
    assert.deepEqual(byOffset.items.map((e) => e.id), all.items.slice(2, 4).map((e) => e.id));
    const mine = await audits(worker.url, admin.token, `?actor_id=${admin.id}&limit=200`);
    assert.ok(mine.items.length > 0 && mine.items.every((e) => e.actor_id === admin.id));
    const failed = await audits(worker.url, admin.token, "?result=failed&limit=200");
    assert.ok(failed.items.length > 0 && failed.items.every((e) => e.result === "failed"));
    const future = await audits(worker.url, admin.token, "?since=2999-01-01T00:00:00Z");
    assert.deepEqual(future, { items: [], next_cursor: null, total: null });
    const past = await audits(worker.url, admin.token, "?until=2000-01-01T00:00:00%2B00:00");
    assert.equal(past.items.length, 0);
  });

  it("bad query strings get a 400 naming the problem (Langflow's words), others a 401/403", async () => {
    for (const [query, detail] of [
      ["?limit=0", "limit must be an integer from 1 through 200"],
      ["?limit=abc", "limit must be an integer from 1 through 200"],
      ["?user_id=bad", "user_id must be a UUID"],
      ["?since=yesterday", "since must be an RFC 3339 timestamp with a timezone offset"],
      ["?bogus=1", "Unknown query parameter: bogus"],
      ["?limit=", "Empty value for query parameter: limit"],
      ["?limit=1&limit=2", "Query parameter may appear once: limit"],
      ["?cursor=5&offset=1", "offset and cursor cannot be combined"],
      ["?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "until must be later than since"],
    ]) {
      const res = await call(worker.url, `/api/v1/audits${query}`, { token: admin.token });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.detail, detail, query);
    }
    const unknownAction = await call(worker.url, "/api/v1/audits?action=user.login", { token: admin.token });
    assert.equal(unknownAction.status, 400);
    assert.match(unknownAction.body.detail, /^Unsupported value for action: user\.login \(known: auth:login, /);
    const anonymous = await call(worker.url, "/api/v1/audits");
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.body.detail, "No authentication credentials provided");
    const carol = await makeUser(worker.url, admin.token, "carol");
    const notAdmin = await call(worker.url, "/api/v1/audits", { token: carol.token });
    assert.equal(notAdmin.status, 403);
    assert.equal(notAdmin.body.detail, "The user doesn't have enough privileges");
  });

  it("deletes events older than LANGFLOW_AUDIT_RETENTION_DAYS after a later event, and keeps younger ones", async () => {
    // A second worker on the same D1, with a retention of one day: its isolate has not cleaned up
    // yet. An event two days old must go (it would stay under the default 90), one of 12 hours stay.
    const day = 86_400_000;
    execSql(worker, `INSERT INTO audit_log (id, timestamp, action, result, actor_type, resource_type) VALUES
      ('two-days-old', ${Date.now() - 2 * day}, 'auth:login', 'succeeded', 'user', 'user'),
      ('half-a-day-old', ${Date.now() - day / 2}, 'auth:login', 'succeeded', 'user', 'user')`);
    const second = await startWorker({ dir: worker.dir, vars: { LANGFLOW_AUDIT_RETENTION_DAYS: "1" } });
    try {
      assert.equal((await login(second.url, ADMIN.username, ADMIN.password)).status, 200);
      let left;
      for (let i = 0; i < 40; i++) {
        left = execSql(worker, "SELECT id FROM audit_log WHERE id IN ('two-days-old', 'half-a-day-old')").map((r) => r.id);
        if (!left.includes("two-days-old")) break;
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.deepEqual(left, ["half-a-day-old"], "the event past the retention was deleted, the younger one kept");
      assert.ok(execSql(worker, "SELECT COUNT(*) AS n FROM audit_log")[0].n > 5, "recent events stay");
    } finally {
      await second.stop();
    }
  });
});

describe("LANGFLOW_AUDIT_RETENTION_DAYS", () => {
  it("an invalid value is a configuration error naming the variable", async () => {
    const worker = await startWorker({ vars: { LANGFLOW_AUDIT_RETENTION_DAYS: "ninety" } });
    try {
      const res = await call(worker.url, "/api/v1/users/whoami");
      assert.equal(res.status, 500);
      assert.match(res.body.detail, /LANGFLOW_AUDIT_RETENTION_DAYS must be a whole number of at least 1/);
      assert.ok(!res.body.detail.includes("ninety"));
    } finally {
      await worker.destroy();
    }
  });
});
