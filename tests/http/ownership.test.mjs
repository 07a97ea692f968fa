// Ownership matrix (Langflow §5, §7, §8): another user — by Bearer token, access cookie or API
// key, and a superuser too — can neither read, change nor delete alice's API keys, flows and
// variables. Each gets Langflow's own answer (flows 404 "Flow not found", variables 404
// "Variable not found", API key delete 400 "API Key not found", the same as for an unknown id),
// lists show only the caller's objects, and alice's objects are unchanged afterwards.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, call, makeUser, queryD1Batch, signInAdmin } from "./harness.mjs";

const FLOW_NOT_FOUND = { detail: "Flow not found" };
const VARIABLE_NOT_FOUND = { detail: "Variable not found" };
const KEY_NOT_FOUND = { detail: "API Key not found" };

let worker;
let base;
let admin; // { token, id, apiKey }
let alice; // { token, id, apiKey, keyId, flow, credential, generic }
let bob; // { token, id, apiKey, flowId, variableId }

/** Everything alice can see of her own objects, and their rows in D1 (Credential values are only visible there). */
async function aliceState() {
  const flow = await call(base, `/api/v1/flows/${alice.flow.id}`, { token: alice.token });
  const flows = await call(base, "/api/v1/flows/", { token: alice.token });
  const variables = await call(base, "/api/v1/variables/", { token: alice.token });
  const keys = await call(base, "/api/v1/api_key/", { token: alice.token });
  for (const res of [flow, flows, variables, keys]) assert.equal(res.status, 200, JSON.stringify(res.body));
  const [flowRows, variableRows, apikeyRows] = queryD1Batch(worker, [
    ["SELECT * FROM flow WHERE user_id = ?", [alice.id]],
    ["SELECT * FROM variable WHERE user_id = ? ORDER BY id", [alice.id]],
    ["SELECT * FROM apikey WHERE user_id = ? ORDER BY id", [alice.id]],
  ]);
  const rows = { flow: flowRows, variable: variableRows, apikey: apikeyRows };
  return { flow: flow.body, flows: flows.body, variables: variables.body, keys: keys.body, rows };
}

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
  const adminKey = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "admin-key" }, token: admin.token });
  admin.apiKey = adminKey.body.api_key;

  const a = await makeUser(base, admin.token, "alice");
  const aliceKey = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "alice-key" }, token: a.token });
  const flow = await call(base, "/api/v1/flows/", {
    method: "POST", token: a.token,
    json: { name: "Alice's flow", description: "private", data: { nodes: [{ id: "n1", data: { password: "hunter2" } }], edges: [] } },
  });
  const credential = await call(base, "/api/v1/variables/", {
    method: "POST", token: a.token, json: { name: "ALICE_SECRET", value: "alice-credential-value", default_fields: [] },
  });
  const generic = await call(base, "/api/v1/variables/", {
    method: "POST", token: a.token, json: { name: "ALICE_GENERIC", value: "alice-generic-value", type: "Generic", default_fields: ["x"] },
  });
  for (const res of [aliceKey, flow, credential, generic]) assert.ok([200, 201].includes(res.status), JSON.stringify(res.body));
  alice = { ...a, apiKey: aliceKey.body.api_key, keyId: aliceKey.body.id, flow: flow.body, credential: credential.body, generic: generic.body };

  const b = await makeUser(base, admin.token, "bob");
  const bobKey = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "bob-key" }, token: b.token });
  const bobFlow = await call(base, "/api/v1/flows/", { method: "POST", token: b.token, json: { name: "Bob's flow", data: {} } });
  const bobVariable = await call(base, "/api/v1/variables/", {
    method: "POST", token: b.token, json: { name: "BOB_SECRET", value: "bob-value", default_fields: [] },
  });
  bob = { ...b, apiKey: bobKey.body.api_key, flowId: bobFlow.body.id, variableId: bobVariable.body.id };
});

after(async () => {
  await worker?.destroy();
});

/** The ways another user reaches the API; `withAuth(path)` gives the path and call options. */
const CALLERS = [
  { name: "bob with a Bearer token", who: () => bob, auth: (path) => [path, { token: bob.token }] },
  { name: "bob with the access_token_lf cookie", who: () => bob, auth: (path) => [path, { cookie: `access_token_lf=${bob.token}` }] },
  { name: "bob with an API key in the x-api-key header", who: () => bob, auth: (path) => [path, { apiKey: bob.apiKey }] },
  {
    name: "bob with an API key in the ?x-api-key= query", who: () => bob,
    auth: (path) => [`${path}${path.includes("?") ? "&" : "?"}x-api-key=${encodeURIComponent(bob.apiKey)}`, {}],
  },
  { name: "the superuser with a Bearer token", who: () => admin, auth: (path) => [path, { token: admin.token }] },
  { name: "the superuser with an API key", who: () => admin, auth: (path) => [path, { apiKey: admin.apiKey }] },
];

describe("ownership matrix", () => {
  let before_;

  before(async () => {
    before_ = await aliceState();
    // Sanity: the state is what alice created.
    assert.equal(before_.flow.name, "Alice's flow");
    assert.equal(before_.keys.total_count, 1);
    assert.equal(before_.variables.length, 2);
  });

  for (const caller of CALLERS) {
    describe(caller.name, () => {
      const send = (path, options = {}) => {
        const [fullPath, auth] = caller.auth(path);
        return call(base, fullPath, { ...options, ...auth });
      };

      it("is who it claims to be (whoami)", async () => {
        const res = await send("/api/v1/users/whoami");
        assert.equal(res.status, 200);
        assert.equal(res.body.id, caller.who().id);
      });

      it("GET /flows/{alice's id} → 404 Flow not found", async () => {
        const res = await send(`/api/v1/flows/${alice.flow.id}`);
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, FLOW_NOT_FOUND);
      });

      it("PATCH /flows/{alice's id} → 404 Flow not found", async () => {
        const res = await send(`/api/v1/flows/${alice.flow.id}`, {
          method: "PATCH", json: { name: "hijacked", description: "changed", data: { nodes: [] }, user_id: caller.who().id },
        });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, FLOW_NOT_FOUND);
      });

      it("DELETE /flows/{alice's id} → 404 Flow not found", async () => {
        const res = await send(`/api/v1/flows/${alice.flow.id}`, { method: "DELETE" });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, FLOW_NOT_FOUND);
      });

      it("an unknown flow id gets the same answer", async () => {
        const res = await send(`/api/v1/flows/${randomUUID()}`);
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, FLOW_NOT_FOUND);
      });

      it("GET /flows/ lists only the caller's flows", async () => {
        const res = await send("/api/v1/flows/");
        assert.equal(res.status, 200);
        assert.ok(Array.isArray(res.body));
        assert.ok(!res.body.some((f) => f.id === alice.flow.id), "alice's flow is not listed");
        assert.ok(res.body.every((f) => f.user_id === caller.who().id), "every listed flow is the caller's");
        if (caller.who() === bob) assert.deepEqual(res.body.map((f) => f.id), [bob.flowId]);
      });

      it("GET /flows/?header_flows=true lists only the caller's flows", async () => {
        const res = await send("/api/v1/flows/?header_flows=true");
        assert.equal(res.status, 200);
        assert.ok(!res.body.some((f) => f.id === alice.flow.id));
      });

      it("PATCH /variables/{alice's Credential} → 404 Variable not found", async () => {
        const res = await send(`/api/v1/variables/${alice.credential.id}`, {
          method: "PATCH", json: { id: alice.credential.id, name: "HIJACKED", value: "attacker", type: "Generic" },
        });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, VARIABLE_NOT_FOUND);
      });

      it("PATCH /variables/{alice's Generic} → 404 Variable not found", async () => {
        const res = await send(`/api/v1/variables/${alice.generic.id}`, {
          method: "PATCH", json: { id: alice.generic.id, value: "attacker" },
        });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, VARIABLE_NOT_FOUND);
      });

      it("DELETE /variables/{alice's id} → 404 Variable not found", async () => {
        for (const id of [alice.credential.id, alice.generic.id]) {
          const res = await send(`/api/v1/variables/${id}`, { method: "DELETE" });
          assert.equal(res.status, 404);
          assert.deepEqual(res.body, VARIABLE_NOT_FOUND);
        }
      });

      it("an unknown variable id gets the same answer", async () => {
        const res = await send(`/api/v1/variables/${randomUUID()}`, { method: "DELETE" });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, VARIABLE_NOT_FOUND);
      });

      it("GET /variables/ lists only the caller's variables", async () => {
        const res = await send("/api/v1/variables/");
        assert.equal(res.status, 200);
        const ids = res.body.map((v) => v.id);
        assert.ok(!ids.includes(alice.credential.id) && !ids.includes(alice.generic.id));
        assert.ok(!res.body.some((v) => v.value === "alice-generic-value"));
        if (caller.who() === bob) assert.deepEqual(ids, [bob.variableId]);
      });

      it("DELETE /api_key/{alice's key} → 400 API Key not found, as for an unknown id", async () => {
        const theirs = await send(`/api/v1/api_key/${alice.keyId}`, { method: "DELETE" });
        const unknown = await send(`/api/v1/api_key/${randomUUID()}`, { method: "DELETE" });
        assert.equal(theirs.status, 400);
        assert.deepEqual(theirs.body, KEY_NOT_FOUND);
        assert.equal(unknown.status, theirs.status);
        assert.deepEqual(unknown.body, theirs.body);
      });

      it("GET /api_key/ lists only the caller's keys", async () => {
        const res = await send("/api/v1/api_key/");
        assert.equal(res.status, 200);
        assert.equal(res.body.user_id, caller.who().id);
        assert.ok(!res.body.api_keys.some((k) => k.id === alice.keyId));
        assert.ok(res.body.api_keys.every((k) => k.user_id === caller.who().id));
        assert.equal(res.body.total_count, res.body.api_keys.length);
        assert.ok(!JSON.stringify(res.body).includes(alice.apiKey.slice(0, 8)), "no trace of alice's key");
      });

      it("leaves alice's objects exactly as they were", async () => {
        assert.deepEqual(await aliceState(), before_);
      });
    });
  }

  describe("afterwards, alice", () => {
    it("still has everything, and her key still works", async () => {
      const state = await aliceState();
      assert.deepEqual(state, before_);
      assert.equal(state.flow.name, "Alice's flow");
      assert.deepEqual(state.flow.data, alice.flow.data);
      assert.deepEqual(state.variables.map((v) => v.name).sort(), ["ALICE_GENERIC", "ALICE_SECRET"]);
      assert.equal(state.variables.find((v) => v.name === "ALICE_GENERIC").value, "alice-generic-value");
      const me = await call(base, "/api/v1/users/whoami", { apiKey: alice.apiKey });
      assert.equal(me.status, 200);
      assert.equal(me.body.id, alice.id);
    });

    it("sees her own objects through her API key as through her token", async () => {
      const flow = await call(base, `/api/v1/flows/${alice.flow.id}`, { apiKey: alice.apiKey });
      assert.equal(flow.status, 200);
      assert.deepEqual(flow.body, before_.flow);
      const variables = await call(base, "/api/v1/variables/", { apiKey: alice.apiKey });
      assert.deepEqual(variables.body, before_.variables);
    });

    it("can delete her own objects (the 404s above were about ownership, not the ids)", async () => {
      const flow = await call(base, `/api/v1/flows/${alice.flow.id}`, { method: "DELETE", token: alice.token });
      assert.equal(flow.status, 200);
      assert.deepEqual(flow.body, { message: "Flow deleted successfully" });
      const variable = await call(base, `/api/v1/variables/${alice.generic.id}`, { method: "DELETE", token: alice.token });
      assert.equal(variable.status, 204);
      const key = await call(base, `/api/v1/api_key/${alice.keyId}`, { method: "DELETE", token: alice.token });
      assert.equal(key.status, 200);
      assert.deepEqual(key.body, { detail: "API Key deleted" });
    });
  });
});
