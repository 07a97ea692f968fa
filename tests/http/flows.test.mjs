// /api/v1/flows/...: create (201, FlowRead, owner = caller, "name (n)" for taken names), read,
// update, delete and list, owner-scoped (Langflow §1, §7); flows as large as a D1 row can hold,
// and a clear 413 past that; bad input answered with 4xx, never 500.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, call, makeUser, UUID_RE, queryD1File, signInAdmin, execSql } from "./harness.mjs";

const FLOW_READ_KEYS = [
  "name", "description", "icon", "icon_bg_color", "gradient", "data", "is_component", "updated_at", "webhook",
  "endpoint_name", "tags", "locked", "mcp_enabled", "action_name", "action_description", "access_type", "flow_type",
  "a2a_enabled", "a2a_card_overrides", "id", "user_id", "folder_id", "workspace_id", "name_key", "version_token",
].sort();
const FLOW_NOT_FOUND = { detail: "Flow not found" };

let worker;
let base;
let admin; // { token, id }
let alice;
let bob;

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
  alice = await makeUser(base, admin.token, "flow-alice");
  bob = await makeUser(base, admin.token, "flow-bob");
});

after(async () => {
  await worker?.destroy();
});

const createFlow = (token, json) => call(base, "/api/v1/flows/", { method: "POST", json, token });
const readFlow = (token, id) => call(base, `/api/v1/flows/${id}`, { token });
const patchFlow = (token, id, json) => call(base, `/api/v1/flows/${id}`, { method: "PATCH", json, token });

/** A flow's `data` of about `bytes` bytes of JSON, with some structure and non-ASCII text. */
function bigData(bytes) {
  const node = (i) => ({ id: `node-${i}`, type: "genericNode", position: { x: i, y: i * 2 }, data: { label: `Nœud ${i} — ✓`, value: "v".repeat(200) } });
  const nodes = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const n = node(i);
    size += Buffer.byteLength(JSON.stringify(n)) + 1;
    nodes.push(n);
  }
  return { nodes, edges: [{ source: "node-0", target: "node-1" }], viewport: { x: 0, y: 0, zoom: 1 } };
}

describe("POST /api/v1/flows/", () => {
  it("answers 201 with a FlowRead owned by the caller", async () => {
    const data = { nodes: [{ id: "a", data: { x: 1 } }], edges: [], viewport: { zoom: 1 } };
    const res = await createFlow(alice.token, { name: "First flow", description: "my first", data, tags: ["t1", "t2"] });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), FLOW_READ_KEYS);
    assert.match(res.body.id, UUID_RE);
    assert.equal(res.body.name, "First flow");
    assert.equal(res.body.description, "my first");
    assert.deepEqual(res.body.data, data);
    assert.deepEqual(res.body.tags, ["t1", "t2"]);
    assert.equal(res.body.user_id, alice.id);
    assert.equal(res.body.access_type, "PRIVATE");
    assert.equal(res.body.flow_type, "workflow");
    assert.equal(res.body.is_component, false);
    assert.equal(res.body.webhook, false);
    assert.equal(res.body.locked, false);
    assert.equal(res.body.mcp_enabled, false);
    assert.equal(res.body.a2a_enabled, false);
    assert.ok(!Number.isNaN(Date.parse(res.body.updated_at)), res.body.updated_at);
  });

  it("ignores user_id in the body: the owner is the caller", async () => {
    const res = await createFlow(alice.token, { name: "Owned by alice", data: {}, user_id: bob.id });
    assert.equal(res.status, 201);
    assert.equal(res.body.user_id, alice.id);
    assert.equal((await readFlow(bob.token, res.body.id)).status, 404);
    assert.equal((await readFlow(alice.token, res.body.id)).status, 200);
    const rows = queryD1File(worker, "SELECT user_id FROM flow WHERE id = ?", [res.body.id]);
    assert.deepEqual(rows, [{ user_id: alice.id }]);
  });

  it("renames a taken name to 'name (1)', 'name (2)'", async () => {
    const names = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await createFlow(alice.token, { name: "Same name", data: {} });
      assert.equal(res.status, 201);
      names.push(res.body.name);
    }
    assert.deepEqual(names, ["Same name", "Same name (1)", "Same name (2)"]);
  });

  it("counts per user: another user gets the plain name", async () => {
    const res = await createFlow(bob.token, { name: "Same name", data: {} });
    assert.equal(res.status, 201);
    assert.equal(res.body.name, "Same name");
  });

  it("treats LIKE wildcards in names literally", async () => {
    const first = await createFlow(alice.token, { name: "100%_done", data: {} });
    const other = await createFlow(alice.token, { name: "100xxdone", data: {} });
    const second = await createFlow(alice.token, { name: "100%_done", data: {} });
    assert.deepEqual([first.body.name, other.body.name, second.body.name], ["100%_done", "100xxdone", "100%_done (1)"]);
  });

  it("renames long names too (no LIKE-pattern limit: D1 caps LIKE patterns at 50 bytes)", async () => {
    for (const name of ["L".repeat(49), "L".repeat(50), "Ł".repeat(300), `${"%_".repeat(40)}\\`]) {
      const names = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await createFlow(alice.token, { name, data: {} });
        assert.equal(res.status, 201, `${name.length} chars: ${JSON.stringify(res.body)}`);
        names.push(res.body.name);
      }
      assert.deepEqual(names, [name, `${name} (1)`, `${name} (2)`]);
    }
  });

  it("matches taken names exactly (case and prefix), not like SQL LIKE", async () => {
    const made = [];
    for (const name of ["Case Flow", "case flow", "Case Flow (x)", "Case Flowchart", "Case Flow"]) {
      made.push((await createFlow(alice.token, { name, data: {} })).body.name);
    }
    assert.deepEqual(made, ["Case Flow", "case flow", "Case Flow (x)", "Case Flowchart", "Case Flow (1)"]);
  });

  it("renames a taken endpoint_name to 'endpoint-1', 'endpoint-2', long ones too", async () => {
    for (const endpoint of ["my-endpoint", "e".repeat(120)]) {
      const got = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await createFlow(alice.token, { name: `ep ${endpoint}`, endpoint_name: endpoint, data: {} });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        got.push(res.body.endpoint_name);
      }
      assert.deepEqual(got, [endpoint, `${endpoint}-1`, `${endpoint}-2`]);
    }
  });

  it("numbers past 2^64 - 1 keep growing, as Python's int does (issue 15)", async () => {
    const max = "18446744073709551615";
    for (const name of ["Big", `Big (${max})`]) {
      assert.equal((await createFlow(alice.token, { name, data: {} })).status, 201);
    }
    const next = await createFlow(alice.token, { name: "Big", data: {} });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(next.body.name, "Big (18446744073709551616)");
    for (const endpoint_name of ["big-ep", `big-ep-${max}`]) {
      assert.equal((await createFlow(alice.token, { name: `flow ${endpoint_name}`, endpoint_name, data: {} })).status, 201);
    }
    const again = await createFlow(alice.token, { name: "flow big-ep again", endpoint_name: "big-ep", data: {} });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.endpoint_name, "big-ep-18446744073709551616");
  });

  it("needs no data (null)", async () => {
    const res = await createFlow(alice.token, { name: "No data" });
    assert.equal(res.status, 201);
    assert.equal(res.body.data, null);
  });

  it("works with an API key", async () => {
    const key = await call(base, "/api/v1/api_key/", { method: "POST", json: { name: "flows" }, token: alice.token });
    const res = await call(base, "/api/v1/flows/", { method: "POST", json: { name: "Via key", data: {} }, apiKey: key.body.api_key });
    assert.equal(res.status, 201);
    assert.equal(res.body.user_id, alice.id);
  });

  it("needs credentials (403)", async () => {
    const res = await call(base, "/api/v1/flows/", { method: "POST", json: { name: "anon", data: {} } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "No authentication credentials provided" });
  });
});

describe("GET, PATCH and DELETE /api/v1/flows/{id}", () => {
  let flow;
  before(async () => {
    const res = await createFlow(alice.token, { name: "Editable", description: "before", data: { nodes: [], edges: [] } });
    flow = res.body;
  });

  it("GET answers the same FlowRead as the create", async () => {
    const res = await readFlow(alice.token, flow.id);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, flow);
  });

  it("PATCH changes the given fields only and answers the FlowRead", async () => {
    const data = { nodes: [{ id: "n" }], edges: [] };
    const res = await patchFlow(alice.token, flow.id, { description: "after", data });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), FLOW_READ_KEYS);
    assert.equal(res.body.id, flow.id);
    assert.equal(res.body.name, "Editable");
    assert.equal(res.body.description, "after");
    assert.deepEqual(res.body.data, data);
    assert.equal(res.body.user_id, alice.id);
    const read = await readFlow(alice.token, flow.id);
    assert.deepEqual(read.body, res.body);
  });

  it("PATCH renames", async () => {
    const res = await patchFlow(alice.token, flow.id, { name: "Renamed" });
    assert.equal(res.status, 200);
    assert.equal(res.body.name, "Renamed");
    assert.equal((await readFlow(alice.token, flow.id)).body.name, "Renamed");
  });

  it("PATCH to a name the caller already uses → 400, flow unchanged", async () => {
    await createFlow(alice.token, { name: "Taken name", data: {} });
    const before_ = (await readFlow(alice.token, flow.id)).body;
    const res = await patchFlow(alice.token, flow.id, { name: "Taken name" });
    assert.equal(res.status, 400);
    assert.equal(res.body.detail, "Flow name must be unique");
    assert.deepEqual((await readFlow(alice.token, flow.id)).body, before_);
  });

  it("PATCH ignores user_id: the flow stays the owner's", async () => {
    const res = await patchFlow(alice.token, flow.id, { user_id: bob.id, description: "still alice's" });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, alice.id);
    assert.equal((await readFlow(bob.token, flow.id)).status, 404);
    assert.equal((await readFlow(alice.token, flow.id)).body.description, "still alice's");
  });

  it("another user (and a superuser) gets 404 Flow not found", async () => {
    for (const token of [bob.token, admin.token]) {
      for (const res of [
        await readFlow(token, flow.id),
        await patchFlow(token, flow.id, { name: "stolen" }),
        await call(base, `/api/v1/flows/${flow.id}`, { method: "DELETE", token }),
      ]) {
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, FLOW_NOT_FOUND);
      }
    }
    assert.equal((await readFlow(alice.token, flow.id)).body.description, "still alice's");
  });

  it("DELETE answers 200 Flow deleted successfully; then the flow is gone", async () => {
    const res = await call(base, `/api/v1/flows/${flow.id}`, { method: "DELETE", token: alice.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: "Flow deleted successfully" });
    const read = await readFlow(alice.token, flow.id);
    assert.equal(read.status, 404);
    assert.deepEqual(read.body, FLOW_NOT_FOUND);
    const again = await call(base, `/api/v1/flows/${flow.id}`, { method: "DELETE", token: alice.token });
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, FLOW_NOT_FOUND);
    const patch = await patchFlow(alice.token, flow.id, { name: "ghost" });
    assert.equal(patch.status, 404);
    assert.deepEqual(patch.body, FLOW_NOT_FOUND);
    assert.deepEqual(queryD1File(worker, "SELECT id FROM flow WHERE id = ?", [flow.id]), []);
  });
});

describe("GET /api/v1/flows/", () => {
  let carol;
  let dave;
  before(async () => {
    carol = await makeUser(base, admin.token, "flow-carol");
    dave = await makeUser(base, admin.token, "flow-dave");
    for (const name of ["C1", "C2", "C3"]) await createFlow(carol.token, { name, data: { owner: "carol" } });
    await createFlow(dave.token, { name: "D1", data: { owner: "dave" } });
  });

  it("lists exactly the caller's flows", async () => {
    const res = await call(base, "/api/v1/flows/", { token: carol.token });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body));
    assert.deepEqual(res.body.map((f) => f.name).sort(), ["C1", "C2", "C3"]);
    for (const f of res.body) {
      assert.deepEqual(Object.keys(f).sort(), FLOW_READ_KEYS);
      assert.equal(f.user_id, carol.id);
      assert.deepEqual(f.data, { owner: "carol" });
    }
    const daves = await call(base, "/api/v1/flows/", { token: dave.token });
    assert.deepEqual(daves.body.map((f) => f.name), ["D1"]);
  });

  it("a superuser's list does not include other users' flows", async () => {
    const res = await call(base, "/api/v1/flows/", { token: admin.token });
    assert.equal(res.status, 200);
    assert.ok(res.body.every((f) => f.user_id === admin.id));
  });

  it("a user without flows gets []", async () => {
    const erin = await makeUser(base, admin.token, "flow-erin");
    const res = await call(base, "/api/v1/flows/", { token: erin.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, []);
  });

  it("header_flows=true lists the caller's flows without their data", async () => {
    const res = await call(base, "/api/v1/flows/?header_flows=true", { token: carol.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((f) => f.name).sort(), ["C1", "C2", "C3"]);
    assert.ok(res.body.every((f) => f.data === null));
  });

  it("get_all=false pages the caller's flows", async () => {
    const res = await call(base, "/api/v1/flows/?get_all=false&size=2&page=1", { token: carol.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 3);
    assert.equal(res.body.items.length, 2);
    assert.ok(res.body.items.every((f) => f.user_id === carol.id));
  });

  it("needs credentials (403)", async () => {
    const res = await call(base, "/api/v1/flows/");
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: "No authentication credentials provided" });
  });
});

describe("GET /api/v1/flows/ as Langflow 1.13: headers, get_all across projects, flow_type", () => {
  // Langflow 1.13's FlowHeader fields (langflow/services/database/models/flow/model.py).
  const HEADER_KEYS = ["id", "name", "folder_id", "is_component", "endpoint_name", "description", "data", "access_type",
    "tags", "mcp_enabled", "flow_type", "a2a_enabled", "a2a_card_overrides", "action_name", "action_description", "updated_at"];
  let gina;
  let second;
  before(async () => {
    gina = await makeUser(base, admin.token, "flow-gina");
    second = (await call(base, "/api/v1/projects/", { method: "POST", json: { name: "Second" }, token: gina.token })).body;
    await createFlow(gina.token, { name: "G-flow", data: { nodes: [] } });
    await createFlow(gina.token, { name: "G-component", is_component: true, data: { part: 1 }, folder_id: second.id });
    const agent = (await createFlow(gina.token, { name: "G-agent", data: {}, folder_id: second.id })).body;
    execSql(worker, `UPDATE flow SET flow_type = 'agent' WHERE id = '${agent.id}'`);
  });

  it("a header has Langflow's fields, and a component's data", async () => {
    const res = await call(base, "/api/v1/flows/?header_flows=true", { token: gina.token });
    assert.equal(res.status, 200);
    for (const header of res.body) assert.deepEqual(Object.keys(header).sort(), [...HEADER_KEYS].sort());
    const byName = Object.fromEntries(res.body.map((f) => [f.name, f]));
    assert.deepEqual(byName["G-component"].data, { part: 1 });
    assert.equal(byName["G-flow"].data, null);
    assert.equal(byName["G-agent"].flow_type, "agent");
    assert.equal(byName["G-flow"].a2a_enabled, false);
  });

  it("get_all=true lists every project's flows, whatever folder_id says", async () => {
    const res = await call(base, `/api/v1/flows/?get_all=true&folder_id=${second.id}`, { token: gina.token });
    assert.deepEqual(res.body.map((f) => f.name).sort(), ["G-agent", "G-component", "G-flow"]);
    const page = await call(base, `/api/v1/flows/?get_all=false&folder_id=${second.id}`, { token: gina.token });
    assert.deepEqual(page.body.items.map((f) => f.name).sort(), ["G-agent", "G-component"]);
  });

  it("flow_type filters by kind; another value is a 422 naming it", async () => {
    const agents = await call(base, "/api/v1/flows/?flow_type=agent", { token: gina.token });
    assert.deepEqual(agents.body.map((f) => f.name), ["G-agent"]);
    const workflows = await call(base, "/api/v1/flows/?flow_type=workflow", { token: gina.token });
    assert.deepEqual(workflows.body.map((f) => f.name).sort(), ["G-component", "G-flow"]);
    const bad = await call(base, "/api/v1/flows/?flow_type=robot", { token: gina.token });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.detail[0].loc, ["query", "flow_type"]);
  });
});

describe("large flows", () => {
  it("stores a 1 MB flow and reads it back intact", async () => {
    const data = bigData(1_000_000);
    assert.ok(Buffer.byteLength(JSON.stringify(data)) >= 1_000_000);
    const res = await createFlow(alice.token, { name: "One megabyte", data });
    assert.equal(res.status, 201);
    const read = await readFlow(alice.token, res.body.id);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, data);
    const listed = (await call(base, "/api/v1/flows/", { token: alice.token })).body.find((f) => f.id === res.body.id);
    assert.deepEqual(listed.data, data);
  });

  it("refuses a flow too large for a D1 row with 413 and a clear detail (not 500), storing nothing", async () => {
    const count = () => queryD1File(worker, "SELECT count(*) AS n FROM flow WHERE user_id = ?", [alice.id])[0].n;
    const before_ = count();
    // Just under the request limit but over a D1 row: refused by the flow check.
    const res = await createFlow(alice.token, { name: "Too big", data: { blob: "x".repeat(1_950_000) } });
    assert.equal(res.status, 413);
    assert.match(res.body.detail, /too large/i);
    // Over the request limit: refused before it is read.
    const huge = await createFlow(alice.token, { name: "Much too big", data: { blob: "x".repeat(2_500_000) } });
    assert.equal(huge.status, 413);
    assert.match(huge.body.detail, /too large/i);
    assert.equal(count(), before_);
    const names = (await call(base, "/api/v1/flows/?header_flows=true", { token: alice.token })).body.map((f) => f.name);
    assert.ok(!names.includes("Too big") && !names.includes("Much too big"));
  });

  it("refuses an oversized body sent without Content-Length (chunked) with 413", async () => {
    const chunk = Buffer.from("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream({
      start(controller) { controller.enqueue(Buffer.from('{"name":"Streamed","data":{"blob":"')); },
      pull(controller) {
        if (sent++ < 40) controller.enqueue(chunk);
        else { controller.enqueue(Buffer.from('"}}')); controller.close(); }
      },
    });
    const res = await fetch(`${base}/api/v1/flows/`, {
      method: "POST", body, duplex: "half", headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
    });
    assert.equal(res.status, 413);
    assert.match((await res.json()).detail, /too large/i);
    const names = (await call(base, "/api/v1/flows/?header_flows=true", { token: alice.token })).body.map((f) => f.name);
    assert.ok(!names.includes("Streamed"));
  });

  it("refuses a PATCH that would make a flow too large (413), leaving it unchanged", async () => {
    const created = await createFlow(alice.token, { name: "Grows", data: { small: true } });
    const res = await patchFlow(alice.token, created.body.id, { data: { blob: "y".repeat(1_950_000) } });
    assert.equal(res.status, 413);
    assert.match(res.body.detail, /too large/i);
    const read = await readFlow(alice.token, created.body.id);
    assert.deepEqual(read.body.data, { small: true });
  });
});

describe("bad input to the flow routes: clear 4xx, never 500", () => {
  const expect422 = (res, loc) => {
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.ok(Array.isArray(res.body.detail));
    if (loc) assert.deepEqual(res.body.detail[0].loc, loc);
  };

  it("create without a name → 422 naming it", async () => {
    expect422(await createFlow(alice.token, { data: {} }), ["body", "name"]);
    expect422(await createFlow(alice.token, { name: null, data: {} }), ["body", "name"]);
  });

  it("fields of the wrong type → 422 naming them", async () => {
    expect422(await createFlow(alice.token, { name: 5, data: {} }), ["body", "name"]);
    expect422(await createFlow(alice.token, { name: "x", data: "not an object" }), ["body", "data"]);
    expect422(await createFlow(alice.token, { name: "x", data: [1, 2] }), ["body", "data"]);
    expect422(await createFlow(alice.token, { name: "x", tags: "t" }), ["body", "tags"]);
    expect422(await createFlow(alice.token, { name: "x", description: 7 }), ["body", "description"]);
    expect422(await createFlow(alice.token, { name: "x", is_component: "maybe" }), ["body", "is_component"]);
    expect422(await createFlow(alice.token, { name: "x", folder_id: "not-a-uuid" }), ["body", "folder_id"]);
    expect422(await createFlow(alice.token, { name: "x", access_type: "SECRET" }), ["body", "access_type"]);
  });

  it("an empty name → 400", async () => {
    const res = await createFlow(alice.token, { name: "  ", data: {} });
    assert.equal(res.status, 400);
    assert.equal(typeof res.body.detail, "string");
  });

  it("a body that is not a JSON object → 422", async () => {
    for (const body of ["[]", "{oops", "42", ""]) {
      const res = await call(base, "/api/v1/flows/", { method: "POST", body, headers: { "content-type": "application/json" }, token: alice.token });
      expect422(res);
    }
    expect422(await call(base, "/api/v1/flows/", { method: "POST", form: { name: "x" }, token: alice.token }));
  });

  it("PATCH with fields of the wrong type → 422, flow unchanged", async () => {
    const created = await createFlow(alice.token, { name: "Typed", data: { a: 1 } });
    expect422(await patchFlow(alice.token, created.body.id, { data: "x" }), ["body", "data"]);
    expect422(await patchFlow(alice.token, created.body.id, { name: 3 }), ["body", "name"]);
    assert.deepEqual((await readFlow(alice.token, created.body.id)).body, created.body);
  });

  it("a non-UUID id → 422 naming the path parameter, on every method", async () => {
    for (const id of ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"]) {
      for (const res of [
        await readFlow(alice.token, id),
        await patchFlow(alice.token, id, { name: "x" }),
        await call(base, `/api/v1/flows/${id}`, { method: "DELETE", token: alice.token }),
      ]) {
        expect422(res, ["path", "flow_id"]);
        assert.equal(res.body.detail[0].type, "uuid_parsing");
      }
    }
  });

  it("an unknown id → 404 Flow not found, on every method", async () => {
    const id = randomUUID();
    for (const res of [
      await readFlow(alice.token, id),
      await patchFlow(alice.token, id, { name: "x" }),
      await call(base, `/api/v1/flows/${id}`, { method: "DELETE", token: alice.token }),
    ]) {
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, FLOW_NOT_FOUND);
    }
  });

  it("bad query parameters on the list → 422 naming them", async () => {
    expect422(await call(base, "/api/v1/flows/?folder_id=nope", { token: alice.token }), ["query", "folder_id"]);
    expect422(await call(base, "/api/v1/flows/?get_all=perhaps", { token: alice.token }), ["query", "get_all"]);
    for (const [query, loc, type] of [
      ["page=0", "page", "greater_than_equal"],
      ["page=-3", "page", "greater_than_equal"],
      ["size=0", "size", "greater_than_equal"],
      ["page=two", "page", "int_parsing"],
      ["size=1.5", "size", "int_parsing"],
    ]) {
      const res = await call(base, `/api/v1/flows/?get_all=false&${query}`, { token: alice.token });
      expect422(res, ["query", loc]);
      assert.equal(res.body.detail[0].type, type, query);
    }
  });

  it("a page far past the end is an empty page, not an error", async () => {
    for (const query of ["page=99999999999999999999&size=10", "page=4294967296&size=4294967296"]) {
      const res = await call(base, `/api/v1/flows/?get_all=false&${query}`, { token: alice.token });
      assert.equal(res.status, 200, query);
      assert.deepEqual(res.body.items, []);
      assert.ok(res.body.total > 0);
    }
  });
});
