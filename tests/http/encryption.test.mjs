// Secrets at rest, checked in the worker's local D1 SQLite file itself (Langflow §5, §6.3):
// API keys, Credential variable values and store keys are stored only as Fernet tokens under the
// key Langflow derives from LANGFLOW_SECRET_KEY, the API key hash is the hex SHA-256 of the key,
// no plaintext secret appears anywhere in the database files, Generic values are plain text.
// Also: deleting a user erases everything it owns (deviation 8).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  startWorker, call, makeUser, SECRET_KEY, queryD1File, queryD1Batch, d1Files, d1RawBytes, fernetDecrypt, fernetVerifies, sha256Hex, randomSecretKey, pollUntil, signInAdmin,
} from "./harness.mjs";

const FERNET_RE = /^gAAAAA[A-Za-z0-9_-]+={0,2}$/;

let worker;
let base;
let admin;
let alice; // + apiKeys [{id, api_key}], storeKey, credential {id, value}, generic {id, value}, flowId
let bob;
/** Every plaintext secret written through the API; none may appear in the database files. */
const secrets = [];

async function ok(res, status) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
}

async function populate(user, tag) {
  const apiKeys = [];
  for (const name of [`${tag}-key-1`, `${tag}-key-2`]) {
    apiKeys.push(await ok(await call(base, "/api/v1/api_key/", { method: "POST", json: { name }, token: user.token }), 200));
  }
  const storeKey = `${tag}-store-key-PLAINTEXT-6f1c2a`;
  await ok(await call(base, "/api/v1/api_key/store", { method: "POST", json: { api_key: storeKey }, token: user.token }), 200);
  const credentialValue = `${tag}-credential-PLAINTEXT-93be0d`;
  const credential = await ok(await call(base, "/api/v1/variables/", {
    method: "POST", json: { name: `${tag.toUpperCase()}_SECRET`, value: credentialValue, default_fields: [] }, token: user.token,
  }), 201);
  const genericValue = `${tag}-generic-visible-5d41c7`;
  const generic = await ok(await call(base, "/api/v1/variables/", {
    method: "POST", json: { name: `${tag.toUpperCase()}_GENERIC`, value: genericValue, type: "Generic", default_fields: [] }, token: user.token,
  }), 201);
  const flow = await ok(await call(base, "/api/v1/flows/", { method: "POST", json: { name: `${tag} flow`, data: { nodes: [] } }, token: user.token }), 201);
  secrets.push(...apiKeys.map((k) => k.api_key), storeKey, credentialValue);
  return {
    ...user, apiKeys, storeKey, flowId: flow.id,
    credential: { id: credential.id, value: credentialValue },
    generic: { id: generic.id, value: genericValue },
  };
}

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
  alice = await populate(await makeUser(base, admin.token, "enc-alice"), "alice");
  bob = await populate(await makeUser(base, admin.token, "enc-bob"), "bob");
  // A Credential whose value is changed: neither the old nor the new value may be stored in clear.
  const changed = `alice-rotated-credential-PLAINTEXT-77aa01`;
  const res = await call(base, `/api/v1/variables/${alice.credential.id}`, {
    method: "PATCH", json: { id: alice.credential.id, value: changed }, token: alice.token,
  });
  assert.equal(res.status, 200);
  alice.credential.value = changed;
  secrets.push(changed);
  // Use the keys once so the usage counters are written too.
  for (const key of [...alice.apiKeys, ...bob.apiKeys]) {
    assert.equal((await call(base, "/api/v1/users/whoami", { apiKey: key.api_key })).status, 200);
  }
  // Wait for those deferred writes, so the files are at rest when read.
  for (const user of [alice, bob]) {
    const counted = await pollUntil(async () => {
      const res = await call(base, "/api/v1/api_key/", { token: user.token });
      return res.body.api_keys.every((k) => k.total_uses === 1);
    });
    assert.ok(counted, "usage counters written");
  }
});

after(async () => {
  await worker?.destroy();
});

describe("the D1 database files", () => {
  it("are where the tests look for them (one database, with its WAL)", () => {
    const files = d1Files(worker).map((f) => f.split("/").pop());
    assert.ok(files.some((f) => /^[0-9a-f]{64}\.sqlite$/.test(f)), files.join(", "));
    const tables = queryD1File(worker, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => r.name);
    for (const table of ["user", "apikey", "flow", "variable"]) assert.ok(tables.includes(table), table);
  });
});

describe("API keys at rest", () => {
  it("api_key holds only a Fernet token of the key, under the derived key", () => {
    const rows = queryD1File(worker, "SELECT id, api_key, user_id FROM apikey");
    const all = [...alice.apiKeys, ...bob.apiKeys];
    assert.equal(rows.length, all.length);
    for (const key of all) {
      const row = rows.find((r) => r.id === key.id);
      assert.ok(row, `row for ${key.id}`);
      assert.match(row.api_key, FERNET_RE);
      assert.equal(row.api_key.length, 140, "Langflow's 140-character token for a 46-character key");
      assert.notEqual(row.api_key, key.api_key);
      assert.equal(fernetDecrypt(row.api_key, SECRET_KEY).plaintext, key.api_key);
      assert.equal(fernetVerifies(row.api_key, randomSecretKey()), false, "only the configured key opens it");
    }
  });

  it("api_key_hash is the hex SHA-256 of the plaintext key", () => {
    const rows = queryD1File(worker, "SELECT id, api_key_hash FROM apikey");
    for (const key of [...alice.apiKeys, ...bob.apiKeys]) {
      const row = rows.find((r) => r.id === key.id);
      assert.equal(row.api_key_hash, sha256Hex(key.api_key));
      assert.match(row.api_key_hash, /^[0-9a-f]{64}$/);
    }
  });

  it("each token carries a current Fernet timestamp and its own IV", () => {
    const rows = queryD1File(worker, "SELECT api_key FROM apikey");
    const ivs = new Set(rows.map((r) => Buffer.from(r.api_key, "base64url").subarray(9, 25).toString("hex")));
    assert.equal(ivs.size, rows.length);
    for (const row of rows) {
      const { timestamp } = fernetDecrypt(row.api_key);
      assert.ok(Math.abs(timestamp - Date.now() / 1000) < 3600, `timestamp ${timestamp}`);
    }
  });
});

describe("variables at rest", () => {
  it("Credential values are Fernet tokens that decrypt to the value", () => {
    for (const user of [alice, bob]) {
      const [row] = queryD1File(worker, "SELECT type, value FROM variable WHERE id = ?", [user.credential.id]);
      assert.equal(row.type, "Credential");
      assert.match(row.value, FERNET_RE);
      assert.equal(fernetDecrypt(row.value).plaintext, user.credential.value);
    }
  });

  it("Generic values are stored as plain text", () => {
    for (const user of [alice, bob]) {
      const [row] = queryD1File(worker, "SELECT type, value FROM variable WHERE id = ?", [user.generic.id]);
      assert.deepEqual(row, { type: "Generic", value: user.generic.value });
    }
  });
});

describe("store keys at rest", () => {
  it("user.store_api_key is a Fernet token of the store key, the one whoami hands back", async () => {
    for (const user of [alice, bob]) {
      const [row] = queryD1File(worker, "SELECT store_api_key FROM \"user\" WHERE id = ?", [user.id]);
      assert.match(row.store_api_key, FERNET_RE);
      assert.equal(fernetDecrypt(row.store_api_key).plaintext, user.storeKey);
      const me = await call(base, "/api/v1/users/whoami", { token: user.token });
      assert.equal(me.body.store_api_key, row.store_api_key);
    }
  });
});

describe("no plaintext secret in the raw database bytes", () => {
  it("the search works: a Generic value is found in the raw bytes", () => {
    const raw = d1RawBytes(worker);
    assert.ok(raw.includes(Buffer.from(alice.generic.value)), "Generic value found");
    assert.ok(raw.includes(Buffer.from(alice.apiKeys[0].id)), "an API key id found");
  });

  it("no API key, Credential value or store key appears in any file under the D1 folder (incl. -wal)", () => {
    const files = d1Files(worker);
    assert.ok(files.some((f) => f.endsWith("-wal")), "the WAL is searched too");
    const perFile = files.map((file) => ({ file, bytes: readFileSync(file) }));
    for (const secret of secrets) {
      for (const { file, bytes } of perFile) {
        for (const form of [secret, secret.slice(3)]) {
          assert.ok(!bytes.includes(Buffer.from(form, "utf8")), `"${secret}" found in ${file}`);
          assert.ok(!bytes.includes(Buffer.from(form, "utf16le")), `"${secret}" (UTF-16) found in ${file}`);
        }
      }
    }
  });

  it("still none after the worker is stopped (everything checkpointed to disk)", async () => {
    const stopped = await restartAfter(async () => {
      const raw = d1RawBytes(worker);
      for (const secret of secrets) assert.ok(!raw.includes(Buffer.from(secret)), `"${secret}" on disk`);
      const rows = queryD1File(worker, "SELECT count(*) AS n FROM apikey");
      assert.equal(rows[0].n, alice.apiKeys.length + bob.apiKeys.length);
    });
    assert.ok(stopped);
  });
});

describe("deleting a user erases what it owns (deviation 8)", () => {
  it("API keys, flows, variables, sessions and the user row are gone from D1; others' remain", async () => {
    const owned = (id) => {
      const tables = { user: "\"user\" WHERE id = ?", apikey: "apikey WHERE user_id = ?", flow: "flow WHERE user_id = ?",
        variable: "variable WHERE user_id = ?", session: "session WHERE user_id = ?" };
      const counts = queryD1Batch(worker, Object.values(tables).map((from) => [`SELECT count(*) AS n FROM ${from}`, [id]]));
      return Object.fromEntries(Object.keys(tables).map((name, i) => [name, counts[i][0].n]));
    };
    const before_ = owned(alice.id);
    assert.deepEqual({ ...before_, session: before_.session > 0 }, { user: 1, apikey: 2, flow: 1, variable: 2, session: true });
    const bobBefore = owned(bob.id);

    const res = await call(base, `/api/v1/users/${alice.id}`, { method: "DELETE", token: admin.token });
    assert.equal(res.status, 202);
    assert.equal(res.body.detail, "User deletion started");

    assert.deepEqual(owned(alice.id), { user: 0, apikey: 0, flow: 0, variable: 0, session: 0 });
    const leftovers = queryD1Batch(worker, [
      ...alice.apiKeys.map((key) => ["SELECT id FROM apikey WHERE id = ? OR api_key_hash = ?", [key.id, sha256Hex(key.api_key)]]),
      ["SELECT id FROM flow WHERE id = ?", [alice.flowId]],
      ["SELECT id FROM variable WHERE id IN (?, ?)", [alice.credential.id, alice.generic.id]],
      ["SELECT id FROM \"user\" WHERE store_api_key IS NOT NULL AND id = ?", [alice.id]],
    ]);
    assert.deepEqual(leftovers, leftovers.map(() => []));
    assert.deepEqual(owned(bob.id), bobBefore);

    // And over HTTP: her keys and her token no longer work, a second delete is 404.
    const key = await call(base, "/api/v1/users/whoami", { apiKey: alice.apiKeys[0].api_key });
    assert.equal(key.status, 403);
    assert.deepEqual(key.body, { detail: "Invalid API key" });
    assert.equal((await call(base, "/api/v1/users/whoami", { token: alice.token })).status, 401);
    const again = await call(base, `/api/v1/users/${alice.id}`, { method: "DELETE", token: admin.token });
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, { detail: "User not found" });
  });
});

/** Stops the worker, runs `check` on the files at rest, then starts it again on the same database. */
async function restartAfter(check) {
  await worker.stop();
  await check();
  worker = await startWorker({ dir: worker.dir });
  base = worker.url;
  // Sessions survive a restart (they live in D1): the tokens still work.
  const me = await call(base, "/api/v1/users/whoami", { token: admin.token });
  assert.equal(me.status, 200);
  return true;
}
