// Bad and unusual input: unknown routes, malformed forms and JSON, wrong content types, 1 MB
// bodies, unicode and SQL metacharacters in usernames. Every answer is a clear 4xx (or a success),
// never a 500 or a panic, and the worker keeps serving afterwards.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, call, login, makeUser, rawRequest, ADMIN, signInAdmin } from "./harness.mjs";

const NOT_FOUND = { detail: "Not Found" };
const TOO_LARGE = { detail: "Request body too large: the limit is 65536 bytes." };
const ONE_MB = 1024 * 1024;

let worker;
let base;
let admin; // { id, token }
let user; // a normal active user

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
  user = await makeUser(base, admin.token, "input-user");
});

after(async () => {
  await worker?.destroy();
});

/** A 422 in FastAPI's shape, located at `loc` when given. */
function assert422(res, loc) {
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.ok(Array.isArray(res.body.detail), JSON.stringify(res.body));
  for (const item of res.body.detail) {
    assert.equal(typeof item.type, "string");
    assert.equal(typeof item.msg, "string");
    assert.ok(Array.isArray(item.loc));
  }
  if (loc) assert.deepEqual(res.body.detail[0].loc, loc);
}

const raw = (path, method, contentType, body, auth = {}) => {
  const headers = { ...(contentType ? { "content-type": contentType } : {}) };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  return call(base, path, { method, headers, body });
};

describe("routes", () => {
  it("GET /health is 200 {status: ok}; /health_check also asks D1", async () => {
    const health = await call(base, "/health");
    assert.deepEqual([health.status, health.body], [200, { status: "ok" }]);
    const check = await call(base, "/health_check");
    assert.deepEqual([check.status, check.body], [200, { status: "ok", chat: "ok", db: "ok" }]);
  });

  it("unknown /api/v1 routes, and GETs of other methods' paths, are 404 {detail: Not Found}, with or without credentials", async () => {
    const cases = [
      ["GET", "/api/v1/login"],
      ["GET", "/api/v1/refresh"],
      ["GET", "/api/v1/logout"],
      ["GET", "/api/v1/does-not-exist"],
      ["POST", "/api/v1/does-not-exist"],
      ["GET", `/api/v1/users/${randomUUID()}/reset-password`],
      ["GET", "/api/v1/users/whoami/extra"],
      ["GET", "/api/v2/users/whoami"],
    ];
    for (const [method, path] of cases) {
      for (const auth of [{}, { token: admin.token }]) {
        const res = await call(base, path, { method, ...auth });
        assert.deepEqual([res.status, res.body], [404, NOT_FOUND], `${method} ${path}`);
      }
    }
  });

  it("a known path with another method is 405 {detail: Method Not Allowed} with Allow, as FastAPI answers", async () => {
    const cases = [
      ["POST", "/api/v1/session", "GET"],
      ["POST", "/api/v1/auto_login", "GET"],
      ["POST", "/api/v1/users/whoami", "GET"],
      ["PUT", `/api/v1/users/${randomUUID()}`, "GET, PATCH, DELETE"],
      ["POST", `/api/v1/users/${randomUUID()}/reset-password`, "PATCH"],
      ["DELETE", "/api/v1/users/", "GET, POST"],
      ["PUT", `/api/v1/flows/${randomUUID()}`, "GET, PATCH, DELETE"],
    ];
    for (const [method, path, allow] of cases) {
      for (const auth of [{}, { token: admin.token }]) {
        const res = await call(base, path, { method, ...auth });
        assert.deepEqual([res.status, res.body], [405, { detail: "Method Not Allowed" }], `${method} ${path}`);
        assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
      }
    }
  });

  it("paths match with or without a trailing slash", async () => {
    assert.equal((await call(base, "/api/v1/users/whoami/", { token: admin.token })).status, 200);
    assert.equal((await call(base, "/api/v1/users", { token: admin.token })).status, 200);
  });

  it("answers carry nosniff and no-store", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.match(res.headers.get("content-type"), /^application\/json/);
  });
});

describe("malformed login forms", () => {
  const post = (contentType, body) => raw("/api/v1/login", "POST", contentType, body);
  const FORM = "application/x-www-form-urlencoded";

  it("a bad percent escape or invalid UTF-8 is 422", async () => {
    for (const body of ["username=%zz&password=x", "username=%C3&password=x", "username=admin&password=%", "username=%E2%82&password=x"]) {
      assert422(await post(FORM, body));
    }
  });

  it("an empty body or a body without the fields is 422", async () => {
    assert422(await post(FORM, ""), ["body", "username"]);
    assert422(await post(FORM, "&&&"), ["body", "username"]);
    assert422(await post(FORM, "user=administrator&pass=securepassword"), ["body", "username"]);
  });

  it("other content types are 422: JSON, text, none", async () => {
    const form = `username=${ADMIN.username}&password=${ADMIN.password}`;
    assert422(await post("application/json", JSON.stringify(ADMIN)));
    assert422(await post("text/plain", form));
    assert422(await post(undefined, form));
  });

  it("a multipart form (curl -F) is answered without a 500", async () => {
    // FastAPI (Langflow) also reads multipart forms; the worker reads only URL-encoded ones today
    // (422). Either answer is acceptable here; a crash is not.
    const body = `--x\r\nContent-Disposition: form-data; name="username"\r\n\r\n${ADMIN.username}\r\n`
      + `--x\r\nContent-Disposition: form-data; name="password"\r\n\r\n${ADMIN.password}\r\n--x--\r\n`;
    const res = await post("multipart/form-data; boundary=x", body);
    assert.ok([200, 422].includes(res.status), String(res.status));
  });

  it("a form with a charset parameter, repeated or extra fields works (the first value counts)", async () => {
    const ok = await post(`${FORM}; charset=UTF-8`, `username=${ADMIN.username}&password=${ADMIN.password}&grant_type=password&scope=`);
    assert.equal(ok.status, 200);
    const repeated = await post(FORM, `username=${ADMIN.username}&password=${ADMIN.password}&password=wrong`);
    assert.equal(repeated.status, 200);
  });

  it("NUL, very long and odd characters in the credentials are a plain 401", async () => {
    for (const [username, password] of [
      [ADMIN.username, "secure\u0000password"],
      [ADMIN.username, "p".repeat(5000)],
      ["u".repeat(30000), "whatever-password"],
      ["\u0000", "\u0000"],
      ["😀", "🔑🔑🔑🔑🔑🔑🔑🔑"],
    ]) {
      const res = await login(base, username, password);
      assert.deepEqual([res.status, res.body], [401, { detail: "Incorrect username or password" }]);
    }
  });
});

describe("malformed JSON", () => {
  const JSON_CT = "application/json";
  const create = (contentType, body, auth) => raw("/api/v1/users/", "POST", contentType, body, auth);

  it("syntax errors, non-objects and empty bodies are 422", async () => {
    for (const body of ["{not json", '{"username": "x", "password": }', "[1,2]", '"string"', "null", "42", "", "   ", '{"username":"a"', "\xff\xfe"]) {
      assert422(await create(JSON_CT, body));
    }
  });

  it("deeply nested JSON is 422, not a crash", async () => {
    const nested = `{"username": ${"[".repeat(20000)}${"]".repeat(20000)}, "password": "deep-password"}`;
    assert422(await create(JSON_CT, nested));
  });

  it("wrong field types are 422 at the field", async () => {
    assert422(await create(JSON_CT, JSON.stringify({ username: 5, password: "number-username" })), ["body", "username"]);
    assert422(await create(JSON_CT, JSON.stringify({ username: "typed", password: ["a"] })), ["body", "password"]);
    assert422(await create(JSON_CT, JSON.stringify({ username: null, password: "null-username" })), ["body", "username"]);
    assert422(await create(JSON_CT, JSON.stringify({ username: "typed", password: "typed-password", optins: "yes" })), ["body", "optins"]);
    const patch = (json) => call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json, token: admin.token });
    assert422(await patch({ is_active: "maybe" }), ["body", "is_active"]);
    assert422(await patch({ is_superuser: 2 }), ["body", "is_superuser"]);
    assert422(await patch({ username: 12 }), ["body", "username"]);
    assert422(await patch({ profile_image: {} }), ["body", "profile_image"]);
  });

  it("a form or text body where JSON is expected is 422", async () => {
    assert422(await create("application/x-www-form-urlencoded", "username=formuser&password=formuser-password"));
    assert422(await create("text/plain", JSON.stringify({ username: "textuser", password: "textuser-password" })));
    const patch = await raw(`/api/v1/users/${user.id}`, "PATCH", "application/x-www-form-urlencoded", "profile_image=x", { token: admin.token });
    assert422(patch);
    const reset = await raw(`/api/v1/users/${user.id}/reset-password`, "PATCH", "text/plain", "{}", { token: user.token });
    assert422(reset);
  });

  it("none of these created a user", async () => {
    const list = await call(base, "/api/v1/users/?limit=200", { token: admin.token });
    assert.deepEqual(list.body.users.map((u) => u.username).sort(), [ADMIN.username, "input-user"].sort());
  });
});

describe("1 MB bodies", () => {
  const big = "a".repeat(ONE_MB);

  it("a 1 MB login form is 413", async () => {
    const res = await call(base, "/api/v1/login", { method: "POST", form: { username: ADMIN.username, password: big } });
    assert.deepEqual([res.status, res.body], [413, TOO_LARGE]);
  });

  it("a 1 MB JSON signup, PATCH and reset-password are 413", async () => {
    const signup = await call(base, "/api/v1/users/", { method: "POST", json: { username: "big", password: big } });
    assert.deepEqual([signup.status, signup.body], [413, TOO_LARGE]);
    const patch = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { profile_image: big }, token: user.token });
    assert.deepEqual([patch.status, patch.body], [413, TOO_LARGE]);
    const reset = await call(base, `/api/v1/users/${user.id}/reset-password`, {
      method: "PATCH", json: { current_password: user.password, password: big }, token: user.token,
    });
    assert.deepEqual([reset.status, reset.body], [413, TOO_LARGE]);
  });

  it("a 1 MB body sent chunked, without Content-Length, is 413 too", async () => {
    const res = await rawRequest(base, "/api/v1/users/", {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: JSON.stringify({ username: "chunked", password: big }),
    });
    assert.deepEqual([res.status, res.body], [413, TOO_LARGE]);
  });

  it("a large but allowed body is answered normally (password policy 400)", async () => {
    const res = await call(base, "/api/v1/users/", { method: "POST", json: { username: "biggish", password: "b".repeat(60000) } });
    assert.deepEqual([res.status, res.body], [400, { detail: "Password must be at most 4096 characters long." }]);
  });

  it("a 64 KB Bearer token is refused with 4xx", async () => {
    const res = await call(base, "/api/v1/users/whoami", { token: "x".repeat(64 * 1024) });
    assert.ok(res.status >= 400 && res.status < 500, String(res.status));
  });
});

describe("usernames", () => {
  it("unicode usernames are stored as given and log in", async () => {
    for (const username of ["Zoë Ñoño", "東京ユーザー", "пользователь", "用户🚀✨", "مستخدم", "e\u0301clair"]) {
      const created = await makeUser(base, admin.token, username, "unicode-password-1");
      const me = await call(base, "/api/v1/users/whoami", { token: created.token });
      assert.equal(me.status, 200, username);
      assert.equal(me.body.username, username);
    }
    const search = await call(base, `/api/v1/users/?search=${encodeURIComponent("東京")}`, { token: admin.token });
    assert.deepEqual(search.body.users.map((u) => u.username), ["東京ユーザー"]);
  });

  it("SQL metacharacters are just characters", async () => {
    const names = [
      "robert'); DROP TABLE \"user\";--",
      "' OR '1'='1",
      "admin'--",
      "50%_off\\",
      "\"; SELECT * FROM session; --",
      "`backtick` $1 ?1 :name",
    ];
    for (const username of names) {
      const created = await makeUser(base, admin.token, username, "sql-password-1");
      assert.ok(created.token, username);
      const me = await call(base, "/api/v1/users/whoami", { token: created.token });
      assert.equal(me.body.username, username);
      const read = await call(base, `/api/v1/users/${created.id}`, { token: admin.token });
      assert.equal(read.body.username, username);
    }
    // Injection attempts at login find nobody.
    for (const username of ["x' OR '1'='1' --", "administrator' --", "' OR 1=1; --"]) {
      const res = await login(base, username, "sql-password-1");
      assert.deepEqual([res.status, res.body], [401, { detail: "Incorrect username or password" }]);
    }
    const injectedSearch = await call(base, `/api/v1/users/?search=${encodeURIComponent("' OR '1'='1")}`, { token: admin.token });
    assert.deepEqual(injectedSearch.body.users.map((u) => u.username), ["' OR '1'='1"]);
    const percent = await call(base, `/api/v1/users/?search=${encodeURIComponent("%_")}`, { token: admin.token });
    assert.deepEqual(percent.body.users.map((u) => u.username), ["50%_off\\"]);
    // The tables are all still there.
    const list = await call(base, "/api/v1/users/?limit=200", { token: admin.token });
    assert.equal(list.status, 200);
    assert.ok(list.body.users.some((u) => u.username === ADMIN.username));
    assert.equal((await call(base, "/api/v1/users/whoami", { token: admin.token })).status, 200);
  });

  it("empty, blank, padded, control-character and over-long usernames are 400", async () => {
    const cases = [
      ["", "Username cannot be empty."],
      ["   ", "Username cannot be empty."],
      [" padded", "Username cannot start or end with spaces."],
      ["padded ", "Username cannot start or end with spaces."],
      ["line\nbreak", "Username cannot contain control characters."],
      ["nul\u0000byte", "Username cannot contain control characters."],
      ["tab\there", "Username cannot contain control characters."],
      ["u".repeat(151), "Username must be at most 150 characters long."],
    ];
    for (const [username, detail] of cases) {
      const res = await call(base, "/api/v1/users/", { method: "POST", json: { username, password: "valid-password" } });
      assert.deepEqual([res.status, res.body], [400, { detail }], JSON.stringify(username));
      const rename = await call(base, `/api/v1/users/${user.id}`, { method: "PATCH", json: { username }, token: user.token });
      assert.deepEqual([rename.status, rename.body], [400, { detail }], JSON.stringify(username));
    }
    assert.equal((await call(base, "/api/v1/users/", { method: "POST", json: { username: "u".repeat(150), password: "valid-password" } })).status, 201);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: user.token })).body.username, "input-user");
  });
});

describe("input the parsers used to take wrongly (issue 15)", () => {
  const FORM = "application/x-www-form-urlencoded";

  it("a percent escape with a sign (%+f) is 422, not byte 0x0F", async () => {
    for (const body of ["username=%+f&password=x", `username=${ADMIN.username}&password=secure%+fpassword`, "username=%-1&password=x"]) {
      assert422(await raw("/api/v1/login", "POST", FORM, body), ["body"]);
    }
  });

  it("a UUID with a + in it is 422 uuid_parsing, in paths and queries", async () => {
    for (const id of ["fe3fc46e-a31f-c9+5-57db-0a8956ad957e", "+0000000000000000000000000000000"]) {
      for (const [path, loc] of [
        [`/api/v1/users/${id}`, ["path", "user_id"]],
        [`/api/v1/flows/${id}`, ["path", "flow_id"]],
        [`/api/v1/flows/?folder_id=${encodeURIComponent(id)}`, ["query", "folder_id"]],
      ]) {
        const res = await call(base, path, { token: admin.token });
        assert422(res, loc);
        assert.equal(res.body.detail[0].type, "uuid_parsing", path);
      }
      const res = await call(base, `/api/v1/api_key/${id}`, { method: "DELETE", token: admin.token });
      assert422(res, ["path", "api_key_id"]);
    }
  });

  it("the login page never sends back to /login or /logout, however the path is spelled", async () => {
    for (const next of ["/logout/.", "/logout/./", "/logout/%2e", "/./logout", "/x/../logout", "/%6Cogout", "/.//logout", "/login/.", "/LOGIN"]) {
      const page = await call(base, `/login?next=${encodeURIComponent(next)}`);
      assert.equal(page.status, 200, next);
      assert.match(page.body, /name="next" value="\/flows"/, next);
      const res = await call(base, "/login", { method: "POST", form: { username: user.username, password: user.password, next } });
      assert.equal(res.status, 303, next);
      assert.equal(res.headers.get("location"), "/flows", next);
    }
    for (const next of ["/admin", "/login/..", "/settings/api-keys?x=1"]) {
      const res = await call(base, "/login", { method: "POST", form: { username: user.username, password: user.password, next } });
      assert.equal(res.headers.get("location"), next);
    }
  });
});

describe("odd paths and queries", () => {
  it("a malformed user id is 422 or 404, never 500", async () => {
    for (const segment of ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "'%20OR%201=1", "1".repeat(5000), `${randomUUID()}x`]) {
      const res = await call(base, `/api/v1/users/${segment}`, { token: admin.token });
      assert.ok([404, 422].includes(res.status), `${segment.slice(0, 40)}: ${res.status}`);
    }
  });

  it("odd query values are 422", async () => {
    for (const query of ["limit=%FF", "limit=1e3", "limit=", "skip=abc", "limit=99999999999999999999"]) {
      const res = await call(base, `/api/v1/users/?${query}`, { token: admin.token });
      assert.equal(res.status, 422, query);
    }
  });

  it("odd Authorization and Cookie headers are 401/403", async () => {
    for (const headers of [
      { authorization: "Bearer a.b.c" },
      { authorization: "Bearer ....." },
      { authorization: `Bearer ${"e30".repeat(100)}.e30.` },
      { cookie: "access_token_lf=\"quoted\"" },
      { cookie: "access_token_lf=; access_token_lf=junk" },
      { cookie: ";;;=;=" },
      { "x-api-key": "' OR '1'='1" },
    ]) {
      const res = await call(base, "/api/v1/users/whoami", { headers });
      assert.ok([401, 403].includes(res.status), `${JSON.stringify(headers)}: ${res.status}`);
    }
  });

  it("after all of it the worker still serves", async () => {
    assert.equal((await call(base, "/api/v1/users/whoami", { token: admin.token })).status, 200);
    assert.equal((await login(base, user.username, user.password)).status, 200);
    assert.ok(!/panicked|RuntimeError: unreachable/.test(worker.logs()), "no panic in the worker log");
  });
});
