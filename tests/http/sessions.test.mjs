// "Your sessions" over HTTP: GET/DELETE /api/v1/sessions list a person's live sessions (created,
// last used, address, browser) and end one or all the others, at once, with or without the
// session cache; "last used" is written at most once per five minutes.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, signInAdmin, makeUser, login, execSql } from "./harness.mjs";

const device = (ip, agent) => ({ headers: { "cf-connecting-ip": ip, "user-agent": agent } });
const whoami = async (base, token) => (await call(base, "/api/v1/users/whoami", { token })).status;

for (const cache of ["0", "30"]) {
  describe(`sessions (LANGFLOW_SESSION_CACHE_SECONDS=${cache})`, () => {
    let worker, admin;
    before(async () => {
      worker = await startWorker({ vars: { LANGFLOW_SESSION_CACHE_SECONDS: cache } });
      admin = await signInAdmin(worker.url);
    });
    after(async () => worker?.destroy());

    it("lists the caller's live sessions with address, browser and times, marking the current one", async () => {
      const user = await makeUser(worker.url, admin.token, `list${cache}`);
      const laptop = await login(worker.url, user.username, user.password, device("192.0.2.10", "Laptop Browser/1"));
      const phone = await login(worker.url, user.username, user.password, device("192.0.2.20", "Phone Browser/2"));
      const res = await call(worker.url, "/api/v1/sessions", { token: laptop.access });
      assert.equal(res.status, 200);
      // makeUser's own sign-in, the laptop and the phone; nobody else's.
      assert.equal(res.body.total_count, 3);
      assert.equal(res.body.sessions.length, 3);
      const current = res.body.sessions.filter((s) => s.current);
      assert.equal(current.length, 1);
      assert.equal(current[0].user_agent, "Laptop Browser/1");
      assert.equal(current[0].client_ip, "192.0.2.10");
      const other = res.body.sessions.find((s) => s.user_agent === "Phone Browser/2");
      assert.equal(other.client_ip, "192.0.2.20");
      assert.match(other.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      assert.match(other.last_used_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      assert.ok(Math.abs(Date.parse(other.created_at) - Date.now()) < 120_000);
      assert.ok(phone.access);
    });

    it("ends one session at once; the others go on; ending it again or someone else's is a 404", async () => {
      const user = await makeUser(worker.url, admin.token, `one${cache}`);
      const keep = await login(worker.url, user.username, user.password);
      const lose = await login(worker.url, user.username, user.password);
      assert.equal(await whoami(worker.url, lose.access), 200); // cached when the cache is on
      const listed = (await call(worker.url, "/api/v1/sessions", { token: lose.access })).body.sessions;
      const loseId = listed.find((s) => s.current).id;
      const ended = await call(worker.url, `/api/v1/sessions/${loseId}`, { method: "DELETE", token: keep.access });
      assert.equal(ended.status, 200);
      assert.deepEqual(ended.body, { detail: "Session ended" });
      assert.equal(await whoami(worker.url, lose.access), 401, "the ended session is refused at once");
      const refresh = await call(worker.url, "/api/v1/refresh", { method: "POST", headers: { cookie: `refresh_token_lf=${lose.refresh}` } });
      assert.equal(refresh.status, 401, "and cannot be refreshed");
      assert.equal(await whoami(worker.url, keep.access), 200);
      const again = await call(worker.url, `/api/v1/sessions/${loseId}`, { method: "DELETE", token: keep.access });
      assert.equal(again.status, 404);
      assert.deepEqual(again.body, { detail: "Session not found" });
      // Another user's session is not found either, and stays live.
      const stranger = await makeUser(worker.url, admin.token, `stranger${cache}`);
      const theirs = (await call(worker.url, "/api/v1/sessions", { token: stranger.token })).body.sessions[0].id;
      const foreign = await call(worker.url, `/api/v1/sessions/${theirs}`, { method: "DELETE", token: keep.access });
      assert.equal(foreign.status, 404);
      assert.equal(await whoami(worker.url, stranger.token), 200);
      const bad = await call(worker.url, "/api/v1/sessions/not-a-uuid", { method: "DELETE", token: keep.access });
      assert.equal(bad.status, 422);
      assert.deepEqual(bad.body.detail[0].loc, ["path", "session_id"]);
    });

    it("ends every other session and keeps the caller's", async () => {
      const user = await makeUser(worker.url, admin.token, `all${cache}`);
      const others = [await login(worker.url, user.username, user.password), await login(worker.url, user.username, user.password)];
      const me = await login(worker.url, user.username, user.password);
      for (const o of others) assert.equal(await whoami(worker.url, o.access), 200);
      const res = await call(worker.url, "/api/v1/sessions", { method: "DELETE", token: me.access });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { detail: "Other sessions ended", ended: 3 }); // makeUser's and the two
      for (const o of others) assert.equal(await whoami(worker.url, o.access), 401);
      assert.equal(await whoami(worker.url, user.token), 401);
      assert.equal(await whoami(worker.url, me.access), 200);
      const left = (await call(worker.url, "/api/v1/sessions", { token: me.access })).body;
      assert.equal(left.total_count, 1);
      assert.equal(left.sessions[0].current, true);
    });

    it("refuses anonymous callers, and cookie writes a browser marks cross-site", async () => {
      const anonymous = await call(worker.url, "/api/v1/sessions");
      assert.equal(anonymous.status, 403);
      const user = await makeUser(worker.url, admin.token, `csrf${cache}`);
      const cross = await call(worker.url, "/api/v1/sessions", {
        method: "DELETE",
        headers: { cookie: `access_token_lf=${user.token}`, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      });
      assert.equal(cross.status, 403);
      assert.match(cross.body.detail, /Cross-site request refused/);
      assert.equal(await whoami(worker.url, user.token), 200);
    });
  });
}

describe("last used", () => {
  let worker, admin;
  before(async () => {
    worker = await startWorker();
    admin = await signInAdmin(worker.url);
  });
  after(async () => worker?.destroy());

  it("is written after a request when the stored time is five minutes old, not on every request", async () => {
    const user = await makeUser(worker.url, admin.token, "used");
    const session = await login(worker.url, user.username, user.password, device("192.0.2.1", "First/1"));
    const rowOf = () => execSql(worker, `SELECT last_used_at, client_ip, user_agent FROM session WHERE user_id = '${user.id}' AND client_ip = '192.0.2.1' OR user_agent = 'Second/2'`)[0];
    const now = Math.floor(Date.now() / 1000);
    // Used a minute ago: nothing is written.
    execSql(worker, `UPDATE session SET last_used_at = ${now - 60} WHERE client_ip = '192.0.2.1'`);
    assert.equal((await call(worker.url, "/api/v1/users/whoami", { token: session.access, ...device("192.0.2.2", "Second/2") })).status, 200);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(rowOf(), { last_used_at: now - 60, client_ip: "192.0.2.1", user_agent: "First/1" });
    // Used six minutes ago: the next request records the time, address and browser.
    execSql(worker, `UPDATE session SET last_used_at = ${now - 360} WHERE client_ip = '192.0.2.1'`);
    assert.equal((await call(worker.url, "/api/v1/users/whoami", { token: session.access, ...device("192.0.2.2", "Second/2") })).status, 200);
    let row;
    for (let i = 0; i < 30; i++) {
      row = execSql(worker, `SELECT last_used_at, client_ip, user_agent FROM session WHERE user_agent = 'Second/2'`)[0];
      if (row) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(row && row.last_used_at >= now, JSON.stringify(row));
    assert.equal(row.client_ip, "192.0.2.2");
  });

  it("keeps user agents to 256 characters", async () => {
    const user = await makeUser(worker.url, admin.token, "longua");
    const agent = `Mozilla/5.0 ${"x".repeat(1000)}`;
    const session = await login(worker.url, user.username, user.password, device("192.0.2.3", agent));
    const listed = (await call(worker.url, "/api/v1/sessions", { token: session.access })).body.sessions.find((s) => s.current);
    assert.equal(listed.user_agent.length, 256);
    assert.ok(agent.startsWith(listed.user_agent));
  });
});
