// /api/v1/api_key/...: creating, listing (masked), deleting and storing keys, and authenticating
// with them (x-api-key header or ?x-api-key= query), Langflow §1, §2 and §5.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  startWorker, call, login, makeUser, cookieValue, findCookie, fernetDecrypt, pollUntil, ADMIN, signInAdmin
} from "./harness.mjs";

const INVALID_KEY = { detail: "Invalid API key" };
const NO_CREDENTIALS = { detail: "No authentication credentials provided" };
const INTERACTIVE = { detail: "Sign in interactively to change your password" };
const KEY_RE = /^sk-[A-Za-z0-9_-]{43}$/;
const CREATE_KEYS = ["api_key", "expires_at", "id", "is_active", "last_used_at", "name", "total_uses", "user_id"];
const LIST_KEYS = ["api_key", "created_at", "expires_at", "id", "is_active", "last_used_at", "name", "total_uses", "user_id"];

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

async function createKey(token, json = { name: "key" }) {
  const res = await call(base, "/api/v1/api_key/", { method: "POST", json, token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function listKeys(token) {
  const res = await call(base, "/api/v1/api_key/", { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const whoami = (options) => call(base, "/api/v1/users/whoami", options);
const withQueryKey = (path, key) => `${path}?x-api-key=${encodeURIComponent(key)}`;

describe("POST /api/v1/api_key/", () => {
  let user;
  before(async () => { user = await makeUser(base, admin.token, "keymaker"); });

  it("answers 200 with the plaintext key, sk- and 43 url-safe characters", async () => {
    const res = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "first" }, token: user.token });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), CREATE_KEYS);
    assert.match(res.body.api_key, KEY_RE);
    assert.equal(res.body.name, "first");
    assert.equal(res.body.user_id, user.id);
    assert.equal(res.body.is_active, true);
    assert.equal(res.body.total_uses, 0);
    assert.equal(res.body.last_used_at, null);
    assert.equal(res.body.expires_at, null);
  });

  it("gives every key a different value and id", async () => {
    const a = await createKey(user.token);
    const b = await createKey(user.token);
    assert.notEqual(a.api_key, b.api_key);
    assert.notEqual(a.id, b.id);
  });

  it("needs no name", async () => {
    const res = await call(base, "/api/v1/api_key/", { method: "POST", json: {}, token: user.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.name, null);
    assert.match(res.body.api_key, KEY_RE);
  });

  it("reads expiry dates as pydantic does and stores them so they read back (issue 15)", async () => {
    for (const [given, stored] of [
      ["2026-11-27", "2026-11-27T00:00:00+00:00"],
      ["2099-11-27T14:27:14.618351+0100", "2099-11-27T13:27:14+00:00"],
      ["2099-11-27_13:27", "2099-11-27T13:27:00+00:00"],
      ["2099-11-27t13:27:14z", "2099-11-27T13:27:14+00:00"],
      ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"],
      ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59+00:00"],
    ]) {
      const key = await createKey(user.token, { name: `dated ${given}`, expires_at: given });
      assert.equal(key.expires_at, stored, given);
      const listed = (await listKeys(user.token)).api_keys.find((k) => k.id === key.id);
      assert.equal(listed.expires_at, stored, given);
      // The stored date is read back when the key is used: past ones are expired, 9999 is not.
      const used = await whoami({ apiKey: key.api_key });
      const expired = Date.parse(stored) < Date.now();
      assert.equal(used.status, expired ? 403 : 200, `${given}: ${used.status}`);
    }
  });

  it("keeps an expiry date", async () => {
    const key = await createKey(user.token, { name: "dated", expires_at: "2099-01-02T03:04:05Z" });
    assert.equal(Date.parse(key.expires_at), Date.parse("2099-01-02T03:04:05Z"));
    const listed = (await listKeys(user.token)).api_keys.find((k) => k.id === key.id);
    assert.equal(Date.parse(listed.expires_at), Date.parse("2099-01-02T03:04:05Z"));
  });

  it("needs credentials (403)", async () => {
    const res = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "x" } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, NO_CREDENTIALS);
  });

  it("can be called with an API key (a key can create keys for its owner)", async () => {
    const key = await createKey(user.token);
    const res = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "by-key" }, apiKey: key.api_key });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, user.id);
  });
});

describe("GET /api/v1/api_key/", () => {
  let user;
  let keys;
  before(async () => {
    user = await makeUser(base, admin.token, "lister");
    keys = [await createKey(user.token, { name: "one" }), await createKey(user.token, { name: "two" })];
  });

  it("lists the caller's keys with Langflow's fields", async () => {
    const body = await listKeys(user.token);
    assert.deepEqual(Object.keys(body).sort(), ["api_keys", "total_count", "user_id"]);
    assert.equal(body.user_id, user.id);
    assert.equal(body.total_count, 2);
    assert.deepEqual(body.api_keys.map((k) => k.id).sort(), keys.map((k) => k.id).sort());
    for (const listed of body.api_keys) {
      assert.deepEqual(Object.keys(listed).sort(), LIST_KEYS);
      const created = keys.find((k) => k.id === listed.id);
      assert.equal(listed.name, created.name);
      assert.equal(listed.user_id, user.id);
      assert.equal(listed.is_active, true);
      assert.equal(listed.total_uses, 0);
      assert.equal(listed.last_used_at, null);
      assert.match(listed.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    }
  });

  it("masks each key as its first 8 characters and 38 stars", async () => {
    const body = await listKeys(user.token);
    for (const listed of body.api_keys) {
      const created = keys.find((k) => k.id === listed.id);
      assert.equal(listed.api_key, created.api_key.slice(0, 8) + "*".repeat(38));
      assert.equal(listed.api_key.length, 46);
    }
  });

  it("never returns a plaintext key", async () => {
    const text = JSON.stringify(await listKeys(user.token));
    for (const key of keys) {
      assert.ok(!text.includes(key.api_key), "plaintext key in the listing");
      assert.ok(!text.includes(key.api_key.slice(8)), "the hidden part of the key in the listing");
    }
  });

  it("lists nothing for a user without keys", async () => {
    const other = await makeUser(base, admin.token, "keyless");
    assert.deepEqual(await listKeys(other.token), { total_count: 0, user_id: other.id, api_keys: [] });
  });

  it("works with an API key too", async () => {
    const res = await call(base, "/api/v1/api_key/", { apiKey: keys[0].api_key });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, user.id);
  });
});

describe("authenticating with an API key", () => {
  let user;
  let key;
  before(async () => {
    user = await makeUser(base, admin.token, "keyuser");
    key = await createKey(user.token);
  });

  it("in the x-api-key header", async () => {
    const res = await whoami({ apiKey: key.api_key });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
    assert.equal(res.body.username, "keyuser");
  });

  it("in the ?x-api-key= query", async () => {
    const res = await call(base, withQueryKey("/api/v1/users/whoami", key.api_key));
    assert.equal(res.status, 200);
    assert.equal(res.body.id, user.id);
  });

  it("takes the query key before the header key; an empty query falls back to the header", async () => {
    const other = await makeUser(base, admin.token, "keyuser-2");
    const otherKey = await createKey(other.token);
    const both = await call(base, withQueryKey("/api/v1/users/whoami", otherKey.api_key), { apiKey: key.api_key });
    assert.equal(both.status, 200);
    assert.equal(both.body.id, other.id);
    const emptyQuery = await call(base, "/api/v1/users/whoami?x-api-key=", { apiKey: key.api_key });
    assert.equal(emptyQuery.status, 200);
    assert.equal(emptyQuery.body.id, user.id);
    // A bad query key is used (and refused), not rescued by a good header key.
    const badQuery = await call(base, withQueryKey("/api/v1/users/whoami", "sk-bogus"), { apiKey: key.api_key });
    assert.equal(badQuery.status, 403);
    assert.deepEqual(badQuery.body, INVALID_KEY);
  });

  it("acts with the owner's rights on the other routes (flows, variables)", async () => {
    const flow = await call(base, "/api/v1/flows/", { method: "POST", json: { name: "by key", data: {} }, apiKey: key.api_key });
    assert.equal(flow.status, 201);
    assert.equal(flow.body.user_id, user.id);
    const variable = await call(base, "/api/v1/variables/", {
      method: "POST", json: { name: "BY_KEY", value: "v", default_fields: [] }, apiKey: key.api_key,
    });
    assert.equal(variable.status, 201);
    const mine = await call(base, "/api/v1/variables/", { token: user.token });
    assert.ok(mine.body.some((v) => v.id === variable.body.id));
  });

  it("refuses an unknown key with 403 Invalid API key", async () => {
    for (const bogus of [`sk-${"A".repeat(43)}`, "not-a-key", key.api_key.slice(0, -1), `${key.api_key}x`, key.api_key.toUpperCase()]) {
      const header = await whoami({ apiKey: bogus });
      assert.equal(header.status, 403, bogus);
      assert.deepEqual(header.body, INVALID_KEY);
      const query = await call(base, withQueryKey("/api/v1/users/whoami", bogus));
      assert.equal(query.status, 403, bogus);
      assert.deepEqual(query.body, INVALID_KEY);
    }
  });

  it("refuses the masked form of a key shown in the list", async () => {
    const listed = (await listKeys(user.token)).api_keys.find((k) => k.id === key.id);
    const res = await whoami({ apiKey: listed.api_key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, INVALID_KEY);
  });

  it("does not rescue a bad Bearer token with a valid key (401 Invalid token)", async () => {
    const res = await whoami({ token: "not.a.jwt", apiKey: key.api_key });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { detail: "Invalid token" });
  });

  it("refuses an expired key (403 Invalid API key), accepts one expiring later", async () => {
    const expired = await createKey(user.token, { name: "expired", expires_at: "2020-01-01T00:00:00Z" });
    assert.match(expired.api_key, KEY_RE);
    const res = await whoami({ apiKey: expired.api_key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, INVALID_KEY);
    const query = await call(base, withQueryKey("/api/v1/users/whoami", expired.api_key));
    assert.equal(query.status, 403);
    assert.deepEqual(query.body, INVALID_KEY);
    const later = await createKey(user.token, { name: "later", expires_at: new Date(Date.now() + 86_400_000).toISOString() });
    assert.equal((await whoami({ apiKey: later.api_key })).status, 200);
  });

  it("refuses a deleted key", async () => {
    const doomed = await createKey(user.token, { name: "doomed" });
    assert.equal((await whoami({ apiKey: doomed.api_key })).status, 200);
    const del = await call(base, `/api/v1/api_key/${doomed.id}`, { method: "DELETE", token: user.token });
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { detail: "API Key deleted" });
    const res = await whoami({ apiKey: doomed.api_key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, INVALID_KEY);
    assert.ok(!(await listKeys(user.token)).api_keys.some((k) => k.id === doomed.id));
    const again = await call(base, `/api/v1/api_key/${doomed.id}`, { method: "DELETE", token: user.token });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, { detail: "API Key not found" });
  });

  it("refuses the key of a deactivated owner, and accepts it again once reactivated", async () => {
    const owner = await makeUser(base, admin.token, "deactivated-owner");
    const ownerKey = await createKey(owner.token);
    assert.equal((await whoami({ apiKey: ownerKey.api_key })).status, 200);
    const off = await call(base, `/api/v1/users/${owner.id}`, { method: "PATCH", json: { is_active: false }, token: admin.token });
    assert.equal(off.status, 200);
    const res = await whoami({ apiKey: ownerKey.api_key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, INVALID_KEY);
    const flows = await call(base, "/api/v1/flows/", { apiKey: ownerKey.api_key });
    assert.equal(flows.status, 403);
    assert.deepEqual(flows.body, INVALID_KEY);
    const on = await call(base, `/api/v1/users/${owner.id}`, { method: "PATCH", json: { is_active: true }, token: admin.token });
    assert.equal(on.status, 200);
    assert.equal((await whoami({ apiKey: ownerKey.api_key })).status, 200);
  });

  it("refuses the key of a deleted owner", async () => {
    const owner = await makeUser(base, admin.token, "deleted-owner");
    const ownerKey = await createKey(owner.token);
    assert.equal((await whoami({ apiKey: ownerKey.api_key })).status, 200);
    const del = await call(base, `/api/v1/users/${owner.id}`, { method: "DELETE", token: admin.token });
    assert.equal(del.status, 202);
    const res = await whoami({ apiKey: ownerKey.api_key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, INVALID_KEY);
    const query = await call(base, withQueryKey("/api/v1/api_key/", ownerKey.api_key));
    assert.equal(query.status, 403);
    assert.deepEqual(query.body, INVALID_KEY);
  });

  it("counts uses: total_uses and last_used_at grow after each authenticated request", async () => {
    const counted = await createKey(user.token, { name: "counted" });
    const read = async () => (await listKeys(user.token)).api_keys.find((k) => k.id === counted.id);
    assert.equal((await read()).total_uses, 0);
    assert.equal((await whoami({ apiKey: counted.api_key })).status, 200);
    assert.equal((await call(base, withQueryKey("/api/v1/flows/", counted.api_key))).status, 200);
    // The counters are written after the answer is sent: poll for them.
    const after2 = await pollUntil(async () => { const k = await read(); return k.total_uses >= 2 && k; });
    assert.ok(after2, "total_uses reached 2");
    assert.equal(after2.total_uses, 2);
    assert.ok(!Number.isNaN(Date.parse(after2.last_used_at)), `last_used_at ${after2.last_used_at}`);
    assert.ok(Math.abs(Date.parse(after2.last_used_at) - Date.now()) < 10 * 60_000, "last_used_at is about now");
    assert.equal((await whoami({ apiKey: counted.api_key })).status, 200);
    const after3 = await pollUntil(async () => { const k = await read(); return k.total_uses >= 3 && k; });
    assert.equal(after3.total_uses, 3);
    assert.ok(Date.parse(after3.last_used_at) >= Date.parse(after2.last_used_at));
  });

  it("does not count failed attempts", async () => {
    const key2 = await createKey(user.token, { name: "never-used" });
    const expired = await createKey(user.token, { name: "expired-uncounted", expires_at: "2020-01-01T00:00:00Z" });
    assert.equal((await whoami({ apiKey: expired.api_key })).status, 403);
    // A successful use of another key, polled until counted, orders the deferred writes.
    assert.equal((await whoami({ apiKey: key2.api_key })).status, 200);
    const counted = await pollUntil(async () => (await listKeys(user.token)).api_keys.find((k) => k.id === key2.id).total_uses === 1);
    assert.ok(counted);
    const listed = (await listKeys(user.token)).api_keys.find((k) => k.id === expired.id);
    assert.equal(listed.total_uses, 0);
    assert.equal(listed.last_used_at, null);
  });
});

describe("an API key cannot change its owner's password", () => {
  let user;
  let key;
  before(async () => {
    user = await makeUser(base, admin.token, "pwkeeper", "pwkeeper-password-1");
    key = await createKey(user.token);
  });

  it("PATCH /users/{id}/reset-password with the key → 403 Sign in interactively", async () => {
    const body = { current_password: "pwkeeper-password-1", password: "a-brand-new-password" };
    const header = await call(base, `/api/v1/users/${user.id}/reset-password`, { method: "PATCH", json: body, apiKey: key.api_key });
    assert.equal(header.status, 403);
    assert.deepEqual(header.body, INTERACTIVE);
    const query = await call(base, withQueryKey(`/api/v1/users/${user.id}/reset-password`, key.api_key), { method: "PATCH", json: body });
    assert.equal(query.status, 403);
    assert.deepEqual(query.body, INTERACTIVE);
    // The password is unchanged.
    assert.equal((await login(base, "pwkeeper", "pwkeeper-password-1")).status, 200);
    assert.equal((await login(base, "pwkeeper", "a-brand-new-password")).status, 401);
  });

  it("a superuser's key PATCHing its own password → 403, password unchanged", async () => {
    const adminKey = await createKey(admin.token, { name: "admin-key" });
    const res = await call(base, `/api/v1/users/${admin.id}`, { method: "PATCH", json: { password: "another-admin-password" }, apiKey: adminKey.api_key });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, INTERACTIVE);
    const reset = await call(base, `/api/v1/users/${admin.id}/reset-password`, {
      method: "PATCH", json: { current_password: ADMIN.password, password: "another-admin-password" }, apiKey: adminKey.api_key,
    });
    assert.equal(reset.status, 403);
    assert.deepEqual(reset.body, INTERACTIVE);
    assert.equal((await login(base, ADMIN.username, ADMIN.password)).status, 200);
    assert.equal((await login(base, ADMIN.username, "another-admin-password")).status, 401);
  });

  it("a superuser's key still administers users (Langflow: full owner rights)", async () => {
    const adminKey = await createKey(admin.token, { name: "admin-key-2" });
    const list = await call(base, "/api/v1/users/?limit=200", { apiKey: adminKey.api_key });
    assert.equal(list.status, 200);
    assert.ok(list.body.users.some((u) => u.id === user.id));
  });
});

describe("POST /api/v1/api_key/store", () => {
  let user;
  before(async () => { user = await makeUser(base, admin.token, "storer"); });

  it("answers 200 API Key saved and sets apikey_tkn_lflw to the Fernet token", async () => {
    const value = "store-key-value-0123456789";
    const res = await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: value }, token: user.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { detail: "API Key saved" });
    const cookie = findCookie(res.cookies, "apikey_tkn_lflw");
    assert.ok(cookie, "apikey_tkn_lflw is set");
    // Python's http.cookies quotes the token (it contains '='), as Langflow sends it.
    const raw = cookieValue(res.cookies, "apikey_tkn_lflw");
    assert.match(raw, /^"gAAAAA[A-Za-z0-9_=-]+"$/);
    const token = raw.slice(1, -1);
    assert.equal(fernetDecrypt(token).plaintext, value);
    assert.equal(cookie.attrs.httponly, true);
    assert.equal(cookie.attrs.path, "/");
    assert.ok(!res.cookies.join("\n").includes(value), "no plaintext in the cookie");

    const me = await whoami({ token: user.token });
    assert.equal(me.body.store_api_key, token);
    assert.equal(fernetDecrypt(me.body.store_api_key).plaintext, value);
  });

  it("replaces the stored key", async () => {
    const res = await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: "second-store-value" }, token: user.token });
    assert.equal(res.status, 200);
    const me = await whoami({ token: user.token });
    assert.equal(fernetDecrypt(me.body.store_api_key).plaintext, "second-store-value");
  });

  it("the user's store key is shown to a superuser only as ciphertext", async () => {
    const res = await call(base, `/api/v1/users/${user.id}`, { token: admin.token });
    assert.equal(res.status, 200);
    assert.match(res.body.store_api_key, /^gAAAAA/);
    assert.equal(fernetDecrypt(res.body.store_api_key).plaintext, "second-store-value");
  });

  it("needs the api_key field (422) and credentials (403)", async () => {
    const missing = await call(base, "/api/v1/api_key/store", { method: "POST", json: {}, token: user.token });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.detail[0].loc, ["body", "api_key"]);
    const wrongType = await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: 5 }, token: user.token });
    assert.equal(wrongType.status, 422);
    assert.deepEqual(wrongType.body.detail[0].loc, ["body", "api_key"]);
    const huge = await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: "k".repeat(200_000) }, token: user.token });
    assert.equal(huge.status, 413);
    assert.match(huge.body.detail, /too large/i);
    const anonymous = await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: "x" } });
    assert.equal(anonymous.status, 403);
    assert.deepEqual(anonymous.body, NO_CREDENTIALS);
  });
});

describe("bad input to the API key routes: clear 4xx, never 500", () => {
  let user;
  before(async () => { user = await makeUser(base, admin.token, "badkeyinput"); });

  const post = (options) => call(base, "/api/v1/api_key/", { method: "POST", token: user.token, ...options });

  it("a name that is not a string → 422 naming the field", async () => {
    const res = await post({ json: { name: 5 } });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.detail[0].loc, ["body", "name"]);
    assert.equal(res.body.detail[0].type, "string_type");
  });

  it("an expires_at that pydantic refuses → 422 naming the field, never a 500 (issue 15)", async () => {
    for (const expires_at of [
      "2026-11-27T13:27:14+0\u00e90", // a multi-byte character in the zone: the parser panicked
      "2026-11-27T13:27:14+\u00e900",
      "0000-01-01T00:00:00+00:01", // year 0: was stored as -001-12-31 and never expired
      "9999-12-31T23:59:59-00:01", // after year 9999 in UTC: was stored as 10000-01-01
      "9999-12-31T23:59:60", // second 60
      "2026-02-31T00:00:00", // 31 February
      "2026-11-27T24:00:00",
      "2026-11-27T13:27:14+99:99", // zones of 24 hours or more
      "2026-11-27T13:27:14+24:00",
      " 2026-11-27T13:27:14",
    ]) {
      const res = await post({ json: { name: "refused-date", expires_at } });
      assert.equal(res.status, 422, `${JSON.stringify(expires_at)}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.detail[0].loc, ["body", "expires_at"]);
      assert.match(res.body.detail[0].type, /^datetime_(from_date_)?parsing$/);
    }
    // Pydantic's own messages.
    for (const [expires_at, type, msg] of [
      ["2026-02-31T00:00:00", "datetime_from_date_parsing", "Input should be a valid datetime or date, day value is outside expected range"],
      ["2026-11-27T13:27:14+99:99", "datetime_from_date_parsing", "Input should be a valid datetime or date, unexpected extra characters at the end of the input"],
      ["yesterday", "datetime_from_date_parsing", "Input should be a valid datetime or date, input is too short"],
      ["0000-01-01T00:00:00+00:01", "datetime_parsing", "Input should be a valid datetime, year 0 is out of range"],
    ]) {
      const res = await post({ json: { name: "refused-date", expires_at } });
      assert.deepEqual(res.body.detail, [{ type, loc: ["body", "expires_at"], msg }], expires_at);
    }
    const listed = (await listKeys(user.token)).api_keys;
    assert.ok(!listed.some((k) => k.name === "refused-date"), "no key was created");
    assert.ok(!/panicked|RuntimeError: unreachable/.test(worker.logs()), "no panic in the worker log");
  });

  it("an expires_at that is not a datetime → 422 naming the field", async () => {
    for (const expires_at of ["yesterday", 12, "2026-13-45T99:00:00Z"]) {
      const res = await post({ json: { name: "x", expires_at } });
      assert.equal(res.status, 422, JSON.stringify(expires_at));
      assert.deepEqual(res.body.detail[0].loc, ["body", "expires_at"]);
    }
  });

  it("a body that is not a JSON object → 422", async () => {
    for (const body of ["[1,2]", "{not json", "\"text\"", "null"]) {
      const res = await post({ body, headers: { "content-type": "application/json" } });
      assert.equal(res.status, 422, body);
      assert.ok(Array.isArray(res.body.detail), body);
    }
  });

  it("a form body → 422", async () => {
    const res = await post({ form: { name: "x" } });
    assert.equal(res.status, 422);
  });

  it("an oversized body → 413 with a clear detail", async () => {
    const res = await post({ json: { name: "x".repeat(200_000) } });
    assert.equal(res.status, 413);
    assert.match(res.body.detail, /too large/i);
  });

  it("a name over 255 characters → 400", async () => {
    const res = await post({ json: { name: "n".repeat(256) } });
    assert.equal(res.status, 400);
    assert.equal(typeof res.body.detail, "string");
  });

  it("DELETE with a non-UUID id → 422 naming the path parameter", async () => {
    for (const id of ["not-a-uuid", "123", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"]) {
      const res = await call(base, `/api/v1/api_key/${id}`, { method: "DELETE", token: user.token });
      assert.equal(res.status, 422, id);
      assert.deepEqual(res.body.detail[0].loc, ["path", "api_key_id"]);
      assert.equal(res.body.detail[0].type, "uuid_parsing");
    }
  });

  it("DELETE with an unknown id → 400 API Key not found", async () => {
    const res = await call(base, `/api/v1/api_key/${randomUUID()}`, { method: "DELETE", token: user.token });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { detail: "API Key not found" });
  });

  it("DELETE without credentials → 403", async () => {
    const res = await call(base, `/api/v1/api_key/${randomUUID()}`, { method: "DELETE" });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, NO_CREDENTIALS);
  });
});

describe("LANGFLOW_DISABLE_TRACK_APIKEY_USAGE=True", () => {
  let quiet;
  before(async () => { quiet = await startWorker({ vars: { LANGFLOW_DISABLE_TRACK_APIKEY_USAGE: "True" } }); });
  after(async () => { await quiet?.destroy(); });

  it("keys still authenticate, and their counters do not move", async () => {
    const session = await login(quiet.url, ADMIN.username, ADMIN.password);
    const user = await makeUser(quiet.url, session.access, "untracked");
    const created = await call(quiet.url, "/api/v1/api_key/", { method: "POST", json: { name: "untracked" }, token: user.token });
    assert.equal(created.status, 200);
    for (let i = 0; i < 3; i += 1) {
      const res = await call(quiet.url, "/api/v1/users/whoami", { apiKey: created.body.api_key });
      assert.equal(res.status, 200);
      assert.equal(res.body.id, user.id);
    }
    const read = async () => (await call(quiet.url, "/api/v1/api_key/", { token: user.token })).body.api_keys[0];
    // The same wait that sees the counters move when tracking is on (above) sees nothing here.
    const moved = await pollUntil(async () => (await read()).total_uses > 0, { ms: 1_500 });
    assert.equal(moved, false);
    const listed = await read();
    assert.equal(listed.total_uses, 0);
    assert.equal(listed.last_used_at, null);
  });
});
