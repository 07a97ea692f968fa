// Brute-force limits (deviation 6): failed logins counted per client IP and per account, 429 with
// Retry-After; successful logins do not count; reset-password limited per user; and nothing of
// the kind with LANGFLOW_RATE_LIMIT_ENABLED=False. The client IP is the CF-Connecting-IP header
// Cloudflare sets (wrangler dev passes a client's own value through), so each test uses its own.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, login, makeUser, ADMIN } from "./harness.mjs";

const TOO_MANY = "Too many requests. Please try again later.";
const WRONG = { detail: "Incorrect username or password" };

const from = (ip) => ({ headers: { "cf-connecting-ip": ip } });

/** A 429 in Langflow's shape; returns the Retry-After seconds. */
function assertTooMany(res, maxSeconds) {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  const header = res.headers.get("retry-after");
  assert.match(header ?? "", /^\d+$/);
  const seconds = Number(header);
  assert.ok(seconds >= 1 && seconds <= maxSeconds, `Retry-After ${seconds}`);
  assert.deepEqual(res.body, { detail: TOO_MANY, retry_after: header });
  assert.equal(res.cookies.length, 0);
  return seconds;
}

describe("LANGFLOW_RATE_LIMIT_ENABLED=True (5 failures per IP per minute, 3 per account)", () => {
  let worker;
  let base;
  let adminToken;
  before(async () => {
    worker = await startWorker({
      vars: { LANGFLOW_RATE_LIMIT_ENABLED: "True", LANGFLOW_RATE_LIMIT_PER_MINUTE: "5", LANGFLOW_ACCOUNT_LOCKOUT_THRESHOLD: "3" },
    });
    base = worker.url;
    const session = await login(base, ADMIN.username, ADMIN.password, from("10.0.0.1"));
    assert.equal(session.status, 200);
    adminToken = session.access;
  });
  after(async () => {
    await worker?.destroy();
  });

  it("the 6th failed login from one IP within a minute is 429, even with the right password", async () => {
    const ip = "10.1.0.1";
    for (let i = 0; i < 5; i += 1) {
      const res = await login(base, `ghost-${i}`, "wrong-password", from(ip));
      assert.deepEqual([res.status, res.body], [401, WRONG], `attempt ${i + 1}`);
    }
    assertTooMany(await login(base, "ghost-5", "wrong-password", from(ip)), 60);
    assertTooMany(await login(base, ADMIN.username, ADMIN.password, from(ip)), 60);
    // Another client is not affected.
    assert.equal((await login(base, ADMIN.username, ADMIN.password, from("10.1.0.2"))).status, 200);
  });

  it("successful logins do not count", async () => {
    const user = await makeUser(base, adminToken, "steady");
    const ip = "10.2.0.1";
    for (let i = 0; i < 12; i += 1) {
      const res = await login(base, user.username, user.password, from(ip));
      assert.equal(res.status, 200, `login ${i + 1}`);
    }
    // Two failures are still under both limits, and the right password then works.
    for (let i = 0; i < 2; i += 1) {
      assert.equal((await login(base, user.username, "wrong-password", from(ip))).status, 401);
    }
    assert.equal((await login(base, user.username, user.password, from(ip))).status, 200);
  });

  it("the per-account limit holds across IPs and even when the right password is then given", async () => {
    const user = await makeUser(base, adminToken, "targeted");
    for (let i = 0; i < 3; i += 1) {
      const res = await login(base, user.username, "wrong-password", from(`10.3.0.${i + 1}`));
      assert.deepEqual([res.status, res.body], [401, WRONG]);
    }
    assertTooMany(await login(base, user.username, user.password, from("10.3.1.1")), 900);
    assertTooMany(await login(base, user.username, "wrong-password", from("10.3.1.2")), 900);
    // The account key ignores case, as usernames do.
    assertTooMany(await login(base, "TARGETED", user.password, from("10.3.1.3")), 900);
    // Its existing sessions are not touched, and other accounts log in from the same IP.
    assert.equal((await call(base, "/api/v1/users/whoami", { token: user.token })).status, 200);
    assert.equal((await login(base, ADMIN.username, ADMIN.password, from("10.3.1.1"))).status, 200);
  });

  it("an unknown account locks the same way (no enumeration)", async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await login(base, "no-such-account", "wrong-password", from(`10.4.0.${i + 1}`));
      assert.deepEqual([res.status, res.body], [401, WRONG]);
    }
    assertTooMany(await login(base, "no-such-account", "wrong-password", from("10.4.1.1")), 900);
  });

  it("an inactive account still answers 'Waiting for approval' to its right password", async () => {
    const created = await call(base, "/api/v1/users/", { method: "POST", json: { username: "waiting", password: "waiting-password" } });
    assert.equal(created.status, 201);
    for (let i = 0; i < 3; i += 1) {
      const res = await login(base, "waiting", "waiting-password", from(`10.5.0.${i + 1}`));
      assert.deepEqual([res.status, res.body], [400, { detail: "Waiting for approval" }], `attempt ${i + 1}`);
    }
    // Those were not failures: the account is not locked.
    const again = await login(base, "waiting", "waiting-password", from("10.5.1.1"));
    assert.equal(again.status, 400);
  });

  it("reset-password: the 6th attempt within a minute is 429", async () => {
    const user = await makeUser(base, adminToken, "resetlimit");
    const reset = (current) => call(base, `/api/v1/users/${user.id}/reset-password`, {
      method: "PATCH", json: { current_password: current, password: "resetlimit-new-password" }, token: user.token,
    });
    for (let i = 0; i < 5; i += 1) {
      const res = await reset("wrong-current-password");
      assert.deepEqual([res.status, res.body], [400, { detail: "Current password is incorrect" }], `attempt ${i + 1}`);
    }
    assertTooMany(await reset(user.password), 60);
    // The password did not change.
    assert.equal((await login(base, user.username, user.password, from("10.6.0.1"))).status, 200);
    // Another user's limit is their own.
    const other = await makeUser(base, adminToken, "resetother");
    const ok = await call(base, `/api/v1/users/${other.id}/reset-password`, {
      method: "PATCH", json: { current_password: other.password, password: "resetother-new-password" }, token: other.token,
    });
    assert.equal(ok.status, 200);
  });
});

describe("LANGFLOW_RATE_LIMIT_ENABLED=False", () => {
  let worker;
  let base;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_RATE_LIMIT_ENABLED: "False", LANGFLOW_RATE_LIMIT_PER_MINUTE: "2", LANGFLOW_ACCOUNT_LOCKOUT_THRESHOLD: "2" } });
    base = worker.url;
  });
  after(async () => {
    await worker?.destroy();
  });

  it("no 429 for failed logins", async () => {
    const ip = "10.9.0.1";
    for (let i = 0; i < 15; i += 1) {
      const res = await login(base, ADMIN.username, "wrong-password", from(ip));
      assert.deepEqual([res.status, res.body], [401, WRONG], `attempt ${i + 1}`);
    }
    assert.equal((await login(base, ADMIN.username, ADMIN.password, from(ip))).status, 200);
  });

  it("no 429 for password resets", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const admin = await call(base, "/api/v1/users/whoami", { token: session.access });
    const user = await makeUser(base, session.access, "unlimited");
    assert.ok(admin.body.id);
    for (let i = 0; i < 8; i += 1) {
      const res = await call(base, `/api/v1/users/${user.id}/reset-password`, {
        method: "PATCH", json: { current_password: "wrong-current", password: "unlimited-new-password" }, token: user.token,
      });
      assert.equal(res.status, 400, `attempt ${i + 1}`);
    }
    const ok = await call(base, `/api/v1/users/${user.id}/reset-password`, {
      method: "PATCH", json: { current_password: user.password, password: "unlimited-new-password" }, token: user.token,
    });
    assert.equal(ok.status, 200);
  });
});
