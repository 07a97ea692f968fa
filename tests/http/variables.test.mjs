// /api/v1/variables/...: Credential (default, value never shown) and Generic (plain text)
// variables, unique names per user, the Credential→Generic relabel rule, 204 delete, and bad
// input answered with 4xx, never 500 (Langflow §1, §8).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, call, makeUser, UUID_RE, queryD1File, fernetDecrypt, signInAdmin } from "./harness.mjs";

const VARIABLE_READ_KEYS = [
  "can_manage_shares", "default_fields", "has_value", "id", "is_owner", "is_valid", "name", "type", "validation_error", "value",
];
const NOT_FOUND = { detail: "Variable not found" };
const NAME_TAKEN = { detail: "Variable name already exists" };

let worker;
let base;
let admin;
let alice;
let bob;

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
  alice = await makeUser(base, admin.token, "var-alice");
  bob = await makeUser(base, admin.token, "var-bob");
});

after(async () => {
  await worker?.destroy();
});

const create = (token, json) => call(base, "/api/v1/variables/", { method: "POST", json, token });
const patch = (token, id, json) => call(base, `/api/v1/variables/${id}`, { method: "PATCH", json, token });
const remove = (token, id) => call(base, `/api/v1/variables/${id}`, { method: "DELETE", token });
const list = async (token) => {
  const res = await call(base, "/api/v1/variables/", { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};
const storedRow = (id) => queryD1File(worker, "SELECT * FROM variable WHERE id = ?", [id])[0];

describe("POST /api/v1/variables/", () => {
  it("creates a Credential by default: 201, value null, has_value true", async () => {
    const res = await create(alice.token, { name: "OPENAI_API_KEY", value: "sk-openai-secret", default_fields: [] });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), VARIABLE_READ_KEYS);
    assert.match(res.body.id, UUID_RE);
    assert.deepEqual(res.body, {
      id: res.body.id, name: "OPENAI_API_KEY", type: "Credential", value: null, has_value: true, default_fields: [],
      is_owner: true, can_manage_shares: true, validation_error: null, is_valid: null,
    });
    assert.equal(fernetDecrypt(storedRow(res.body.id).value).plaintext, "sk-openai-secret");
  });

  it("creates an explicit Credential the same way", async () => {
    const res = await create(alice.token, { name: "EXPLICIT", value: "hidden", type: "Credential", default_fields: ["api_key"] });
    assert.equal(res.status, 201);
    assert.equal(res.body.type, "Credential");
    assert.equal(res.body.value, null);
    assert.equal(res.body.has_value, true);
    assert.deepEqual(res.body.default_fields, ["api_key"]);
  });

  it("creates a Generic with its value in plain text", async () => {
    const res = await create(alice.token, { name: "MODEL", value: "gpt-4o", type: "Generic", default_fields: ["model_name"] });
    assert.equal(res.status, 201);
    assert.equal(res.body.type, "Generic");
    assert.equal(res.body.value, "gpt-4o");
    assert.equal(res.body.has_value, true);
    assert.deepEqual(res.body.default_fields, ["model_name"]);
    assert.equal(storedRow(res.body.id).value, "gpt-4o");
  });

  it("lists the caller's variables: Credential values null, Generic values plain", async () => {
    const mine = await list(alice.token);
    const byName = Object.fromEntries(mine.map((v) => [v.name, v]));
    assert.deepEqual(Object.keys(byName).sort(), ["EXPLICIT", "MODEL", "OPENAI_API_KEY"]);
    assert.equal(byName.OPENAI_API_KEY.value, null);
    assert.equal(byName.OPENAI_API_KEY.has_value, true);
    assert.equal(byName.EXPLICIT.value, null);
    assert.equal(byName.MODEL.value, "gpt-4o");
    for (const v of mine) assert.deepEqual(Object.keys(v).sort(), VARIABLE_READ_KEYS);
    assert.ok(!JSON.stringify(mine).includes("sk-openai-secret"));
    assert.ok(!JSON.stringify(mine).includes("gAAAAA"), "no ciphertext in the answer");
    assert.deepEqual(await list(bob.token), []);
  });

  it("refuses a name the caller already uses (400), for either type", async () => {
    const again = await create(alice.token, { name: "OPENAI_API_KEY", value: "other", default_fields: [] });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, NAME_TAKEN);
    const generic = await create(alice.token, { name: "MODEL", value: "other", type: "Generic", default_fields: [] });
    assert.equal(generic.status, 400);
    assert.deepEqual(generic.body, NAME_TAKEN);
    assert.equal((await list(alice.token)).length, 3);
  });

  it("lets another user use the same name", async () => {
    const res = await create(bob.token, { name: "OPENAI_API_KEY", value: "bobs-own", default_fields: [] });
    assert.equal(res.status, 201);
    assert.deepEqual((await list(bob.token)).map((v) => v.name), ["OPENAI_API_KEY"]);
    assert.equal((await list(alice.token)).length, 3);
  });

  it("refuses a Generic value that looks like a Fernet token (400, not Langflow's 500)", async () => {
    const res = await create(alice.token, { name: "SMUGGLED", value: "gAAAAABlooks-like-a-token", type: "Generic", default_fields: [] });
    assert.equal(res.status, 400);
    assert.equal(typeof res.body.detail, "string");
    assert.match(res.body.detail, /gAAAAA/);
    assert.ok(!(await list(alice.token)).some((v) => v.name === "SMUGGLED"));
  });

  it("accepts such a value as a Credential", async () => {
    const res = await create(alice.token, { name: "TOKENISH", value: "gAAAAABsomething", default_fields: [] });
    assert.equal(res.status, 201);
    assert.equal(fernetDecrypt(storedRow(res.body.id).value).plaintext, "gAAAAABsomething");
    assert.equal((await remove(alice.token, res.body.id)).status, 204);
  });

  it("works with an API key", async () => {
    const key = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "vars" }, token: bob.token });
    const res = await call(base, "/api/v1/variables/", {
      method: "POST", json: { name: "BY_KEY", value: "v", type: "Generic", default_fields: [] }, apiKey: key.body.api_key,
    });
    assert.equal(res.status, 201);
    assert.ok((await list(bob.token)).some((v) => v.id === res.body.id));
  });
});

describe("PATCH /api/v1/variables/{id}", () => {
  let credential;
  let generic;
  before(async () => {
    credential = (await create(alice.token, { name: "PATCH_CRED", value: "cred-v1", default_fields: [] })).body;
    generic = (await create(alice.token, { name: "PATCH_GEN", value: "gen-v1", type: "Generic", default_fields: [] })).body;
  });

  it("changes a Credential's value: still hidden, stored encrypted", async () => {
    const res = await patch(alice.token, credential.id, { id: credential.id, value: "cred-v2" });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), VARIABLE_READ_KEYS);
    assert.equal(res.body.type, "Credential");
    assert.equal(res.body.value, null);
    assert.equal(res.body.has_value, true);
    assert.equal(fernetDecrypt(storedRow(credential.id).value).plaintext, "cred-v2");
  });

  it("renames and changes default_fields", async () => {
    const res = await patch(alice.token, credential.id, { id: credential.id, name: "PATCH_CRED_RENAMED", default_fields: ["a", "b"] });
    assert.equal(res.status, 200);
    assert.equal(res.body.name, "PATCH_CRED_RENAMED");
    assert.deepEqual(res.body.default_fields, ["a", "b"]);
    const listed = (await list(alice.token)).find((v) => v.id === credential.id);
    assert.equal(listed.name, "PATCH_CRED_RENAMED");
    assert.deepEqual(listed.default_fields, ["a", "b"]);
    assert.equal(fernetDecrypt(storedRow(credential.id).value).plaintext, "cred-v2", "value kept");
  });

  it("refuses a rename to a name the caller already uses (400)", async () => {
    const res = await patch(alice.token, credential.id, { id: credential.id, name: "PATCH_GEN" });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, NAME_TAKEN);
    assert.equal((await list(alice.token)).find((v) => v.id === credential.id).name, "PATCH_CRED_RENAMED");
  });

  it("changes a Generic's value in plain text", async () => {
    const res = await patch(alice.token, generic.id, { id: generic.id, value: "gen-v2" });
    assert.equal(res.status, 200);
    assert.equal(res.body.type, "Generic");
    assert.equal(res.body.value, "gen-v2");
    assert.equal(storedRow(generic.id).value, "gen-v2");
  });

  it("refuses a Generic value that looks like a Fernet token (400), value unchanged", async () => {
    const res = await patch(alice.token, generic.id, { id: generic.id, value: "gAAAAABsmuggled" });
    assert.equal(res.status, 400);
    assert.equal((await list(alice.token)).find((v) => v.id === generic.id).value, "gen-v2");
  });

  it("refuses relabelling a Credential as Generic without a new value (404 Variable not found)", async () => {
    const res = await patch(alice.token, credential.id, { id: credential.id, type: "Generic" });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, NOT_FOUND);
    const listed = (await list(alice.token)).find((v) => v.id === credential.id);
    assert.equal(listed.type, "Credential");
    assert.equal(listed.value, null);
    assert.equal(storedRow(credential.id).type, "Credential");
  });

  it("allows the relabel with a new value, which is then shown", async () => {
    const res = await patch(alice.token, credential.id, { id: credential.id, type: "Generic", value: "now-public" });
    assert.equal(res.status, 200);
    assert.equal(res.body.type, "Generic");
    assert.equal(res.body.value, "now-public");
    assert.deepEqual(storedRow(credential.id).value, "now-public");
  });

  it("relabels a Generic as Credential: the value is encrypted and hidden from then on", async () => {
    const res = await patch(alice.token, generic.id, { id: generic.id, type: "Credential" });
    assert.equal(res.status, 200);
    assert.equal(res.body.type, "Credential");
    assert.equal(res.body.value, null);
    assert.equal(res.body.has_value, true);
    const row = storedRow(generic.id);
    assert.match(row.value, /^gAAAAA/);
    assert.equal(fernetDecrypt(row.value).plaintext, "gen-v2");
  });

  it("another user gets 404 Variable not found and changes nothing", async () => {
    const before_ = storedRow(generic.id);
    const res = await patch(bob.token, generic.id, { id: generic.id, value: "bob-was-here", type: "Generic" });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, NOT_FOUND);
    assert.deepEqual(storedRow(generic.id), before_);
  });
});

describe("DELETE /api/v1/variables/{id}", () => {
  it("answers 204 with an empty body; the variable is gone", async () => {
    const created = (await create(alice.token, { name: "DOOMED", value: "x", default_fields: [] })).body;
    const res = await remove(alice.token, created.id);
    assert.equal(res.status, 204);
    assert.equal(res.body, null, "empty body");
    assert.ok(!(await list(alice.token)).some((v) => v.id === created.id));
    assert.equal(storedRow(created.id), undefined);
    const again = await remove(alice.token, created.id);
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, NOT_FOUND);
    const patched = await patch(alice.token, created.id, { id: created.id, value: "y" });
    assert.equal(patched.status, 404);
    assert.deepEqual(patched.body, NOT_FOUND);
  });

  it("frees the name for a new variable", async () => {
    const first = (await create(alice.token, { name: "REUSED", value: "1", default_fields: [] })).body;
    assert.equal((await remove(alice.token, first.id)).status, 204);
    const second = await create(alice.token, { name: "REUSED", value: "2", default_fields: [] });
    assert.equal(second.status, 201);
  });

  it("another user gets 404 Variable not found", async () => {
    const created = (await create(alice.token, { name: "KEEP_ME", value: "x", default_fields: [] })).body;
    const res = await remove(bob.token, created.id);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, NOT_FOUND);
    assert.ok((await list(alice.token)).some((v) => v.id === created.id));
  });
});

describe("bad input to the variable routes: clear 4xx, never 500", () => {
  const expect422 = (res, loc) => {
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.ok(Array.isArray(res.body.detail));
    if (loc) assert.deepEqual(res.body.detail[0].loc, loc);
  };

  it("missing default_fields → 422 naming it", async () => {
    const res = await create(alice.token, { name: "NO_FIELDS", value: "v" });
    expect422(res, ["body", "default_fields"]);
    assert.equal(res.body.detail[0].type, "missing");
    assert.ok(!(await list(alice.token)).some((v) => v.name === "NO_FIELDS"));
  });

  it("missing name or value → 422 naming it", async () => {
    expect422(await create(alice.token, { value: "v", default_fields: [] }), ["body", "name"]);
    expect422(await create(alice.token, { name: "N", default_fields: [] }), ["body", "value"]);
  });

  it("fields of the wrong type → 422 naming them", async () => {
    expect422(await create(alice.token, { name: 5, value: "v", default_fields: [] }), ["body", "name"]);
    expect422(await create(alice.token, { name: "N", value: 5, default_fields: [] }), ["body", "value"]);
    expect422(await create(alice.token, { name: "N", value: "v", default_fields: "x" }), ["body", "default_fields"]);
    expect422(await create(alice.token, { name: "N", value: "v", default_fields: [1] }), ["body", "default_fields"]);
    expect422(await create(alice.token, { name: "N", value: "v", type: "Secret", default_fields: [] }), ["body", "type"]);
  });

  it("an empty name or value → 400", async () => {
    const noName = await create(alice.token, { name: "", value: "v", default_fields: [] });
    assert.equal(noName.status, 400);
    assert.deepEqual(noName.body, { detail: "Variable name cannot be empty" });
    const noValue = await create(alice.token, { name: "EMPTY", value: "", default_fields: [] });
    assert.equal(noValue.status, 400);
    assert.deepEqual(noValue.body, { detail: "Variable value cannot be empty" });
  });

  it("a body that is not a JSON object → 422", async () => {
    for (const body of ["[]", "{bad", "true"]) {
      expect422(await call(base, "/api/v1/variables/", { method: "POST", body, headers: { "content-type": "application/json" }, token: alice.token }));
    }
    expect422(await call(base, "/api/v1/variables/", { method: "POST", form: { name: "x", value: "y" }, token: alice.token }));
  });

  it("an oversized body → 413 with a clear detail, on create and update", async () => {
    const res = await create(alice.token, { name: "HUGE", value: "v".repeat(200_000), default_fields: [] });
    assert.equal(res.status, 413);
    assert.match(res.body.detail, /too large/i);
    assert.ok(!(await list(alice.token)).some((v) => v.name === "HUGE"));
    const created = (await create(alice.token, { name: "GROWS", value: "small", type: "Generic", default_fields: [] })).body;
    const patched = await patch(alice.token, created.id, { value: "v".repeat(200_000) });
    assert.equal(patched.status, 413);
    assert.match(patched.body.detail, /too large/i);
    assert.equal((await list(alice.token)).find((v) => v.id === created.id).value, "small");
  });

  it("a name over 255 characters → 400", async () => {
    const res = await create(alice.token, { name: "N".repeat(256), value: "v", default_fields: [] });
    assert.equal(res.status, 400);
    assert.equal(typeof res.body.detail, "string");
  });

  it("PATCH with fields of the wrong type → 422", async () => {
    const created = (await create(alice.token, { name: "TYPED", value: "v", type: "Generic", default_fields: [] })).body;
    expect422(await patch(alice.token, created.id, { value: 1 }), ["body", "value"]);
    expect422(await patch(alice.token, created.id, { type: "Other" }), ["body", "type"]);
    expect422(await patch(alice.token, created.id, { default_fields: {} }), ["body", "default_fields"]);
    assert.equal((await list(alice.token)).find((v) => v.id === created.id).value, "v");
  });

  it("a non-UUID id → 422 naming the path parameter", async () => {
    for (const id of ["nope", "12345"]) {
      for (const res of [await patch(alice.token, id, { value: "x" }), await remove(alice.token, id)]) {
        expect422(res, ["path", "variable_id"]);
        assert.equal(res.body.detail[0].type, "uuid_parsing");
      }
    }
  });

  it("an unknown id → 404 Variable not found", async () => {
    const id = randomUUID();
    for (const res of [await patch(alice.token, id, { value: "x" }), await remove(alice.token, id)]) {
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, NOT_FOUND);
    }
  });

  it("no credentials → 403", async () => {
    for (const res of [
      await call(base, "/api/v1/variables/"),
      await call(base, "/api/v1/variables/", { method: "POST", json: { name: "A", value: "b", default_fields: [] } }),
      await call(base, `/api/v1/variables/${randomUUID()}`, { method: "DELETE" }),
    ]) {
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { detail: "No authentication credentials provided" });
    }
  });
});
