// Credential resolution (Bearer, then the access_token_lf cookie, then an API key), the 401/403
// split of the observed spec §2, POST /api/v1/refresh with rotation and reuse detection, session
// revocation (deviation 1), and sessions surviving a restart of the worker.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  startWorker, call, login, makeUser, findCookie, signJwt, decodeJwt, ADMIN, SECRET_KEY, signInAdmin
} from "./harness.mjs";

const NO_CREDENTIALS = { detail: "No authentication credentials provided" };
const INVALID_TOKEN = { detail: "Invalid token" };
const INVALID_REFRESH = { detail: "Invalid refresh token" };

let worker;
let base;
let admin; // { id, token, refresh }

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
});

after(async () => {
  await worker?.destroy();
});

const now = () => Math.floor(Date.now() / 1000);

async function whoami(options) {
  return call(base, "/api/v1/users/whoami", options);
}

async function newApiKey(token, name = "test-key") {
  const res = await call(base, "/api/v1/api_key/", { method: "POST", json: { name }, token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.api_key, /^sk-[A-Za-z0-9_-]{43}$/);
  return res.body.api_key;
}

async function refreshWith(refreshToken, extra = {}) {
  return call(base, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${refreshToken}`, ...extra });
}

describe("credentials: what counts as none (403)", () => {
  it("no credentials at all", async () => {
    const res = await whoami();
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, NO_CREDENTIALS);
  });

  for (const [label, value] of [
    ["Authorization: Token x", () => `Token ${admin.token}`],
    ["Authorization: Basic x", () => "Basic YWRtaW46cGFzc3dvcmQ="],
    ["a bare Bearer", () => "Bearer"],
    ["a bare token without a scheme", () => admin.token],
  ]) {
    it(`${label} is ignored as if absent`, async () => {
      const res = await whoami({ headers: { authorization: value() } });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, NO_CREDENTIALS);
    });
  }

  it("an empty access cookie is no credential", async () => {
    const res = await whoami({ cookie: "access_token_lf=" });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, NO_CREDENTIALS);
  });

  it("the scheme is case-insensitive: 'bearer <token>' works", async () => {
    const res = await whoami({ headers: { authorization: `bearer ${admin.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.body.username, ADMIN.username);
  });
});

describe("credentials: bad tokens (401)", () => {
  it("garbage is 'Invalid token', without WWW-Authenticate", async () => {
    const res = await whoami({ token: "not-a-jwt" });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
    assert.equal(res.headers.get("www-authenticate"), null);
  });

  it("a refresh token used as an access token is 'Invalid token type'", async () => {
    const res = await whoami({ token: admin.refresh });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { detail: "Invalid token type" });
  });

  it("a token re-signed here with the raw secret and the same claims works (the key is the raw string)", async () => {
    const { payload } = decodeJwt(admin.token);
    const res = await whoami({ token: signJwt(payload) });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, admin.id);
  });

  it("a correctly signed but expired token is 'Token has expired'", async () => {
    const { payload } = decodeJwt(admin.token);
    const res = await whoami({ token: signJwt({ ...payload, exp: now() - 60 }) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { detail: "Token has expired" });
  });

  it("a correctly signed Langflow-minted token {sub,type,exp} (no session id) is refused", async () => {
    const res = await whoami({ token: signJwt({ sub: admin.id, type: "access", exp: now() + 3600 }) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
  });

  it("a correctly signed token without exp is refused (Langflow would accept it forever)", async () => {
    const { payload } = decodeJwt(admin.token);
    const { exp, ...forever } = payload;
    assert.ok(exp);
    const res = await whoami({ token: signJwt(forever) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
  });

  it("a token signed with another secret is 'Invalid token'", async () => {
    const { payload } = decodeJwt(admin.token);
    const res = await whoami({ token: signJwt(payload, { secret: `${SECRET_KEY}x` }) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
  });

  it("alg: none is 'Invalid token'", async () => {
    const { payload } = decodeJwt(admin.token);
    const unsigned = signJwt(payload, { header: { alg: "none", typ: "JWT" } }).split(".").slice(0, 2).join(".") + ".";
    const res = await whoami({ token: unsigned });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
  });

  it("type 'api_key' or no type is 'Invalid token type'", async () => {
    const { payload } = decodeJwt(admin.token);
    const { type, ...untyped } = payload;
    assert.equal(type, "access");
    for (const claims of [{ ...payload, type: "api_key" }, untyped]) {
      const res = await whoami({ token: signJwt(claims) });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: "Invalid token type" });
    }
  });

  it("a session id that does not exist is refused", async () => {
    const { payload } = decodeJwt(admin.token);
    const res = await whoami({ token: signJwt({ ...payload, sid: randomUUID() }) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { detail: "Token authentication failed" });
  });

  it("another user's sub on the admin's session is refused (no impersonation)", async () => {
    const user = await makeUser(base, admin.token, "impersonated");
    const { payload } = decodeJwt(admin.token);
    const res = await whoami({ token: signJwt({ ...payload, sub: user.id }) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
    // and the user's own session with the admin's sub does not make anyone an admin
    const mine = decodeJwt(user.token).payload;
    const escalated = await whoami({ token: signJwt({ ...mine, sub: admin.id }) });
    assert.equal(escalated.status, 401);
  });
});

describe("credentials: order Bearer, cookie, API key", () => {
  let user;
  let userKey;
  let adminKey;
  before(async () => {
    user = await makeUser(base, admin.token, "orderuser");
    userKey = await newApiKey(user.token, "user-key");
    adminKey = await newApiKey(admin.token, "admin-key");
  });

  it("an API key in the x-api-key header or ?x-api-key= authenticates", async () => {
    const header = await whoami({ apiKey: userKey });
    assert.equal(header.status, 200);
    assert.equal(header.body.id, user.id);
    const query = await call(base, `/api/v1/users/whoami?x-api-key=${userKey}`);
    assert.equal(query.status, 200);
    assert.equal(query.body.id, user.id);
  });

  it("the query parameter wins over the header", async () => {
    const res = await call(base, `/api/v1/users/whoami?x-api-key=${userKey}`, { apiKey: adminKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
  });

  it("an empty ?x-api-key= does not hide the header", async () => {
    const res = await call(base, "/api/v1/users/whoami?x-api-key=", { apiKey: userKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
  });

  it("an unknown API key is 403 'Invalid API key'", async () => {
    const res = await whoami({ apiKey: `sk-${"x".repeat(43)}` });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "Invalid API key" });
  });

  it("a Bearer token wins over the cookie and an API key", async () => {
    const res = await whoami({ token: user.token, cookie: `access_token_lf=${admin.token}`, apiKey: adminKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
  });

  it("the cookie wins over an API key", async () => {
    const res = await whoami({ cookie: `access_token_lf=${user.token}`, apiKey: adminKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
  });

  it("a bad Bearer token is not rescued by a good cookie or API key", async () => {
    const res = await whoami({ token: "garbage", cookie: `access_token_lf=${admin.token}`, apiKey: adminKey });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
  });

  it("a bad cookie is not rescued by a good API key", async () => {
    const res = await whoami({ cookie: "access_token_lf=garbage", apiKey: adminKey });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_TOKEN);
  });

  it("an API key is no session: /session says not authenticated", async () => {
    const res = await call(base, "/api/v1/session", { apiKey: userKey });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { authenticated: false, user: null, store_api_key: null });
  });

  it("an API key cannot change its owner's password", async () => {
    const reset = await call(base, `/api/v1/users/${user.id}/reset-password`, {
      method: "PATCH", json: { current_password: user.password, password: "brand-new-password" }, apiKey: userKey,
    });
    assert.equal(reset.status, 403);
    assert.deepEqual(reset.body, { detail: "Sign in interactively to change your password" });
    const login2 = await login(base, user.username, user.password);
    assert.equal(login2.status, 200);
  });

  it("an API key acts with its owner's rights: a normal user's key cannot list users", async () => {
    const res = await call(base, "/api/v1/users/", { apiKey: userKey });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "The user doesn't have enough privileges" });
    const asAdmin = await call(base, "/api/v1/users/", { apiKey: adminKey });
    assert.equal(asAdmin.status, 200);
  });

  it("the key of a deactivated user is refused", async () => {
    const other = await makeUser(base, admin.token, "keyowner");
    const key = await newApiKey(other.token);
    assert.equal((await whoami({ apiKey: key })).status, 200);
    await call(base, `/api/v1/users/${other.id}`, { method: "PATCH", json: { is_active: false }, token: admin.token });
    const res = await whoami({ apiKey: key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "Invalid API key" });
  });
});

describe("POST /api/v1/refresh", () => {
  it("without the refresh cookie: 401 'Invalid refresh token' with WWW-Authenticate: Bearer", async () => {
    const res = await call(base, "/api/v1/refresh", { method: "POST" });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, INVALID_REFRESH);
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  });

  it("reads only the cookie: a refresh token in Authorization or the body is ignored", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const viaHeader = await call(base, "/api/v1/refresh", { method: "POST", token: session.refresh });
    assert.equal(viaHeader.status, 401);
    assert.deepEqual(viaHeader.body, INVALID_REFRESH);
    assert.equal(viaHeader.headers.get("www-authenticate"), "Bearer");
    const viaBody = await call(base, "/api/v1/refresh", { method: "POST", json: { refresh_token: session.refresh } });
    assert.equal(viaBody.status, 401);
    assert.deepEqual(viaBody.body, INVALID_REFRESH);
    // The token itself was fine all along.
    assert.equal((await refreshWith(session.refresh)).status, 200);
  });

  it("a garbage cookie, or an access token in it, is 'Invalid refresh token'", async () => {
    for (const value of ["garbage", admin.token]) {
      const res = await refreshWith(value);
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, INVALID_REFRESH);
      assert.equal(res.headers.get("www-authenticate"), null);
    }
  });

  it("an expired or session-less refresh token is refused", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const { payload } = decodeJwt(session.refresh);
    for (const claims of [{ ...payload, exp: now() - 10 }, { sub: admin.id, type: "refresh", exp: now() + 3600 }]) {
      const res = await refreshWith(signJwt(claims));
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, INVALID_REFRESH);
    }
  });

  it("returns a new pair and new access and refresh cookies", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const res = await refreshWith(session.refresh);
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, "bearer");
    assert.notEqual(res.body.refresh_token, session.refresh);
    assert.equal(decodeJwt(res.body.refresh_token).payload.sid, decodeJwt(session.refresh).payload.sid);
    assert.equal(decodeJwt(res.body.access_token).payload.type, "access");
    assert.equal(res.cookies.length, 2);
    const access = findCookie(res.cookies, "access_token_lf");
    const refresh = findCookie(res.cookies, "refresh_token_lf");
    assert.equal(access.value, res.body.access_token);
    assert.equal(refresh.value, res.body.refresh_token);
    for (const cookie of [access, refresh]) {
      assert.equal(cookie.attrs.httponly, true);
      assert.equal(cookie.attrs.path, "/");
      assert.equal(cookie.attrs.samesite, "lax");
    }
    assert.ok(Math.abs((Date.parse(access.attrs.expires) - Date.now()) / 1000 - 3600) < 120);
    assert.ok(Math.abs((Date.parse(refresh.attrs.expires) - Date.now()) / 1000 - 604800) < 120);
    const me = await whoami({ token: res.body.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, admin.id);
  });

  it("a new refresh token can be used in turn", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    let current = session.refresh;
    for (let i = 0; i < 3; i += 1) {
      const res = await refreshWith(current);
      assert.equal(res.status, 200, `round ${i}`);
      current = res.body.refresh_token;
    }
  });

  it("a reused old refresh token fails and kills the session with the new tokens", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const first = await refreshWith(session.refresh);
    assert.equal(first.status, 200);
    const reused = await refreshWith(session.refresh);
    assert.equal(reused.status, 401);
    assert.deepEqual(reused.body, INVALID_REFRESH);
    const next = await refreshWith(first.body.refresh_token);
    assert.equal(next.status, 401);
    assert.deepEqual(next.body, INVALID_REFRESH);
    const me = await whoami({ token: first.body.access_token });
    assert.equal(me.status, 401);
    // Other sessions of the same user are untouched.
    assert.equal((await whoami({ token: admin.token })).status, 200);
  });
});

describe("revocation by a password change (deviation 1)", () => {
  it("reset-password keeps the session that made it and ends the others", async () => {
    const user = await makeUser(base, admin.token, "resetter");
    const other = await login(base, user.username, user.password);
    assert.equal(other.status, 200);
    const res = await call(base, `/api/v1/users/${user.id}/reset-password`, {
      method: "PATCH", json: { current_password: user.password, password: "resetter-new-password" }, token: user.token,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
    assert.equal((await whoami({ token: user.token })).status, 200);
    const stale = await whoami({ token: other.access });
    assert.equal(stale.status, 401);
    assert.deepEqual(stale.body, { detail: "Token has been revoked" });
    assert.equal((await refreshWith(other.refresh)).status, 401);
    assert.equal((await login(base, user.username, user.password)).status, 401);
    assert.equal((await login(base, user.username, "resetter-new-password")).status, 200);
  });

  it("an admin setting a user's password ends all of that user's sessions", async () => {
    const user = await makeUser(base, admin.token, "adminreset");
    const second = await login(base, user.username, user.password);
    const res = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { password: "set-by-the-admin" }, token: admin.token });
    assert.equal(res.status, 200);
    for (const token of [user.token, second.access]) {
      assert.equal((await whoami({ token })).status, 401);
    }
    assert.equal((await refreshWith(user.refresh)).status, 401);
    assert.deepEqual((await login(base, user.username, user.password)).body, { detail: "Incorrect username or password" });
    assert.equal((await login(base, user.username, "set-by-the-admin")).status, 200);
    // The admin's own session is untouched.
    assert.equal((await whoami({ token: admin.token })).status, 200);
  });

  it("an admin setting their own password keeps the session doing it and ends their others", async () => {
    const other = await makeUser(base, admin.token, "selfsetter");
    await call(base, `/api/v1/users/${other.id}`, { method: "PATCH", json: { is_superuser: true }, token: admin.token });
    const current = await login(base, other.username, other.password);
    const res = await call(base, `/api/v1/users/${other.id}`, { method: "PATCH", json: { password: "selfsetter-new-pw" }, token: current.access });
    assert.equal(res.status, 200);
    assert.equal((await whoami({ token: current.access })).status, 200);
    assert.equal((await whoami({ token: other.token })).status, 401);
    assert.equal((await login(base, other.username, "selfsetter-new-pw")).status, 200);
  });

  it("a profile change does not end any session", async () => {
    const user = await makeUser(base, admin.token, "profileonly");
    const res = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { profile_image: "x.png" }, token: admin.token });
    assert.equal(res.status, 200);
    assert.equal((await whoami({ token: user.token })).status, 200);
  });
});

describe("after the worker restarts", () => {
  it("users, tokens and refresh tokens issued before still work", async () => {
    const user = await makeUser(base, admin.token, "survivor");
    const before = await call(base, "/api/v1/users/?limit=200", { token: admin.token });
    assert.equal(before.status, 200);

    worker = await worker.restart();
    base = worker.url;

    const me = await whoami({ token: user.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, "survivor");
    assert.equal((await whoami({ token: admin.token })).status, 200);
    const list = await call(base, "/api/v1/users/?limit=200", { token: admin.token });
    assert.equal(list.status, 200);
    assert.equal(list.body.total_count, before.body.total_count);
    assert.deepEqual(list.body.users.map((u) => u.id), before.body.users.map((u) => u.id));
    const refreshed = await refreshWith(user.refresh);
    assert.equal(refreshed.status, 200);
    assert.equal((await login(base, user.username, user.password)).status, 200);
    assert.equal((await login(base, ADMIN.username, ADMIN.password)).status, 200);
  });
});
