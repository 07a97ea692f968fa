// Settings seen over HTTP: LANGFLOW_AUTO_LOGIN (True, unset = loopback only, deviation 5),
// configuration errors that name the variable, LANGFLOW_NEW_USER_IS_ACTIVE=True, and the bootstrap
// superuser created once under concurrent first requests.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, call, login, makeUser, findCookie, rawRequest, ADMIN, SECRET_KEY,
} from "./harness.mjs";

const AUTO_LOGIN_DISABLED = { detail: { message: "Auto login is disabled.", auto_login: false } };
const SIGNUP_DISABLED = { detail: "Public user registration is disabled." };

describe("LANGFLOW_AUTO_LOGIN=True (LANGFLOW_SUPERUSER unset)", () => {
  let worker;
  before(async () => {
    worker = await startWorker({
      replaceVars: true,
      vars: { LANGFLOW_AUTO_LOGIN: "True", LANGFLOW_SECRET_KEY: SECRET_KEY, LANGFLOW_RATE_LIMIT_ENABLED: "False" },
    });
  });
  after(async () => {
    await worker?.destroy();
  });

  it("/auto_login gives working tokens for the superuser 'langflow'", async () => {
    const res = await call(worker.url, "/api/v1/auto_login");
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, "bearer");
    const me = await call(worker.url, "/api/v1/users/whoami", { token: res.body.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, "langflow");
    assert.equal(me.body.is_superuser, true);
    assert.equal(me.body.is_active, true);
    const refreshed = await call(worker.url, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${res.body.refresh_token}` });
    assert.equal(refreshed.status, 200);
  });

  it("/auto_login sets a session access cookie, a 7-day refresh cookie and an empty store key", async () => {
    const res = await call(worker.url, "/api/v1/auto_login");
    const access = findCookie(res.cookies, "access_token_lf");
    const refresh = findCookie(res.cookies, "refresh_token_lf");
    const store = findCookie(res.cookies, "apikey_tkn_lflw");
    assert.equal(access.value, res.body.access_token);
    assert.equal(access.attrs.expires, undefined);
    assert.equal(refresh.value, res.body.refresh_token);
    assert.ok(Math.abs((Date.parse(refresh.attrs.expires) - Date.now()) / 1000 - 604800) < 120);
    assert.equal(store.value, '""');
    for (const cookie of [access, refresh, store]) {
      assert.equal(cookie.attrs.httponly, true);
      assert.equal(cookie.attrs.path, "/");
      assert.equal(cookie.attrs.samesite, "lax");
    }
    const viaCookie = await call(worker.url, "/api/v1/users/whoami", { cookie: `access_token_lf=${access.value}` });
    assert.equal(viaCookie.status, 200);
  });

  it("without credentials the API stays closed", async () => {
    const res = await call(worker.url, "/api/v1/users/whoami");
    assert.deepEqual([res.status, res.body], [403, { detail: "No authentication credentials provided" }]);
  });

  it("public signup is 403; the superuser can still create users, who log in with a password", async () => {
    const signup = await call(worker.url, "/api/v1/users/", { method: "POST", json: { username: "walkin", password: "walkin-password" } });
    assert.deepEqual([signup.status, signup.body], [403, SIGNUP_DISABLED]);
    const auto = await call(worker.url, "/api/v1/auto_login");
    const token = auto.body.access_token;
    const created = await call(worker.url, "/api/v1/users/", { method: "POST", json: { username: "invited", password: "invited-password" }, token });
    assert.equal(created.status, 201);
    const activated = await call(worker.url, `/api/v1/users/${created.body.id}`, { method: "PATCH", json: { is_active: true }, token });
    assert.equal(activated.status, 200);
    const session = await login(worker.url, "invited", "invited-password");
    assert.equal(session.status, 200);
  });

  it("the legacy password 'langflow' does not log in as 'langflow'", async () => {
    const res = await login(worker.url, "langflow", "langflow");
    assert.deepEqual([res.status, res.body], [401, { detail: "Incorrect username or password" }]);
  });

  it("a logout revokes the auto-login session", async () => {
    const auto = await call(worker.url, "/api/v1/auto_login");
    await call(worker.url, "/api/v1/logout", { method: "POST", token: auto.body.access_token });
    assert.equal((await call(worker.url, "/api/v1/users/whoami", { token: auto.body.access_token })).status, 401);
  });
});

describe("LANGFLOW_AUTO_LOGIN unset, no superuser password (deviation 5)", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ replaceVars: true, vars: { LANGFLOW_SECRET_KEY: SECRET_KEY, LANGFLOW_RATE_LIMIT_ENABLED: "False" } });
  });
  after(async () => {
    await worker?.destroy();
  });

  it("auto-login works for requests to 127.0.0.1", async () => {
    assert.match(worker.url, /^http:\/\/127\.0\.0\.1:/);
    const res = await call(worker.url, "/api/v1/auto_login");
    assert.equal(res.status, 200);
    const me = await call(worker.url, "/api/v1/users/whoami", { token: res.body.access_token });
    assert.equal(me.body.username, "langflow");
    assert.equal(me.body.is_superuser, true);
  });

  it("and for requests to localhost", async () => {
    const { port } = new URL(worker.url);
    const res = await rawRequest(worker.url, "/api/v1/auto_login", { headers: { host: `localhost:${port}` } });
    assert.equal(res.status, 200);
    assert.ok(res.body.access_token);
  });

  it("public signup is 403 on loopback (auto-login is on there)", async () => {
    const res = await call(worker.url, "/api/v1/users/", { method: "POST", json: { username: "walkin", password: "walkin-password" } });
    assert.deepEqual([res.status, res.body], [403, SIGNUP_DISABLED]);
  });

  it("a request for another host is a 500 naming LANGFLOW_SUPERUSER_PASSWORD", async () => {
    for (const path of ["/api/v1/auto_login", "/api/v1/users/whoami", "/api/v1/session"]) {
      const res = await rawRequest(worker.url, path, { headers: { host: "langflow.example.com" } });
      assert.equal(res.status, 500, path);
      assert.match(res.body.detail, /LANGFLOW_SUPERUSER_PASSWORD/);
      assert.doesNotMatch(res.body.detail, /panicked|RuntimeError|unreachable/);
    }
  });
});

describe("LANGFLOW_AUTO_LOGIN unset, with a superuser and password (deviation 5)", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_AUTO_LOGIN: undefined } });
  });
  after(async () => {
    await worker?.destroy();
  });

  it("on another host auto-login is off: 403, signup and password login work", async () => {
    const host = "langflow.example.com";
    const auto = await rawRequest(worker.url, "/api/v1/auto_login", { headers: { host } });
    assert.deepEqual([auto.status, auto.body], [403, AUTO_LOGIN_DISABLED]);
    const signup = await rawRequest(worker.url, "/api/v1/users/", {
      method: "POST", headers: { host, "content-type": "application/json" }, body: JSON.stringify({ username: "remote", password: "remote-password" }),
    });
    assert.equal(signup.status, 201);
    const form = new URLSearchParams(ADMIN).toString();
    const session = await rawRequest(worker.url, "/api/v1/login", {
      method: "POST", headers: { host, "content-type": "application/x-www-form-urlencoded" }, body: form,
    });
    assert.equal(session.status, 200);
  });

  it("on loopback auto-login gives the configured superuser", async () => {
    const res = await call(worker.url, "/api/v1/auto_login");
    assert.equal(res.status, 200);
    const me = await call(worker.url, "/api/v1/users/whoami", { token: res.body.access_token });
    assert.equal(me.body.username, ADMIN.username);
  });
});

describe("configuration errors", () => {
  const API_REQUESTS = [
    ["GET", "/api/v1/users/whoami"],
    ["GET", "/api/v1/auto_login"],
    ["GET", "/api/v1/session"],
    ["POST", "/api/v1/logout"],
    ["GET", "/api/v1/users/"],
    ["GET", "/api/v1/no-such-route"],
  ];

  async function expectConfigError(worker, variable, secretValue) {
    const responses = await Promise.all([
      ...API_REQUESTS.map(([method, path]) => call(worker.url, path, { method })),
      login(worker.url, ADMIN.username, ADMIN.password),
      call(worker.url, "/api/v1/users/", { method: "POST", json: { username: "someone", password: "someone-password" } }),
    ]);
    for (const res of responses) {
      assert.equal(res.status, 500);
      assert.equal(typeof res.body.detail, "string");
      assert.ok(res.body.detail.includes(variable), res.body.detail);
      if (secretValue !== undefined) assert.ok(!res.body.detail.includes(secretValue), res.body.detail);
    }
    const health = await call(worker.url, "/health");
    assert.deepEqual([health.status, health.body], [200, { status: "ok" }]);
  }

  it("LANGFLOW_AUTO_LOGIN=False without LANGFLOW_SUPERUSER_PASSWORD: every /api request is a 500 naming it", async () => {
    const worker = await startWorker({ replaceVars: true, vars: { LANGFLOW_AUTO_LOGIN: "False", LANGFLOW_SECRET_KEY: SECRET_KEY } });
    try {
      await expectConfigError(worker, "LANGFLOW_SUPERUSER_PASSWORD");
    } finally {
      await worker.destroy();
    }
  });

  it("LANGFLOW_NEW_USER_IS_ACTIVE=maybe: a 500 naming the variable, not repeating the value", async () => {
    const worker = await startWorker({ vars: { LANGFLOW_NEW_USER_IS_ACTIVE: "maybe" } });
    try {
      await expectConfigError(worker, "LANGFLOW_NEW_USER_IS_ACTIVE", "maybe");
    } finally {
      await worker.destroy();
    }
  });
});

describe("LANGFLOW_NEW_USER_IS_ACTIVE=True, fresh database", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_NEW_USER_IS_ACTIVE: "True" } });
  });
  after(async () => {
    await worker?.destroy();
  });

  it("10 concurrent first logins as the bootstrap admin: all 200, exactly one admin", async () => {
    // These are the worker's very first requests: every one of them finds no superuser yet.
    const results = await Promise.all(Array.from({ length: 10 }, () => login(worker.url, ADMIN.username, ADMIN.password)));
    assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
    const list = await call(worker.url, "/api/v1/users/?limit=200", { token: results[0].access });
    assert.equal(list.status, 200);
    assert.equal(list.body.total_count, 1);
    assert.equal(list.body.users.length, 1);
    assert.equal(list.body.users[0].username, ADMIN.username);
    assert.equal(list.body.users[0].is_superuser, true);
    assert.equal(list.body.users[0].is_active, true);
  });

  it("a new user is active and can log in at once", async () => {
    const res = await call(worker.url, "/api/v1/users/", { method: "POST", json: { username: "eager", password: "eager-password" } });
    assert.equal(res.status, 201);
    assert.equal(res.body.is_active, true);
    assert.equal(res.body.is_superuser, false);
    const session = await login(worker.url, "eager", "eager-password");
    assert.equal(session.status, 200);
    const me = await call(worker.url, "/api/v1/users/whoami", { token: session.access });
    assert.equal(me.body.username, "eager");
  });

  it("after a restart with another LANGFLOW_SUPERUSER_PASSWORD, the original password still applies", async () => {
    await worker.stop();
    worker = await startWorker({
      dir: worker.dir, vars: { LANGFLOW_NEW_USER_IS_ACTIVE: "True", LANGFLOW_SUPERUSER_PASSWORD: "a-different-password" },
    });
    const original = await login(worker.url, ADMIN.username, ADMIN.password);
    assert.equal(original.status, 200);
    const changed = await login(worker.url, ADMIN.username, "a-different-password");
    assert.deepEqual([changed.status, changed.body], [401, { detail: "Incorrect username or password" }]);
    // and the users made before the restart are still there
    const list = await call(worker.url, "/api/v1/users/?limit=200", { token: original.access });
    assert.deepEqual(list.body.users.map((u) => u.username), [ADMIN.username, "eager"]);
  });
});

describe("auto-login signs in only as a superuser named LANGFLOW_SUPERUSER", () => {
  let worker;
  after(async () => worker?.destroy());

  it("refuses, naming the variable, when a normal user has taken the bootstrap name", async () => {
    worker = await startWorker({ vars: { LANGFLOW_AUTO_LOGIN: "True", LANGFLOW_SUPERUSER: undefined, LANGFLOW_SUPERUSER_PASSWORD: undefined } });
    const auto = await call(worker.url, "/api/v1/auto_login");
    assert.equal(auto.status, 200);
    const admin = { token: auto.body.access_token };
    const me = await call(worker.url, "/api/v1/users/whoami", { token: admin.token });
    assert.equal(me.body.username, "langflow");
    const mallory = await makeUser(worker.url, admin.token, "mallory");
    // The admin renames the bootstrap account; a normal user takes the freed name.
    const renamed = await call(worker.url, `/api/v1/users/${me.body.id}`, { method: "PATCH", json: { username: "boss" }, token: admin.token });
    assert.equal(renamed.status, 200);
    const taken = await call(worker.url, `/api/v1/users/${mallory.id}`, { method: "PATCH", json: { username: "langflow" }, token: mallory.token });
    assert.equal(taken.status, 200);

    const refused = await call(worker.url, "/api/v1/auto_login");
    assert.equal(refused.status, 500);
    assert.match(refused.body.detail, /LANGFLOW_SUPERUSER names an account that is not a superuser/);
    assert.equal(refused.body.access_token, undefined);
    assert.equal(findCookie(refused.cookies, "access_token_lf"), undefined);
  });
});
