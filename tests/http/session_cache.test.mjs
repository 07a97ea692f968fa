// LANGFLOW_SESSION_CACHE_SECONDS: 0 (default) reads D1 on every request, so a revocation holds
// at once; N > 0 lets an isolate answer from what it verified less than N seconds ago, so a
// revocation made elsewhere (here: straight in D1, as another isolate would) holds within N
// seconds and never later, while one made by this isolate holds at once.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, signInAdmin, makeUser, login, execSql } from "./harness.mjs";

const CACHE_SECONDS = 3;

/** Polls until `check` is true; returns the seconds it took. */
async function secondsUntil(check, limitSeconds) {
  const started = Date.now();
  for (;;) {
    if (await check()) return (Date.now() - started) / 1000;
    if (Date.now() - started > limitSeconds * 1000) return Infinity;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function whoami(base, auth) {
  return (await call(base, "/api/v1/users/whoami", auth)).status;
}

describe("session cache off (LANGFLOW_SESSION_CACHE_SECONDS=0, the default)", () => {
  let worker, admin;
  before(async () => {
    worker = await startWorker();
    admin = await signInAdmin(worker.url);
  });
  after(async () => worker?.destroy());

  it("a session revoked in D1 by another isolate fails on the very next request", async () => {
    await makeUser(worker.url, admin.token, "zero");
    const token = (await login(worker.url, "zero", "zero-password-1")).body.access_token;
    assert.equal(await whoami(worker.url, { token }), 200);
    execSql(worker, "UPDATE session SET revoked_at = 1 WHERE revoked_at IS NULL AND user_id = (SELECT id FROM \"user\" WHERE username = 'zero')");
    assert.equal(await whoami(worker.url, { token }), 401);
  });
});

describe(`session cache on (LANGFLOW_SESSION_CACHE_SECONDS=${CACHE_SECONDS})`, () => {
  let worker, admin;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_SESSION_CACHE_SECONDS: String(CACHE_SECONDS) } });
    admin = await signInAdmin(worker.url);
  });
  after(async () => worker?.destroy());

  it("a session revoked by another isolate still works from the cache, then fails within N seconds and stays refused", async () => {
    await makeUser(worker.url, admin.token, "cached");
    const token = (await login(worker.url, "cached", "cached-password-1")).body.access_token;
    assert.equal(await whoami(worker.url, { token }), 200); // read from D1 and remembered
    execSql(worker, "UPDATE session SET revoked_at = 1 WHERE revoked_at IS NULL AND user_id = (SELECT id FROM \"user\" WHERE username = 'cached')");
    const revokedAt = Date.now();
    // The cache is what answers now: the revocation is not seen at once.
    assert.equal(await whoami(worker.url, { token }), 200, "answered from the isolate's cache");
    const took = await secondsUntil(async () => (await whoami(worker.url, { token })) === 401, CACHE_SECONDS + 5);
    const sinceRevocation = (Date.now() - revokedAt) / 1000;
    assert.ok(took !== Infinity && sinceRevocation <= CACHE_SECONDS + 1.5, `refused ${sinceRevocation} s after the revocation (bound ${CACHE_SECONDS} s)`);
    for (let i = 0; i < 3; i++) assert.equal(await whoami(worker.url, { token }), 401);
  });

  it("a deactivation made elsewhere holds within N seconds, for tokens and API keys", async () => {
    const user = await makeUser(worker.url, admin.token, "deact");
    const token = (await login(worker.url, "deact", "deact-password-1")).body.access_token;
    const key = (await call(worker.url, "/api/v1/api_key/", { method: "POST", token, json: { name: "k" } })).body.api_key;
    assert.equal(await whoami(worker.url, { token }), 200);
    assert.equal(await whoami(worker.url, { apiKey: key }), 200);
    execSql(worker, `UPDATE "user" SET is_active = 0 WHERE id = '${user.id}'`);
    const started = Date.now();
    const refused = await secondsUntil(async () => (await whoami(worker.url, { token })) === 401 && (await whoami(worker.url, { apiKey: key })) === 403, CACHE_SECONDS + 5);
    assert.ok(refused !== Infinity && (Date.now() - started) / 1000 <= CACHE_SECONDS + 1.5, `refused after ${refused} s`);
  });

  it("what this isolate revokes holds at once: logout, password change, deactivation, key deletion", async () => {
    const user = await makeUser(worker.url, admin.token, "local");
    const first = (await login(worker.url, "local", "local-password-1")).body.access_token;
    const second = (await login(worker.url, "local", "local-password-1")).body.access_token;
    const key = (await call(worker.url, "/api/v1/api_key/", { method: "POST", token: second, json: { name: "k" } })).body;
    for (const auth of [{ token: first }, { token: second }, { apiKey: key.api_key }]) assert.equal(await whoami(worker.url, auth), 200);

    assert.equal((await call(worker.url, "/api/v1/logout", { method: "POST", token: first })).status, 200);
    assert.equal(await whoami(worker.url, { token: first }), 401, "logged out: refused at once");

    assert.equal((await call(worker.url, `/api/v1/api_key/${key.id}`, { method: "DELETE", token: second })).status, 200);
    assert.equal(await whoami(worker.url, { apiKey: key.api_key }), 403, "deleted key: refused at once");

    const patch = await call(worker.url, `/api/v1/users/${user.id}`, { method: "PATCH", token: admin.token, json: { is_active: false } });
    assert.equal(patch.status, 200);
    assert.equal(await whoami(worker.url, { token: second }), 401, "deactivated: refused at once");
  });
});
