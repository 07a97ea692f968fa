// POST /api/v1/login, GET /api/v1/auto_login (off), POST /api/v1/logout, GET /api/v1/session:
// answers, cookies and their attributes, account activation (deviation 2) and CSRF (deviation 7).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, call, login, makeUser, cookieValue, findCookie, decodeJwt, ADMIN, UUID_RE, signInAdmin
} from "./harness.mjs";

const CROSS_SITE = "Cross-site request refused: this request came from another site.";
const WRONG = { detail: "Incorrect username or password" };

let worker;
let base;
let admin; // { token, id }

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
});

after(async () => {
  await worker?.destroy();
});

/** Seconds between an `expires=` attribute and now. */
function secondsFromNow(httpDate) {
  return (Date.parse(httpDate) - Date.now()) / 1000;
}

/** Creates a user by public signup (inactive: LANGFLOW_NEW_USER_IS_ACTIVE is unset = False). */
async function signup(username, password = `${username}-password-1`) {
  const res = await call(base, "/api/v1/users/", { method: "POST", json: { username, password } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.id, username, password, body: res.body };
}

describe("POST /api/v1/login", () => {
  it("answers a token pair for the right password", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ["access_token", "refresh_token", "token_type"]);
    assert.equal(res.body.token_type, "bearer");
    const access = decodeJwt(res.access);
    const refresh = decodeJwt(res.refresh);
    assert.equal(access.header.alg, "HS256");
    assert.equal(access.header.typ, "JWT");
    assert.equal(access.payload.sub, admin.id);
    assert.equal(access.payload.type, "access");
    assert.equal(refresh.payload.type, "refresh");
    assert.equal(refresh.payload.sub, admin.id);
    // Deviation 1: both tokens name the same session.
    assert.match(access.payload.sid, UUID_RE);
    assert.equal(refresh.payload.sid, access.payload.sid);
    const now = Date.now() / 1000;
    assert.ok(Math.abs(access.payload.exp - (now + 3600)) < 120, "access token lives 1 h");
    assert.ok(Math.abs(refresh.payload.exp - (now + 604800)) < 120, "refresh token lives 7 d");
  });

  it("sets Langflow's three cookies with their attributes", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password);
    assert.equal(res.status, 200);
    assert.equal(res.cookies.length, 3);
    const refresh = findCookie(res.cookies, "refresh_token_lf");
    const access = findCookie(res.cookies, "access_token_lf");
    const store = findCookie(res.cookies, "apikey_tkn_lflw");
    assert.equal(refresh.value, res.refresh);
    assert.equal(access.value, res.access);
    assert.equal(store.value, "None");
    for (const cookie of [refresh, access, store]) {
      assert.equal(cookie.attrs.httponly, true, `${cookie.name} HttpOnly`);
      assert.equal(cookie.attrs.path, "/", `${cookie.name} Path`);
      assert.equal(cookie.attrs.samesite, "lax", `${cookie.name} SameSite`);
      assert.equal(cookie.attrs.secure, undefined, `${cookie.name} not Secure by default`);
      assert.equal(cookie.attrs["max-age"], undefined, `${cookie.name} has expires= only`);
    }
    assert.ok(Math.abs(secondsFromNow(refresh.attrs.expires) - 604800) < 120, refresh.attrs.expires);
    assert.ok(Math.abs(secondsFromNow(access.attrs.expires) - 3600) < 120, access.attrs.expires);
    assert.equal(store.attrs.expires, undefined);
  });

  it("the access cookie alone authenticates whoami", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password);
    const cookie = `access_token_lf=${cookieValue(res.cookies, "access_token_lf")}`;
    const me = await call(base, "/api/v1/users/whoami", { cookie });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, ADMIN.username);
  });

  it("records last_login_at", async () => {
    const user = await makeUser(base, admin.token, "lastlogin");
    const me = await call(base, "/api/v1/users/whoami", { token: user.token });
    assert.equal(me.status, 200);
    assert.match(me.body.last_login_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("refuses a wrong password with 401 and WWW-Authenticate: Bearer", async () => {
    const res = await login(base, ADMIN.username, "not-the-password");
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, WRONG);
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
    assert.equal(res.cookies.length, 0);
  });

  it("answers an unknown user exactly as a wrong password", async () => {
    const res = await login(base, "nobody-here", "whatever-password");
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, WRONG);
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  });

  it("matches the username case-sensitively", async () => {
    const res = await login(base, ADMIN.username.toUpperCase(), ADMIN.password);
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, WRONG);
  });

  it("refuses an empty password", async () => {
    const res = await login(base, ADMIN.username, "");
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, WRONG);
  });

  it("needs both form fields (422 naming the missing one)", async () => {
    const noPassword = await call(base, "/api/v1/login", { method: "POST", form: { username: ADMIN.username } });
    assert.equal(noPassword.status, 422);
    assert.deepEqual(noPassword.body.detail[0].loc, ["body", "password"]);
    assert.equal(noPassword.body.detail[0].type, "missing");
    const noUsername = await call(base, "/api/v1/login", { method: "POST", form: { password: ADMIN.password } });
    assert.equal(noUsername.status, 422);
    assert.deepEqual(noUsername.body.detail[0].loc, ["body", "username"]);
  });

  it("takes a form, not JSON (422)", async () => {
    const res = await call(base, "/api/v1/login", { method: "POST", json: { username: ADMIN.username, password: ADMIN.password } });
    assert.equal(res.status, 422);
    assert.ok(Array.isArray(res.body.detail));
    assert.equal(res.cookies.length, 0);
  });

  it("is POST only: GET /api/v1/login is 404 Not Found", async () => {
    const res = await call(base, "/api/v1/login");
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { detail: "Not Found" });
  });
});

describe("account activation (LANGFLOW_NEW_USER_IS_ACTIVE unset = False, deviation 2)", () => {
  it("a new user waits for approval, told only with the right password", async () => {
    const user = await signup("pending");
    assert.equal(user.body.is_active, false);
    const right = await login(base, user.username, user.password);
    assert.equal(right.status, 400);
    assert.deepEqual(right.body, { detail: "Waiting for approval" });
    assert.equal(right.cookies.length, 0);
    const wrong = await login(base, user.username, "wrong-password-1");
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, WRONG);
    assert.equal(wrong.headers.get("www-authenticate"), "Bearer");
    const unknown = await login(base, "pending-unknown", "wrong-password-1");
    assert.deepEqual([unknown.status, unknown.body], [wrong.status, wrong.body]);
  });

  it("activated, the user logs in; deactivated after a login, 'Inactive user'", async () => {
    const user = await signup("activated");
    const activate = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { is_active: true }, token: admin.token });
    assert.equal(activate.status, 200);
    assert.equal(activate.body.is_active, true);
    const first = await login(base, user.username, user.password);
    assert.equal(first.status, 200);
    const me = await call(base, "/api/v1/users/whoami", { token: first.access });
    assert.equal(me.status, 200);

    const deactivate = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { is_active: false }, token: admin.token });
    assert.equal(deactivate.status, 200);
    assert.equal(deactivate.body.is_active, false);
    const again = await login(base, user.username, user.password);
    assert.equal(again.status, 401);
    assert.deepEqual(again.body, { detail: "Inactive user" });
    const wrong = await login(base, user.username, "wrong-password-1");
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, WRONG);
    // The tokens from before the deactivation no longer work (deviation 1: sessions revoked).
    const stale = await call(base, "/api/v1/users/whoami", { token: first.access });
    assert.equal(stale.status, 401);
    const staleRefresh = await call(base, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${first.refresh}` });
    assert.equal(staleRefresh.status, 401);
    const session = await call(base, "/api/v1/session", { token: first.access });
    assert.equal(session.body.authenticated, false);

    // Reactivated: logs in again.
    await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { is_active: true }, token: admin.token });
    const back = await login(base, user.username, user.password);
    assert.equal(back.status, 200);
  });
});

describe("GET /api/v1/auto_login with LANGFLOW_AUTO_LOGIN=False", () => {
  it("is 403 with Langflow's object detail", async () => {
    const res = await call(base, "/api/v1/auto_login");
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: { message: "Auto login is disabled.", auto_login: false } });
    assert.equal(res.cookies.length, 0);
  });
});

describe("POST /api/v1/logout", () => {
  it("always answers 200 and deletes the three cookies", async () => {
    const res = await call(base, "/api/v1/logout", { method: "POST" });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: "Logout successful" });
    assert.equal(res.cookies.length, 3);
    for (const name of ["refresh_token_lf", "access_token_lf", "apikey_tkn_lflw"]) {
      const cookie = findCookie(res.cookies, name);
      assert.ok(cookie, name);
      assert.equal(cookie.value, '""');
      assert.equal(cookie.attrs["max-age"], "0");
      assert.equal(cookie.attrs.httponly, true);
      assert.equal(cookie.attrs.path, "/");
      assert.equal(cookie.attrs.samesite, "lax");
      assert.ok(secondsFromNow(cookie.attrs.expires) <= 5);
    }
  });

  it("revokes the session: the access and refresh tokens are refused at once (deviation 1)", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: session.access })).status, 200);
    const out = await call(base, "/api/v1/logout", { method: "POST", token: session.access });
    assert.equal(out.status, 200);
    const whoami = await call(base, "/api/v1/users/whoami", { token: session.access });
    assert.equal(whoami.status, 401);
    assert.deepEqual(whoami.body, { detail: "Token has been revoked" });
    const refresh = await call(base, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${session.refresh}` });
    assert.equal(refresh.status, 401);
    assert.deepEqual(refresh.body, { detail: "Invalid refresh token" });
  });

  it("a browser logout (cookies only) revokes that session", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const cookie = `access_token_lf=${session.access}; refresh_token_lf=${session.refresh}`;
    const out = await call(base, "/api/v1/logout", { method: "POST", cookie });
    assert.equal(out.status, 200);
    assert.equal((await call(base, "/api/v1/users/whoami", { cookie })).status, 401);
  });

  it("a logout with the refresh cookie alone also ends the session", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const out = await call(base, "/api/v1/logout", { method: "POST", cookie: `refresh_token_lf=${session.refresh}` });
    assert.equal(out.status, 200);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: session.access })).status, 401);
  });

  it("does not end the user's other sessions", async () => {
    const one = await login(base, ADMIN.username, ADMIN.password);
    const two = await login(base, ADMIN.username, ADMIN.password);
    await call(base, "/api/v1/logout", { method: "POST", token: one.access });
    assert.equal((await call(base, "/api/v1/users/whoami", { token: one.access })).status, 401);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: two.access })).status, 200);
  });

  it("with a garbage token still answers 200", async () => {
    const res = await call(base, "/api/v1/logout", { method: "POST", token: "garbage", cookie: "refresh_token_lf=garbage" });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: "Logout successful" });
  });
});

describe("GET /api/v1/session", () => {
  const NOBODY = { authenticated: false, user: null, store_api_key: null };

  it("without credentials: not authenticated (200)", async () => {
    const res = await call(base, "/api/v1/session");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, NOBODY);
  });

  it("with a Bearer token or the access cookie: the user", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    for (const how of [{ token: session.access }, { cookie: `access_token_lf=${session.access}` }]) {
      const res = await call(base, "/api/v1/session", how);
      assert.equal(res.status, 200);
      assert.equal(res.body.authenticated, true);
      assert.equal(res.body.user.id, admin.id);
      assert.equal(res.body.user.username, ADMIN.username);
      assert.equal(res.body.store_api_key, null);
      assert.equal(res.body.user.password, undefined);
    }
  });

  it("with a bad, refresh or revoked token: not authenticated, never 401/403", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    for (const token of ["garbage", session.refresh]) {
      const res = await call(base, "/api/v1/session", { token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, NOBODY);
    }
    await call(base, "/api/v1/logout", { method: "POST", token: session.access });
    const res = await call(base, "/api/v1/session", { token: session.access });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, NOBODY);
  });
});

describe("CSRF (deviation 7)", () => {
  let user; // a normal, active user with its own tokens
  let cookie;
  before(async () => {
    user = await makeUser(base, admin.token, "csrfuser");
    cookie = `access_token_lf=${user.token}`;
  });

  it("a login form posted from another site is refused with 403", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password, { headers: { origin: "https://evil.example" } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: CROSS_SITE });
    assert.equal(res.cookies.length, 0);
  });

  it("a login with a foreign Referer (no Origin) is refused", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password, { headers: { referer: "https://evil.example/login" } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: CROSS_SITE });
  });

  it("a login marked Sec-Fetch-Site: cross-site is refused", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password, { headers: { "sec-fetch-site": "cross-site" } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: CROSS_SITE });
  });

  it("a login with Origin: null is refused", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password, { headers: { origin: "null" } });
    assert.equal(res.status, 403);
  });

  it("a login from the worker's own origin, or without browser headers, passes", async () => {
    const same = await login(base, ADMIN.username, ADMIN.password, { headers: { origin: base, "sec-fetch-site": "same-origin" } });
    assert.equal(same.status, 200);
    const referer = await login(base, ADMIN.username, ADMIN.password, { headers: { referer: `${base}/login` } });
    assert.equal(referer.status, 200);
    const plain = await login(base, ADMIN.username, ADMIN.password);
    assert.equal(plain.status, 200);
  });

  it("a cookie-authenticated PATCH from a foreign Origin is refused and changes nothing", async () => {
    const res = await call(base, `/api/v1/users/${user.id}`, {
      method: "PATCH", json: { profile_image: "evil.png" }, cookie, headers: { origin: "https://evil.example" },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: CROSS_SITE });
    const me = await call(base, "/api/v1/users/whoami", { token: user.token });
    assert.equal(me.body.profile_image, null);
  });

  it("a cookie-authenticated PATCH marked Sec-Fetch-Site: cross-site is refused", async () => {
    const res = await call(base, `/api/v1/users/${user.id}`, {
      method: "PATCH", json: { profile_image: "evil.png" }, cookie, headers: { "sec-fetch-site": "cross-site" },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: CROSS_SITE });
  });

  it("the same PATCH with a Bearer token passes", async () => {
    const res = await call(base, `/api/v1/users/${user.id}`, {
      method: "PATCH", json: { profile_image: "bearer.png" }, token: user.token, headers: { origin: "https://evil.example" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.profile_image, "bearer.png");
  });

  it("a cookie-authenticated PATCH from the same origin, or with no browser headers, passes", async () => {
    const same = await call(base, `/api/v1/users/${user.id}`, {
      method: "PATCH", json: { profile_image: "same.png" }, cookie, headers: { origin: base, "sec-fetch-site": "same-origin" },
    });
    assert.equal(same.status, 200);
    assert.equal(same.body.profile_image, "same.png");
    const plain = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { profile_image: "plain.png" }, cookie });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.profile_image, "plain.png");
  });

  it("a cookie-authenticated GET from another site is answered (reads change nothing)", async () => {
    const res = await call(base, "/api/v1/users/whoami", { cookie, headers: { origin: "https://evil.example" } });
    assert.equal(res.status, 200);
  });

  it("a cookie-authenticated admin DELETE from another site is refused; the user survives", async () => {
    const victim = await makeUser(base, admin.token, "csrfvictim");
    const res = await call(base, `/api/v1/users/${victim.id}`, {
      method: "DELETE", cookie: `access_token_lf=${admin.token}`, headers: { origin: "https://evil.example" },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: CROSS_SITE });
    const still = await call(base, `/api/v1/users/${victim.id}`, { token: admin.token });
    assert.equal(still.status, 200);
  });

  it("logout and refresh from another site are refused", async () => {
    const session = await login(base, ADMIN.username, ADMIN.password);
    const cookies = `access_token_lf=${session.access}; refresh_token_lf=${session.refresh}`;
    const out = await call(base, "/api/v1/logout", { method: "POST", cookie: cookies, headers: { origin: "https://evil.example" } });
    assert.equal(out.status, 403);
    const refresh = await call(base, "/api/v1/refresh", { method: "POST", cookie: cookies, headers: { "sec-fetch-site": "cross-site" } });
    assert.equal(refresh.status, 403);
    // Neither happened: the session is still live and its refresh token unused.
    assert.equal((await call(base, "/api/v1/users/whoami", { token: session.access })).status, 200);
    const ok = await call(base, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${session.refresh}` });
    assert.equal(ok.status, 200);
  });
});
