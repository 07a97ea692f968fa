// /api/v1/users/...: signup and creation, listing, whoami, read, the PATCH rules of the observed
// spec §4.3, privilege escalation attempts, reset-password, deletion (deviation 8) and 20
// concurrent creations of one username.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, call, login, makeUser, ADMIN, UUID_RE, signInAdmin } from "./harness.mjs";

const USER_READ_KEYS = [
  "create_at", "id", "is_active", "is_superuser", "last_login_at", "optins", "profile_image", "store_api_key", "updated_at", "username",
].sort();
const DEFAULT_OPTINS = { github_starred: false, dialog_dismissed: false, discord_clicked: false };
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const TAKEN = { detail: "This username is unavailable." };
const NOT_FOUND = { detail: "User not found" };
const PERMISSION_DENIED = { detail: "Permission denied" };

let worker;
let base;
let admin; // { id, token }

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
});

after(async () => {
  await worker?.destroy();
});

const patch = (id, json, auth) => call(base, `/api/v1/users/${id}`, { method: "PATCH", json, ...auth });
const create = (json, auth = {}) => call(base, "/api/v1/users/", { method: "POST", json, ...auth });

describe("POST /api/v1/users/", () => {
  it("public signup: 201, Location, Langflow's UserRead, inactive and never a superuser", async () => {
    const res = await create({ username: "signup1", password: "signup1-password", is_superuser: true, is_active: true });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `/api/v1/users/${res.body.id}`);
    assert.deepEqual(Object.keys(res.body).sort(), USER_READ_KEYS);
    assert.match(res.body.id, UUID_RE);
    assert.equal(res.body.username, "signup1");
    assert.equal(res.body.is_active, false);
    assert.equal(res.body.is_superuser, false);
    assert.equal(res.body.profile_image, null);
    assert.equal(res.body.store_api_key, null);
    assert.equal(res.body.last_login_at, null);
    assert.deepEqual(res.body.optins, DEFAULT_OPTINS);
    assert.match(res.body.create_at, TIMESTAMP);
    assert.match(res.body.updated_at, TIMESTAMP);
    assert.equal(res.body.password, undefined);
  });

  it("an admin creates users the same way: inactive (NEW_USER_IS_ACTIVE=False), not superuser", async () => {
    const res = await create({ username: "byadmin", password: "byadmin-password", is_superuser: true }, { token: admin.token });
    assert.equal(res.status, 201);
    assert.equal(res.body.is_active, false);
    assert.equal(res.body.is_superuser, false);
  });

  it("keeps given optins", async () => {
    const optins = { github_starred: true, dialog_dismissed: false, discord_clicked: true };
    const res = await create({ username: "withoptins", password: "withoptins-password", optins });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.optins, optins);
  });

  it("refuses a taken username, ignoring case", async () => {
    assert.equal((await create({ username: "alice", password: "alice-password-1" })).status, 201);
    for (const username of ["alice", "ALICE", "Alice"]) {
      const res = await create({ username, password: "another-password" });
      assert.equal(res.status, 400, username);
      assert.deepEqual(res.body, TAKEN);
    }
    const taken = await create({ username: ADMIN.username.toUpperCase(), password: "another-password" });
    assert.deepEqual([taken.status, taken.body], [400, TAKEN]);
  });

  it("needs username and password (422)", async () => {
    const noPassword = await create({ username: "nopassword" });
    assert.equal(noPassword.status, 422);
    assert.deepEqual(noPassword.body.detail[0].loc, ["body", "password"]);
    const noUsername = await create({ password: "some-password" });
    assert.equal(noUsername.status, 422);
    assert.deepEqual(noUsername.body.detail[0].loc, ["body", "username"]);
  });

  it("applies the password policy (400)", async () => {
    const short = await create({ username: "shortpw", password: "1234567" });
    assert.deepEqual([short.status, short.body], [400, { detail: "Password must be at least 8 characters long." }]);
    const long = await create({ username: "longpw", password: "x".repeat(4097) });
    assert.deepEqual([long.status, long.body], [400, { detail: "Password must be at most 4096 characters long." }]);
    const nul = await create({ username: "nulpw", password: "abcd\u0000efgh" });
    assert.deepEqual([nul.status, nul.body], [400, { detail: "Password must not contain NUL characters." }]);
    const empty = await create({ username: "emptypw", password: "" });
    assert.deepEqual([empty.status, empty.body], [400, { detail: "Password must be at least 8 characters long." }]);
    // None of them was created.
    const list = await call(base, "/api/v1/users/?search=pw", { token: admin.token });
    assert.equal(list.body.total_count, 0);
    // The limits themselves are fine.
    assert.equal((await create({ username: "exactly8", password: "12345678" })).status, 201);
    assert.equal((await create({ username: "exactly4096", password: "y".repeat(4096) })).status, 201);
  });

  it("20 concurrent creations of one username: exactly one 201", async () => {
    const names = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? "Racer" : i % 3 === 1 ? "racer" : "RACER"));
    const results = await Promise.all(names.map((username, i) => create({ username, password: `racer-password-${i}` })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
    for (const res of results.filter((r) => r.status !== 201)) {
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, TAKEN);
    }
    const list = await call(base, "/api/v1/users/?search=acer", { token: admin.token });
    assert.equal(list.body.total_count, 1);
  });
});

describe("GET /api/v1/users/whoami", () => {
  it("answers the caller's UserRead", async () => {
    const res = await call(base, "/api/v1/users/whoami", { token: admin.token });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), USER_READ_KEYS);
    assert.equal(res.body.id, admin.id);
    assert.equal(res.body.username, ADMIN.username);
    assert.equal(res.body.is_superuser, true);
    assert.equal(res.body.is_active, true);
  });

  it("without credentials: 403", async () => {
    const res = await call(base, "/api/v1/users/whoami");
    assert.deepEqual([res.status, res.body], [403, { detail: "No authentication credentials provided" }]);
  });
});

describe("GET /api/v1/users/ (admin)", () => {
  before(async () => {
    for (const username of ["list-c", "list-a", "list-e", "list-b", "list-d"]) {
      assert.equal((await create({ username, password: `${username}-password` })).status, 201);
    }
  });

  it("a normal user gets 403 with X-Langflow-Error-Code", async () => {
    const user = await makeUser(base, admin.token, "notadmin");
    const res = await call(base, "/api/v1/users/", { token: user.token });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "The user doesn't have enough privileges" });
    assert.equal(res.headers.get("x-langflow-error-code"), "administration_denied");
  });

  it("without credentials: 403", async () => {
    const res = await call(base, "/api/v1/users/");
    assert.deepEqual([res.status, res.body], [403, { detail: "No authentication credentials provided" }]);
  });

  it("lists users ordered by username, with total_count and deletion_requests", async () => {
    const res = await call(base, "/api/v1/users/?limit=200", { token: admin.token });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ["deletion_requests", "total_count", "users"]);
    assert.deepEqual(res.body.deletion_requests, {});
    assert.equal(res.body.total_count, res.body.users.length);
    const names = res.body.users.map((u) => u.username);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.ok(names.includes(ADMIN.username));
    for (const user of res.body.users) assert.deepEqual(Object.keys(user).sort(), USER_READ_KEYS);
  });

  it("defaults to 10 per page", async () => {
    const res = await call(base, "/api/v1/users/", { token: admin.token });
    assert.equal(res.status, 200);
    assert.ok(res.body.total_count > 10);
    assert.equal(res.body.users.length, 10);
  });

  it("paginates with skip and limit", async () => {
    const page1 = await call(base, "/api/v1/users/?search=list-&skip=0&limit=2", { token: admin.token });
    const page2 = await call(base, "/api/v1/users/?search=list-&skip=2&limit=2", { token: admin.token });
    const page3 = await call(base, "/api/v1/users/?search=list-&skip=4&limit=2", { token: admin.token });
    assert.deepEqual(page1.body.users.map((u) => u.username), ["list-a", "list-b"]);
    assert.deepEqual(page2.body.users.map((u) => u.username), ["list-c", "list-d"]);
    assert.deepEqual(page3.body.users.map((u) => u.username), ["list-e"]);
    for (const page of [page1, page2, page3]) assert.equal(page.body.total_count, 5);
    const beyond = await call(base, "/api/v1/users/?search=list-&skip=50", { token: admin.token });
    assert.equal(beyond.status, 200);
    assert.deepEqual(beyond.body.users, []);
    assert.equal(beyond.body.total_count, 5);
  });

  it("searches by part of the username, also as ?username=", async () => {
    const res = await call(base, "/api/v1/users/?search=st-c", { token: admin.token });
    assert.deepEqual(res.body.users.map((u) => u.username), ["list-c"]);
    assert.equal(res.body.total_count, 1);
    const byName = await call(base, "/api/v1/users/?username=list-d", { token: admin.token });
    assert.deepEqual(byName.body.users.map((u) => u.username), ["list-d"]);
    const none = await call(base, "/api/v1/users/?search=no-such-user", { token: admin.token });
    assert.deepEqual([none.body.total_count, none.body.users], [0, []]);
  });

  it("LIKE wildcards in the search are literal", async () => {
    for (const search of ["%", "_", "list_a"]) {
      const res = await call(base, `/api/v1/users/?search=${encodeURIComponent(search)}`, { token: admin.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.total_count, 0, search);
    }
  });

  it("refuses limit > 200, limit < 1, skip < 0 and non-numbers with 422", async () => {
    for (const [query, loc] of [["limit=201", "limit"], ["limit=0", "limit"], ["skip=-1", "skip"], ["limit=ten", "limit"], ["skip=1.5", "skip"]]) {
      const res = await call(base, `/api/v1/users/?${query}`, { token: admin.token });
      assert.equal(res.status, 422, query);
      assert.deepEqual(res.body.detail[0].loc, ["query", loc], query);
    }
    assert.equal((await call(base, "/api/v1/users/?limit=200", { token: admin.token })).status, 200);
  });
});

describe("GET /api/v1/users/{id}", () => {
  let alice;
  let bob;
  before(async () => {
    alice = await makeUser(base, admin.token, "reader-alice");
    bob = await makeUser(base, admin.token, "reader-bob");
  });

  it("a user reads themselves", async () => {
    const res = await call(base, `/api/v1/users/${alice.id}`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.username, "reader-alice");
  });

  it("a user may not read another user", async () => {
    const res = await call(base, `/api/v1/users/${bob.id}`, { token: alice.token });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "Permission denied: user:manage is required." });
  });

  it("an admin reads anyone", async () => {
    const res = await call(base, `/api/v1/users/${bob.id}`, { token: admin.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.username, "reader-bob");
  });

  it("an unknown id is 404 'User not found'; a malformed one 422", async () => {
    const unknown = await call(base, `/api/v1/users/${randomUUID()}`, { token: admin.token });
    assert.deepEqual([unknown.status, unknown.body], [404, NOT_FOUND]);
    const malformed = await call(base, "/api/v1/users/not-a-uuid", { token: admin.token });
    assert.equal(malformed.status, 422);
    assert.deepEqual(malformed.body.detail[0].loc, ["path", "user_id"]);
  });
});

describe("PATCH /api/v1/users/{id} (observed spec §4.3)", () => {
  let alice;
  let bob;
  before(async () => {
    alice = await makeUser(base, admin.token, "patch-alice");
    bob = await makeUser(base, admin.token, "patch-bob");
  });

  it("nobody deactivates themselves, admins included", async () => {
    const mine = await patch(alice.id, { is_active: false }, { token: alice.token });
    assert.deepEqual([mine.status, mine.body], [403, { detail: "You can't deactivate your own user account" }]);
    const admins = await patch(admin.id, { is_active: false }, { token: admin.token });
    assert.deepEqual([admins.status, admins.body], [403, { detail: "You can't deactivate your own user account" }]);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: alice.token })).body.is_active, true);
  });

  it("a normal user may not patch another user", async () => {
    const res = await patch(bob.id, { profile_image: "hacked.png" }, { token: alice.token });
    assert.deepEqual([res.status, res.body], [403, PERMISSION_DENIED]);
    assert.equal(res.headers.get("x-langflow-error-code"), "administration_denied");
    const deactivate = await patch(bob.id, { is_active: false }, { token: alice.token });
    assert.deepEqual([deactivate.status, deactivate.body], [403, PERMISSION_DENIED]);
    const password = await patch(bob.id, { password: "taken-over-password" }, { token: alice.token });
    assert.deepEqual([password.status, password.body], [403, PERMISSION_DENIED]);
    assert.equal((await login(base, bob.username, bob.password)).status, 200);
    assert.equal((await call(base, `/api/v1/users/${bob.id}`, { token: admin.token })).body.profile_image, null);
  });

  it("a normal user may not make themselves (or anyone) a superuser", async () => {
    for (const value of [true, "true", 1]) {
      const res = await patch(alice.id, { is_superuser: value }, { token: alice.token });
      assert.equal(res.status, 403, JSON.stringify(value));
      assert.deepEqual(res.body, { detail: "Only a superuser may promote or demote platform superusers" });
      assert.equal(res.headers.get("x-langflow-error-code"), "superuser_required");
    }
    const other = await patch(bob.id, { is_superuser: true }, { token: alice.token });
    assert.deepEqual([other.status, other.body], [403, PERMISSION_DENIED]);
    const me = await call(base, "/api/v1/users/whoami", { token: alice.token });
    assert.equal(me.body.is_superuser, false);
    const list = await call(base, "/api/v1/users/", { token: alice.token });
    assert.equal(list.status, 403);
  });

  it("a normal user may not set their password here", async () => {
    const res = await patch(alice.id, { password: "alice-new-password" }, { token: alice.token });
    assert.deepEqual([res.status, res.body], [400, { detail: "You can't change your password here" }]);
    assert.equal((await login(base, alice.username, alice.password)).status, 200);
  });

  it("a user edits their own profile: username, profile_image, optins, is_active:true", async () => {
    const optins = { github_starred: true, dialog_dismissed: true, discord_clicked: false };
    const res = await patch(alice.id, { username: "patch-alice2", profile_image: "alice.png", optins, is_active: true, is_superuser: false }, { token: alice.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.username, "patch-alice2");
    assert.equal(res.body.profile_image, "alice.png");
    assert.deepEqual(res.body.optins, optins);
    assert.equal(res.body.is_superuser, false);
    assert.equal((await login(base, "patch-alice2", alice.password)).status, 200);
    assert.equal((await login(base, "patch-alice", alice.password)).status, 401);
    const back = await patch(alice.id, { username: "patch-alice" }, { token: alice.token });
    assert.equal(back.status, 200);
  });

  it("an empty body is 200 and bumps updated_at", async () => {
    const before = await call(base, "/api/v1/users/whoami", { token: bob.token });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await patch(bob.id, {}, { token: bob.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.username, bob.username);
    assert.notEqual(res.body.updated_at, before.body.updated_at);
    assert.equal(res.body.create_at, before.body.create_at);
  });

  it("renaming to a taken name (any case) is 400", async () => {
    const res = await patch(alice.id, { username: "PATCH-BOB" }, { token: alice.token });
    assert.deepEqual([res.status, res.body], [400, TAKEN]);
    const byAdmin = await patch(alice.id, { username: ADMIN.username }, { token: admin.token });
    assert.deepEqual([byAdmin.status, byAdmin.body], [400, TAKEN]);
    // Changing only the case of one's own name is allowed.
    const ownCase = await patch(bob.id, { username: "Patch-Bob" }, { token: bob.token });
    assert.equal(ownCase.status, 200);
    assert.equal(ownCase.body.username, "Patch-Bob");
    bob.username = "Patch-Bob";
  });

  it("an empty username is 400", async () => {
    const res = await patch(alice.id, { username: "" }, { token: alice.token });
    assert.deepEqual([res.status, res.body], [400, { detail: "Username cannot be empty." }]);
  });

  it("an unknown id is 404 for an admin", async () => {
    const res = await patch(randomUUID(), { profile_image: "x.png" }, { token: admin.token });
    assert.deepEqual([res.status, res.body], [404, NOT_FOUND]);
  });

  it("an admin sets a password (policy applies), promotes, demotes and deactivates", async () => {
    const carol = await makeUser(base, admin.token, "patch-carol");
    const weak = await patch(carol.id, { password: "short" }, { token: admin.token });
    assert.deepEqual([weak.status, weak.body], [400, { detail: "Password must be at least 8 characters long." }]);
    assert.equal((await login(base, carol.username, carol.password)).status, 200);

    const promoted = await patch(carol.id, { is_superuser: true }, { token: admin.token });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.is_superuser, true);
    // At once, with the token she already had.
    assert.equal((await call(base, "/api/v1/users/", { token: carol.token })).status, 200);
    // A superuser may demote another superuser, including the bootstrap one.
    const demoteAdmin = await patch(admin.id, { is_superuser: false }, { token: carol.token });
    assert.equal(demoteAdmin.status, 200);
    assert.equal((await call(base, "/api/v1/users/", { token: admin.token })).status, 403);
    const restore = await patch(admin.id, { is_superuser: true }, { token: carol.token });
    assert.equal(restore.status, 200);
    assert.equal((await call(base, "/api/v1/users/", { token: admin.token })).status, 200);

    const demoted = await patch(carol.id, { is_superuser: false }, { token: admin.token });
    assert.equal(demoted.body.is_superuser, false);
    assert.equal((await call(base, "/api/v1/users/", { token: carol.token })).status, 403);

    const deactivated = await patch(carol.id, { is_active: false }, { token: admin.token });
    assert.equal(deactivated.status, 200);
    assert.equal(deactivated.body.is_active, false);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: carol.token })).status, 401);
  });

  it("a demoted admin loses admin rights on their existing token at once", async () => {
    const dave = await makeUser(base, admin.token, "patch-dave");
    await patch(dave.id, { is_superuser: true }, { token: admin.token });
    const victim = await makeUser(base, admin.token, "patch-victim");
    await patch(dave.id, { is_superuser: false }, { token: admin.token });
    const del = await call(base, `/api/v1/users/${victim.id}`, { method: "DELETE", token: dave.token });
    assert.deepEqual([del.status, del.body], [403, PERMISSION_DENIED]);
  });
});

describe("PATCH /api/v1/users/{id}/reset-password", () => {
  let erin;
  let frank;
  before(async () => {
    erin = await makeUser(base, admin.token, "reset-erin");
    frank = await makeUser(base, admin.token, "reset-frank");
  });
  const reset = (id, json, token) => call(base, `/api/v1/users/${id}/reset-password`, { method: "PATCH", json, token });

  it("only for yourself: another user's id is 404, even for an admin", async () => {
    const res = await reset(frank.id, { current_password: erin.password, password: "erin-new-password" }, erin.token);
    assert.deepEqual([res.status, res.body], [404, { detail: "You can't change another user's password" }]);
    const byAdmin = await reset(frank.id, { current_password: ADMIN.password, password: "frank-by-admin-1" }, admin.token);
    assert.deepEqual([byAdmin.status, byAdmin.body], [404, { detail: "You can't change another user's password" }]);
    assert.equal((await login(base, frank.username, frank.password)).status, 200);
  });

  it("the current password must be right", async () => {
    const res = await reset(erin.id, { current_password: "not-my-password", password: "erin-new-password" }, erin.token);
    assert.deepEqual([res.status, res.body], [400, { detail: "Current password is incorrect" }]);
  });

  it("the new password must differ and follow the policy", async () => {
    const same = await reset(erin.id, { current_password: erin.password, password: erin.password }, erin.token);
    assert.deepEqual([same.status, same.body], [400, { detail: "You can't use your current password" }]);
    const short = await reset(erin.id, { current_password: erin.password, password: "short" }, erin.token);
    assert.deepEqual([short.status, short.body], [400, { detail: "Password must be at least 8 characters long." }]);
  });

  it("needs both fields (422) and credentials (403)", async () => {
    const missing = await reset(erin.id, { password: "erin-new-password" }, erin.token);
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.detail[0].loc, ["body", "current_password"]);
    const anonymous = await reset(erin.id, { current_password: erin.password, password: "erin-new-password" });
    assert.equal(anonymous.status, 403);
  });

  it("changes the password", async () => {
    const res = await reset(erin.id, { current_password: erin.password, password: "erin-new-password" }, erin.token);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, erin.id);
    assert.equal(res.body.password, undefined);
    assert.deepEqual((await login(base, erin.username, erin.password)).body, { detail: "Incorrect username or password" });
    assert.equal((await login(base, erin.username, "erin-new-password")).status, 200);
  });
});

describe("DELETE /api/v1/users/{id}", () => {
  it("an admin deletes a user: 202, their tokens and login stop working, GET and a 2nd DELETE 404", async () => {
    const gone = await makeUser(base, admin.token, "deleted-user");
    const key = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "k" }, token: gone.token });
    assert.equal(key.status, 200);
    const res = await call(base, `/api/v1/users/${gone.id}`, { method: "DELETE", token: admin.token });
    assert.equal(res.status, 202);
    assert.deepEqual(Object.keys(res.body).sort(), ["detail", "request_id"]);
    assert.equal(res.body.detail, "User deletion started");
    assert.match(res.body.request_id, UUID_RE);

    const me = await call(base, "/api/v1/users/whoami", { token: gone.token });
    assert.equal(me.status, 401);
    const refresh = await call(base, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${gone.refresh}` });
    assert.equal(refresh.status, 401);
    const byKey = await call(base, "/api/v1/users/whoami", { apiKey: key.body.api_key });
    assert.deepEqual([byKey.status, byKey.body], [403, { detail: "Invalid API key" }]);
    const again = await login(base, gone.username, gone.password);
    assert.deepEqual([again.status, again.body], [401, { detail: "Incorrect username or password" }]);
    const read = await call(base, `/api/v1/users/${gone.id}`, { token: admin.token });
    assert.deepEqual([read.status, read.body], [404, NOT_FOUND]);
    const second = await call(base, `/api/v1/users/${gone.id}`, { method: "DELETE", token: admin.token });
    assert.deepEqual([second.status, second.body], [404, NOT_FOUND]);
    // The name is free again.
    assert.equal((await create({ username: "deleted-user", password: "a-new-password" })).status, 201);
  });

  it("an admin may not delete themselves", async () => {
    const res = await call(base, `/api/v1/users/${admin.id}`, { method: "DELETE", token: admin.token });
    assert.deepEqual([res.status, res.body], [400, { detail: "You can't delete your own user account" }]);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: admin.token })).status, 200);
  });

  it("a normal user may delete nobody, not even themselves", async () => {
    const gina = await makeUser(base, admin.token, "delete-gina");
    const other = await makeUser(base, admin.token, "delete-other");
    for (const id of [other.id, gina.id, admin.id]) {
      const res = await call(base, `/api/v1/users/${id}`, { method: "DELETE", token: gina.token });
      assert.deepEqual([res.status, res.body], [403, PERMISSION_DENIED]);
      assert.equal(res.headers.get("x-langflow-error-code"), "administration_denied");
    }
    assert.equal((await call(base, `/api/v1/users/${other.id}`, { token: admin.token })).status, 200);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: gina.token })).status, 200);
  });

  it("unknown id 404, malformed id 422, no credentials 403", async () => {
    const unknown = await call(base, `/api/v1/users/${randomUUID()}`, { method: "DELETE", token: admin.token });
    assert.deepEqual([unknown.status, unknown.body], [404, NOT_FOUND]);
    const malformed = await call(base, "/api/v1/users/123", { method: "DELETE", token: admin.token });
    assert.equal(malformed.status, 422);
    const anonymous = await call(base, `/api/v1/users/${admin.id}`, { method: "DELETE" });
    assert.equal(anonymous.status, 403);
  });
});
