// LANGFLOW_SECRET_KEY handling (deviation 4): a generated key shared by every isolate through
// D1, secrets Langflow cannot use as a Fernet key, and fallbacks for verification.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createHash, createHmac } from "node:crypto";
import {
  startWorker, freshDatabase, call, login, ADMIN, queryD1File, fernetDecrypt, randomSecretKey, decodeJwt,
} from "./harness.mjs";

/** The Fernet key Langflow-edge derives with SHA-256, in the form fernetDecrypt takes. */
const sha256Key = (secret) => createHash("sha256").update(secret, "utf8").digest("base64url");

describe("LANGFLOW_SECRET_KEY unset", () => {
  const workers = [];
  let dir;
  after(async () => {
    for (const w of workers) await w.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("one key is generated, stored in D1 and used by every isolate", async () => {
    dir = freshDatabase();
    const vars = { LANGFLOW_SECRET_KEY: undefined };
    // Concurrent first requests race to create the key; all of them must end up with one key.
    const a = await startWorker({ vars, dir });
    workers.push(a);
    const first = await Promise.all(Array.from({ length: 6 }, () => login(a.url, ADMIN.username, ADMIN.password)));
    assert.deepEqual(first.map((l) => l.status), [200, 200, 200, 200, 200, 200]);
    // A second worker process is another isolate with its own memory. (Two local processes
    // cannot write one SQLite file at the same moment — SQLITE_BUSY, which D1 itself never
    // answers — so the second starts once the first has stored the key.)
    const b = await startWorker({ vars, dir });
    workers.push(b);
    const logins = [...first, await login(b.url, ADMIN.username, ADMIN.password)];
    assert.equal(logins.at(-1).status, 200);

    // A token minted by either isolate verifies in the other: they sign with the same secret.
    for (const [i, session] of logins.entries()) {
      const other = i === logins.length - 1 ? a.url : b.url;
      const me = await call(other, "/api/v1/users/whoami", { token: session.access });
      assert.equal(me.status, 200, `token ${i} in the other isolate`);
    }
    const rows = queryD1File(a, "SELECT name, value FROM app_secret");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].name, "secret_key");
    assert.match(rows[0].value, /^[A-Za-z0-9_-]{43}$/);
    const secret = rows[0].value;

    // Secrets are encrypted under the stored key, and tokens are signed with it.
    const key = await call(a.url, "/api/v1/api_key/", { method: "POST", json: { name: "k" }, token: logins[0].access });
    assert.equal(key.status, 200);
    const [stored] = queryD1File(a, "SELECT api_key FROM apikey WHERE id = ?", [key.body.id]);
    assert.equal(fernetDecrypt(stored.api_key, secret).plaintext, key.body.api_key);
    const [head, payload, signature] = logins[0].access.split(".");
    assert.equal(createHmac("sha256", secret).update(`${head}.${payload}`).digest("base64url"), signature);

    // The operator is told, and the secret itself is never logged.
    const logs = a.logs() + b.logs();
    assert.match(logs, /LANGFLOW_SECRET_KEY is not set/);
    assert.ok(!logs.includes(secret), "the generated secret appears in the logs");

    // A restart keeps the key: the tokens issued before still work.
    await a.stop();
    const again = await startWorker({ vars, dir });
    workers.push(again);
    assert.equal((await call(again.url, "/api/v1/users/whoami", { token: logins[0].access })).status, 200);
    assert.equal(queryD1File(again, "SELECT count(*) AS n FROM app_secret")[0].n, 1);
  });
});

describe("a secret Langflow cannot use as a Fernet key (openssl rand -hex 32)", () => {
  const secret = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
  let worker;
  after(async () => worker?.destroy());

  it("encrypts with a SHA-256-derived key and warns, where Langflow answers 400/500", async () => {
    worker = await startWorker({ vars: { LANGFLOW_SECRET_KEY: secret } });
    const session = await login(worker.url, ADMIN.username, ADMIN.password);
    assert.equal(session.status, 200);
    const key = await call(worker.url, "/api/v1/api_key/", { method: "POST", json: { name: "k" }, token: session.access });
    assert.equal(key.status, 200);
    const variable = await call(worker.url, "/api/v1/variables/", {
      method: "POST", json: { name: "S", value: "credential-value", default_fields: [] }, token: session.access,
    });
    assert.equal(variable.status, 201);
    const [apikey] = queryD1File(worker, "SELECT api_key FROM apikey WHERE id = ?", [key.body.id]);
    const [stored] = queryD1File(worker, "SELECT value FROM variable WHERE id = ?", [variable.body.id]);
    assert.equal(fernetDecrypt(apikey.api_key, sha256Key(secret)).plaintext, key.body.api_key);
    assert.equal(fernetDecrypt(stored.value, sha256Key(secret)).plaintext, "credential-value");
    // JWTs still use the raw secret string, as Langflow's.
    const [head, payload, signature] = session.access.split(".");
    assert.equal(createHmac("sha256", secret).update(`${head}.${payload}`).digest("base64url"), signature);
    assert.match(worker.logs(), /LANGFLOW_SECRET_KEY: a secret of 32\+ characters that is not a url-safe base64 Fernet key/);
    assert.ok(!worker.logs().includes(secret), "the secret appears in the logs");
  });
});

describe("LANGFLOW_SECRET_KEY_FALLBACKS", () => {
  let worker;
  after(async () => worker?.destroy());

  it("old tokens verify while the old secret is a fallback, and not after", async () => {
    const [oldSecret, newSecret] = [randomSecretKey(), randomSecretKey()];
    worker = await startWorker({ vars: { LANGFLOW_SECRET_KEY: oldSecret } });
    const session = await login(worker.url, ADMIN.username, ADMIN.password);
    assert.equal(session.status, 200);
    const dir = worker.dir;

    await worker.stop();
    worker = await startWorker({ dir, vars: { LANGFLOW_SECRET_KEY: newSecret, LANGFLOW_SECRET_KEY_FALLBACKS: `${oldSecret}` } });
    assert.equal((await call(worker.url, "/api/v1/users/whoami", { token: session.access })).status, 200);
    const fresh = await login(worker.url, ADMIN.username, ADMIN.password);
    const [head, payload, signature] = fresh.access.split(".");
    assert.equal(createHmac("sha256", newSecret).update(`${head}.${payload}`).digest("base64url"), signature, "new tokens use the new secret");
    assert.equal(decodeJwt(fresh.access).payload.type, "access");

    await worker.stop();
    worker = await startWorker({ dir, vars: { LANGFLOW_SECRET_KEY: newSecret } });
    const refused = await call(worker.url, "/api/v1/users/whoami", { token: session.access });
    assert.deepEqual([refused.status, refused.body], [401, { detail: "Invalid token" }]);
    assert.equal((await call(worker.url, "/api/v1/users/whoami", { token: fresh.access })).status, 200);
  });
});
