// Secret-key rotation end to end (deviation 4): data written under LANGFLOW_SECRET_KEY=A is
// re-encrypted by POST /api/v1/admin/rotate-secret-key once the worker runs with
// LANGFLOW_SECRET_KEY=B and LANGFLOW_SECRET_KEY_FALLBACKS=A; afterwards B alone reads
// everything. Checked over HTTP and in the D1 file itself. The three workers share one database.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import {
  startWorker, freshDatabase, call, login, makeUser, ADMIN, SECRET_KEY, queryD1Batch, fernetDecrypt, fernetVerifies,
  randomSecretKey, sha256Hex,
} from "./harness.mjs";
import { enrol, totp } from "./totp.mjs";

const A = SECRET_KEY;
const B = randomSecretKey();
const ROTATE = "/api/v1/admin/rotate-secret-key";
const NOT_ADMIN = { detail: "The user doesn't have enough privileges" };

let dir;
const workers = [];
let worker; // the one running now
let base;

// Written under A.
const written = {
  apiKeys: [], // { id, api_key, owner }
  storeKeys: {}, // user id -> plaintext
  credentials: {}, // variable id -> plaintext
  generics: {}, // variable id -> plaintext
};
let admin; // { id, token }
let alice; // { id, password, token }
let bob;
let carol; // has two-factor on: { id, username, password, secret }
let rowsUnderA; // the stored rows before rotation
/** Tokens from step 1 (signed with A), kept to show that B alone refuses them. */
const signedWithA = [];

async function run(vars) {
  worker = await startWorker({ dir, vars });
  workers.push(worker);
  base = worker.url;
}

/** The encrypted columns and what they should decrypt to. */
function storedSecrets() {
  const [keys, variables, users, twoFactor] = queryD1Batch(worker, [
    ["SELECT id, api_key, api_key_hash FROM apikey ORDER BY id", []],
    ["SELECT id, type, value FROM variable ORDER BY id", []],
    ["SELECT id, store_api_key FROM \"user\" WHERE store_api_key IS NOT NULL ORDER BY id", []],
    ["SELECT user_id AS id, secret FROM two_factor ORDER BY user_id", []],
  ]);
  return { keys, variables, users, twoFactor };
}

/** Every secret in the D1 file decrypts under `secret` to what was written (and not under `not`). */
function assertAllUnder(secret, not) {
  const { keys, variables, users, twoFactor } = storedSecrets();
  assert.deepEqual(twoFactor.map((r) => r.id), [carol.id]);
  assert.equal(fernetDecrypt(twoFactor[0].secret, secret).plaintext, carol.secret);
  if (not) assert.equal(fernetVerifies(twoFactor[0].secret, not), false, "two-factor secret still under the old key");
  assert.equal(keys.length, written.apiKeys.length);
  for (const key of written.apiKeys) {
    const row = keys.find((r) => r.id === key.id);
    assert.equal(fernetDecrypt(row.api_key, secret).plaintext, key.api_key);
    assert.equal(row.api_key_hash, sha256Hex(key.api_key));
    if (not) assert.equal(fernetVerifies(row.api_key, not), false, "API key still under the old key");
  }
  for (const [id, value] of Object.entries(written.credentials)) {
    const row = variables.find((r) => r.id === id);
    assert.equal(row.type, "Credential");
    assert.equal(fernetDecrypt(row.value, secret).plaintext, value);
    if (not) assert.equal(fernetVerifies(row.value, not), false, "Credential still under the old key");
  }
  for (const [id, value] of Object.entries(written.generics)) {
    assert.deepEqual(variables.find((r) => r.id === id), { id, type: "Generic", value });
  }
  assert.deepEqual(users.map((u) => u.id).sort(), Object.keys(written.storeKeys).sort());
  for (const user of users) {
    assert.equal(fernetDecrypt(user.store_api_key, secret).plaintext, written.storeKeys[user.id]);
    if (not) assert.equal(fernetVerifies(user.store_api_key, not), false, "store key still under the old key");
  }
}

async function adminLogin() {
  const session = await login(base, ADMIN.username, ADMIN.password);
  assert.equal(session.status, 200, JSON.stringify(session.body));
  return session.access;
}

async function listKeys(token) {
  const res = await call(base, "/api/v1/api_key/", { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.api_keys;
}

/** Each user's key list shows the real first 8 characters (the keys decrypt). */
async function assertListsUnmasked(users) {
  for (const user of users) {
    const listed = await listKeys(user.token);
    const mine = written.apiKeys.filter((k) => k.owner === user.id);
    assert.equal(listed.length, mine.length);
    for (const key of mine) {
      assert.equal(listed.find((k) => k.id === key.id).api_key, key.api_key.slice(0, 8) + "*".repeat(38));
    }
  }
}

async function assertKeysAuthenticate() {
  for (const key of written.apiKeys) {
    const me = await call(base, "/api/v1/users/whoami", { apiKey: key.api_key });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, key.owner);
  }
}

before(async () => {
  dir = freshDatabase();
});

after(async () => {
  for (const w of workers) await w.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("secret-key rotation", () => {
  describe("1. a worker with LANGFLOW_SECRET_KEY=A writes secrets", () => {
    before(async () => { await run({ LANGFLOW_SECRET_KEY: A }); });
    after(async () => { await worker.stop(); });

    it("creates API keys, store keys and variables", async () => {
      const token = await adminLogin();
      const me = await call(base, "/api/v1/users/whoami", { token });
      admin = { id: me.body.id, token };
      alice = await makeUser(base, admin.token, "rot-alice");
      bob = await makeUser(base, admin.token, "rot-bob");
      const addKey = async (user, name) => {
        const res = await call(base, "/api/v1/api_key/", { method: "POST", json: { name }, token: user.token });
        assert.equal(res.status, 200);
        written.apiKeys.push({ id: res.body.id, api_key: res.body.api_key, owner: user.id });
      };
      const addStoreKey = async (user, value) => {
        const res = await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: value }, token: user.token });
        assert.equal(res.status, 200);
        written.storeKeys[user.id] = value;
      };
      const addVariable = async (user, name, value, type) => {
        const res = await call(base, "/api/v1/variables/", { method: "POST", json: { name, value, type, default_fields: [] }, token: user.token });
        assert.equal(res.status, 201);
        (type === "Generic" ? written.generics : written.credentials)[res.body.id] = value;
      };
      await addKey(alice, "alice-1");
      await addKey(alice, "alice-2");
      await addKey(bob, "bob-1");
      await addKey(admin, "admin-1");
      await addStoreKey(alice, "alice-store-key-value");
      await addStoreKey(admin, "admin-store-key-value");
      await addVariable(alice, "ALICE_ONE", "alice-credential-1", "Credential");
      await addVariable(alice, "ALICE_TWO", "alice-credential-2", undefined);
      await addVariable(bob, "BOB_ONE", "bob-credential-1", "Credential");
      await addVariable(bob, "BOB_PLAIN", "bob-generic-1", "Generic");
      carol = await makeUser(base, admin.token, "rot-carol");
      carol.secret = (await enrol(base, carol.token)).secret;
    });

    it("stores them all under A", () => {
      signedWithA.push(admin.token, alice.token, bob.token);
      assertAllUnder(A, B);
      rowsUnderA = storedSecrets();
    });
  });

  describe("2. restarted with LANGFLOW_SECRET_KEY=B and LANGFLOW_SECRET_KEY_FALLBACKS=A", () => {
    let firstRun;
    before(async () => { await run({ LANGFLOW_SECRET_KEY: B, LANGFLOW_SECRET_KEY_FALLBACKS: A }); });
    after(async () => { await worker.stop(); });

    it("still accepts tokens signed with A (verified with the fallback) and signs new ones with B", async () => {
      const old = await call(base, "/api/v1/users/whoami", { token: admin.token });
      assert.equal(old.status, 200);
      admin.token = await adminLogin();
      alice.token = (await login(base, alice.username, alice.password)).access;
      bob.token = (await login(base, bob.username, bob.password)).access;
      assert.equal((await call(base, "/api/v1/users/whoami", { token: alice.token })).status, 200);
    });

    it("reads everything through the fallback before rotating", async () => {
      await assertKeysAuthenticate();
      await assertListsUnmasked([alice, bob, admin]);
      const me = await call(base, "/api/v1/users/whoami", { token: alice.token });
      assert.equal(fernetDecrypt(me.body.store_api_key, A).plaintext, written.storeKeys[alice.id]);
    });

    it("refuses the rotation to a non-superuser (403), by token or API key, and to nobody", async () => {
      const byToken = await call(base, ROTATE, { method: "POST", token: alice.token });
      assert.equal(byToken.status, 403);
      assert.deepEqual(byToken.body, NOT_ADMIN);
      const aliceKey = written.apiKeys.find((k) => k.owner === alice.id).api_key;
      const byKey = await call(base, ROTATE, { method: "POST", apiKey: aliceKey });
      assert.equal(byKey.status, 403);
      assert.deepEqual(byKey.body, NOT_ADMIN);
      const anonymous = await call(base, ROTATE, { method: "POST" });
      assert.equal(anonymous.status, 403);
      assert.deepEqual(anonymous.body, { detail: "No authentication credentials provided" });
      // Nothing was touched.
      assert.deepEqual(storedSecrets(), rowsUnderA);
    });

    it("rotates as superuser: 200 with the number of rows changed per store", async () => {
      firstRun = await call(base, ROTATE, { method: "POST", token: admin.token });
      assert.equal(firstRun.status, 200, JSON.stringify(firstRun.body));
      assert.deepEqual(firstRun.body, {
        changed: { api_keys: 4, variables: 3, store_api_keys: 2, two_factor_secrets: 1 },
        total_changed: 10,
        undecryptable: 0,
        complete: true,
      });
    });

    it("leaves every secret under B only, with the same plaintext and Fernet timestamp", () => {
      assertAllUnder(B, A);
      const now = storedSecrets();
      const stamps = (rows, column, secret) => Object.fromEntries(rows.map((r) => [r.id, fernetDecrypt(r[column], secret).timestamp]));
      const credentials = (rows) => rows.filter((r) => r.type === "Credential");
      assert.deepEqual(stamps(now.keys, "api_key", B), stamps(rowsUnderA.keys, "api_key", A));
      assert.deepEqual(stamps(credentials(now.variables), "value", B), stamps(credentials(rowsUnderA.variables), "value", A));
      assert.deepEqual(stamps(now.users, "store_api_key", B), stamps(rowsUnderA.users, "store_api_key", A));
      assert.deepEqual(stamps(now.twoFactor, "secret", B), stamps(rowsUnderA.twoFactor, "secret", A));
    });

    it("a second run changes nothing", async () => {
      const again = await call(base, ROTATE, { method: "POST", token: admin.token });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, {
        changed: { api_keys: 0, variables: 0, store_api_keys: 0, two_factor_secrets: 0 },
        total_changed: 0,
        undecryptable: 0,
        complete: true,
      });
    });

    it("the rotation can be run with the superuser's API key too", async () => {
      const res = await call(base, ROTATE, { method: "POST", apiKey: written.apiKeys.find((k) => k.owner === admin.id).api_key });
      assert.equal(res.status, 200);
      assert.equal(res.body.total_changed, 0);
    });
  });

  describe("3. restarted with LANGFLOW_SECRET_KEY=B only", () => {
    before(async () => { await run({ LANGFLOW_SECRET_KEY: B }); });
    after(async () => { await worker.stop(); });

    it("refuses tokens signed with A (401) and keeps tokens signed with B", async () => {
      // The tokens from step 1 were signed with A; their sessions are still live in D1.
      for (const token of signedWithA) {
        const res = await call(base, "/api/v1/users/whoami", { token });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, { detail: "Invalid token" });
      }
      const b = await call(base, "/api/v1/users/whoami", { token: admin.token });
      assert.equal(b.status, 200);
      admin.token = await adminLogin();
    });

    it("everything still decrypts with B in the D1 file", () => {
      assertAllUnder(B, A);
    });

    it("API keys still authenticate, and the lists show their real prefixes", async () => {
      await assertKeysAuthenticate();
      await assertListsUnmasked([alice, bob, admin]);
    });

    it("the store key handed back by whoami decrypts with B", async () => {
      for (const user of [alice, admin]) {
        const me = await call(base, "/api/v1/users/whoami", { token: user.token });
        assert.equal(me.status, 200);
        assert.equal(fernetDecrypt(me.body.store_api_key, B).plaintext, written.storeKeys[user.id]);
      }
    });

    it("Generic variables are still shown, Credentials still hidden", async () => {
      const res = await call(base, "/api/v1/variables/", { token: bob.token });
      assert.equal(res.status, 200);
      const byName = Object.fromEntries(res.body.map((v) => [v.name, v]));
      assert.equal(byName.BOB_PLAIN.value, "bob-generic-1");
      assert.equal(byName.BOB_ONE.value, null);
      assert.equal(byName.BOB_ONE.has_value, true);
    });

    it("another rotation run changes nothing (total_changed 0)", async () => {
      const res = await call(base, ROTATE, { method: "POST", token: admin.token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        changed: { api_keys: 0, variables: 0, store_api_keys: 0, two_factor_secrets: 0 },
        total_changed: 0,
        undecryptable: 0,
        complete: true,
      });
    });

    it("two-factor codes still work with the secret re-encrypted under B", async () => {
      const noCode = await login(base, carol.username, carol.password);
      assert.equal(noCode.status, 401);
      // The enrolment's code used its step; the next step's code is within the clock skew.
      const withCode = await call(base, "/api/v1/login", {
        method: "POST", form: { username: carol.username, password: carol.password, totp_code: totp(carol.secret, Date.now() / 1000 + 30) },
      });
      assert.equal(withCode.status, 200, JSON.stringify(withCode.body));
    });

    it("non-superusers are still refused (403)", async () => {
      const res = await call(base, ROTATE, { method: "POST", token: bob.token });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, NOT_ADMIN);
    });
  });
});
