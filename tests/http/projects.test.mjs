// Projects (Langflow's folders) and the endpoints the Langflow 1.13 UI calls around sign-in and
// the flow list, standalone mode. Statuses, fields and `detail` texts are Langflow 1.13.0's, as
// recorded in docs/langflow-1.13-projects-observed.md.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startWorker, call, makeUser, signInAdmin, execSql, queryD1File, UUID_RE, ROOT } from "./harness.mjs";

const DEFAULT_NAME = "Starter Project";
const DEFAULT_DESCRIPTION = "Manage your own flows. Download and upload projects.";
const FOLDER_READ_KEYS = ["auth_settings", "description", "id", "name", "parent_id"];
const FOLDER_LIST_KEYS = [...FOLDER_READ_KEYS, "is_owner", "owner_username"].sort();
const NOT_FOUND = { detail: "Project not found" };

let worker;
let base;
let admin;
let alice;
let bob;

before(async () => {
  worker = await startWorker();
  base = worker.url;
  admin = await signInAdmin(base);
  alice = await makeUser(base, admin.token, "proj-alice");
  bob = await makeUser(base, admin.token, "proj-bob");
});

after(async () => {
  await worker?.destroy();
});

const projects = (token) => call(base, "/api/v1/projects/", { token });
const createProject = (token, json) => call(base, "/api/v1/projects/", { method: "POST", json, token });
const readProject = (token, id, query = "") => call(base, `/api/v1/projects/${id}${query}`, { token });
const patchProject = (token, id, json) => call(base, `/api/v1/projects/${id}`, { method: "PATCH", json, token });
const deleteProject = (token, id) => call(base, `/api/v1/projects/${id}`, { method: "DELETE", token });
const createFlow = (token, json) => call(base, "/api/v1/flows/", { method: "POST", json, token });
const defaultOf = async (user) => (await projects(user.token)).body.find((p) => p.name === DEFAULT_NAME);

/** A version-5 UUID (name-based, SHA-1), as Python's uuid.uuid5 makes one. */
function uuid5(name) {
  const ns = Buffer.from("6ba7b8109dad11d180b400c04fd430c8", "hex");
  const hash = createHash("sha1").update(Buffer.concat([ns, Buffer.from(name)])).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe("the default project", () => {
  it("every new user has Langflow's default project, listed first with Langflow's fields", async () => {
    const res = await projects(alice.token);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 1);
    const [project] = res.body;
    assert.deepEqual(Object.keys(project).sort(), FOLDER_LIST_KEYS);
    assert.equal(project.name, DEFAULT_NAME);
    assert.equal(project.description, DEFAULT_DESCRIPTION);
    assert.equal(project.auth_settings, null);
    assert.equal(project.parent_id, null);
    assert.equal(project.owner_username, alice.username);
    assert.equal(project.is_owner, true);
    assert.match(project.id, UUID_RE);
    // Stored when the user was created, not on the first look.
    const rows = queryD1File(worker, "SELECT name FROM folder WHERE user_id = ?", [alice.id]);
    assert.deepEqual(rows.map((r) => r.name), [DEFAULT_NAME]);
  });

  it("a flow created without folder_id lands in it (Langflow 1.13), and so does one naming another user's project", async () => {
    const mine = await defaultOf(alice);
    const plain = await createFlow(alice.token, { name: "no folder", data: {} });
    assert.equal(plain.status, 201);
    assert.equal(plain.body.folder_id, mine.id);
    const bobs = await defaultOf(bob);
    const foreign = await createFlow(alice.token, { name: "into bob's", folder_id: bobs.id });
    assert.equal(foreign.status, 201);
    assert.equal(foreign.body.folder_id, mine.id);
    const missing = await createFlow(alice.token, { name: "into nowhere", folder_id: randomUUID() });
    assert.equal(missing.body.folder_id, mine.id);
  });

  it("is made on first need for users who have none (created before projects, or imported)", async () => {
    const carol = await makeUser(base, admin.token, "proj-carol");
    const flow = await createFlow(carol.token, { name: "older flow" });
    // As D1 was before migration 0002 for this user: no project, a flow with none.
    execSql(worker, `DELETE FROM folder WHERE user_id = '${carol.id}'; UPDATE flow SET folder_id = NULL WHERE id = '${flow.body.id}'`);
    const res = await projects(carol.token);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((p) => p.name), [DEFAULT_NAME]);
    const moved = await call(base, `/api/v1/flows/${flow.body.id}`, { token: carol.token });
    assert.equal(moved.body.folder_id, res.body[0].id);
    // And for a first flow, without listing projects first.
    const dave = await makeUser(base, admin.token, "proj-dave");
    execSql(worker, `DELETE FROM folder WHERE user_id = '${dave.id}'`);
    const first = await createFlow(dave.token, { name: "first" });
    assert.equal(first.status, 201);
    assert.equal(first.body.folder_id, (await defaultOf(dave)).id);
  });
});

describe("POST /api/v1/projects/", () => {
  it("answers 201 with FolderRead; MCP API-key auth is on since auto-login is off", async () => {
    const res = await createProject(alice.token, { name: "Work", description: "d" });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), FOLDER_READ_KEYS);
    assert.equal(res.body.name, "Work");
    assert.equal(res.body.description, "d");
    assert.deepEqual(res.body.auth_settings, { auth_type: "apikey" });
    assert.equal(res.body.parent_id, null);
    const given = await createProject(alice.token, { name: "Open", auth_settings: { auth_type: "none" } });
    assert.deepEqual(given.body.auth_settings, { auth_type: "none" });
  });

  it("a taken name becomes `name (1)`, `name (2)`; another user's names do not count", async () => {
    await createProject(alice.token, { name: "Dup" });
    assert.equal((await createProject(alice.token, { name: "Dup" })).body.name, "Dup (1)");
    assert.equal((await createProject(alice.token, { name: "Dup" })).body.name, "Dup (2)");
    assert.equal((await createProject(bob.token, { name: "Dup" })).body.name, "Dup");
  });

  it("refuses what Langflow refuses, with its 422s", async () => {
    const cases = [
      [{}, "missing", "Field required"],
      [{ name: null }, "string_type", "Input should be a valid string"],
      [{ name: 5 }, "string_type", "Input should be a valid string"],
      [{ name: "🚀" }, "invalid_project_name", "Project names cannot contain emoji"],
      [{ name: "---" }, "invalid_project_name", "Project names must contain at least one letter or number"],
      [{ name: "" }, "invalid_project_name", "Project names must contain at least one letter or number"],
    ];
    for (const [json, type, msg] of cases) {
      const res = await createProject(alice.token, json);
      assert.equal(res.status, 422, JSON.stringify(json));
      assert.deepEqual(res.body.detail, [{ type, loc: ["body", "name"], msg }], JSON.stringify(json));
    }
    const description = await createProject(alice.token, { name: "G", description: 4 });
    assert.deepEqual(description.body.detail, [{ type: "string_type", loc: ["body", "description"], msg: "Input should be a valid string" }]);
    const badList = await createProject(alice.token, { name: "H", flows_list: ["nope"] });
    assert.equal(badList.status, 422);
    assert.deepEqual(badList.body.detail[0].loc, ["body", "flows_list", "0"]);
    assert.equal(badList.body.detail[0].type, "uuid_parsing");
    assert.equal((await call(base, "/api/v1/projects/", { method: "POST", json: { name: "x" } })).status, 403);
  });

  it("flows_list moves the caller's own flows in, never another user's", async () => {
    const mine = await createFlow(alice.token, { name: "to move" });
    const bobs = await createFlow(bob.token, { name: "bob keeps" });
    const res = await createProject(alice.token, { name: "Moved", flows_list: [mine.body.id, bobs.body.id], components_list: [] });
    assert.equal(res.status, 201);
    const read = await readProject(alice.token, res.body.id);
    assert.deepEqual(read.body.flows.map((f) => f.name), ["to move"]);
    const bobFlow = await call(base, `/api/v1/flows/${bobs.body.id}`, { token: bob.token });
    assert.equal(bobFlow.body.folder_id, (await defaultOf(bob)).id);
  });
});

describe("GET /api/v1/projects/{id}", () => {
  let work;
  before(async () => {
    work = (await createProject(alice.token, { name: "Reading" })).body;
    await createFlow(alice.token, { name: "Flow A", folder_id: work.id, data: {} });
    await createFlow(alice.token, { name: "Comp B", folder_id: work.id, is_component: true });
    await createFlow(alice.token, { name: "Flow C", folder_id: work.id });
  });

  it("without page and size: FolderReadWithFlows, every flow in it", async () => {
    const res = await readProject(alice.token, work.id);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), [...FOLDER_READ_KEYS, "flows"].sort());
    assert.deepEqual(res.body.flows.map((f) => f.name).sort(), ["Comp B", "Flow A", "Flow C"]);
    assert.ok(res.body.flows.every((f) => f.folder_id === work.id && f.user_id === alice.id));
    // page alone does not page (Langflow needs both).
    const pageOnly = await readProject(alice.token, work.id, "?page=2");
    assert.equal(pageOnly.body.flows.length, 3);
  });

  it("with page and size: {folder, flows: {items, total, page, size, pages}}, filtered as the UI asks", async () => {
    const res = await readProject(alice.token, work.id, `?id=${work.id}&page=1&size=12&is_component=false&is_flow=true&search=`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ["flows", "folder"]);
    assert.deepEqual(Object.keys(res.body.folder).sort(), FOLDER_READ_KEYS);
    assert.deepEqual(Object.keys(res.body.flows).sort(), ["items", "page", "pages", "size", "total"]);
    assert.deepEqual(res.body.flows.items.map((f) => f.name).sort(), ["Flow A", "Flow C"]);
    assert.deepEqual([res.body.flows.total, res.body.flows.page, res.body.flows.size, res.body.flows.pages], [2, 1, 12, 1]);
    const components = await readProject(alice.token, work.id, "?page=1&size=12&is_component=true");
    assert.deepEqual(components.body.flows.items.map((f) => f.name), ["Comp B"]);
    const search = await readProject(alice.token, work.id, "?page=1&size=1&search=flow");
    assert.equal(search.body.flows.items.length, 1);
    assert.deepEqual([search.body.flows.total, search.body.flows.pages], [2, 2]);
    const second = await readProject(alice.token, work.id, "?page=2&size=1&search=FLOW");
    assert.equal(second.body.flows.items.length, 1);
    assert.notEqual(second.body.flows.items[0].id, search.body.flows.items[0].id);
  });

  it("refuses bad query values as FastAPI does", async () => {
    const cases = [
      ["?page=1&size=0", "greater_than_equal", ["query", "size"], "Input should be greater than or equal to 1"],
      ["?page=0&size=5", "greater_than_equal", ["query", "page"], "Input should be greater than or equal to 1"],
      ["?page=x&size=5", "int_parsing", ["query", "page"], "Input should be a valid integer, unable to parse string as an integer"],
      ["?page=1&size=1000", "less_than_equal", ["query", "size"], "Input should be less than or equal to 100"],
    ];
    for (const [query, type, loc, msg] of cases) {
      const res = await readProject(alice.token, work.id, query);
      assert.equal(res.status, 422, query);
      assert.deepEqual(res.body.detail[0], { type, loc, msg }, query);
    }
    const flag = await readProject(alice.token, work.id, "?is_flow=maybe");
    assert.equal(flag.status, 422);
    assert.deepEqual(flag.body.detail[0].loc, ["query", "is_flow"]);
  });

  it("another user's project, or none, is 404 Project not found; a malformed id 422", async () => {
    assert.deepEqual(await readProject(bob.token, work.id).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    assert.deepEqual(await readProject(alice.token, randomUUID()).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    const bad = await readProject(alice.token, "nope");
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.detail[0].loc, ["path", "project_id"]);
    assert.equal((await call(base, `/api/v1/projects/${work.id}`)).status, 403);
  });
});

describe("PATCH /api/v1/projects/{id}", () => {
  it("renames and describes; nulls change nothing; a taken name is 409", async () => {
    const p = (await createProject(alice.token, { name: "Before" })).body;
    await createProject(alice.token, { name: "Taken" });
    const res = await patchProject(alice.token, p.id, { name: "After", description: "new" });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), FOLDER_READ_KEYS);
    assert.deepEqual([res.body.name, res.body.description], ["After", "new"]);
    const nulls = await patchProject(alice.token, p.id, { name: null, description: null });
    assert.deepEqual([nulls.status, nulls.body.name, nulls.body.description], [200, "After", "new"]);
    const taken = await patchProject(alice.token, p.id, { name: "Taken" });
    assert.deepEqual([taken.status, taken.body], [409, { detail: "Project name must be unique" }]);
    const emoji = await patchProject(alice.token, p.id, { name: "a🚀" });
    assert.deepEqual([emoji.status, emoji.body.detail], [422, [{ type: "invalid_project_name", loc: ["body", "name"], msg: "Project names cannot contain emoji" }]]);
  });

  it("another user's project is 404; a parent must be one of the caller's", async () => {
    const p = (await createProject(alice.token, { name: "Guarded" })).body;
    assert.deepEqual(await patchProject(bob.token, p.id, { name: "x" }).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    assert.equal((await readProject(alice.token, p.id)).body.name, "Guarded");
    const bobs = await defaultOf(bob);
    const parent = await patchProject(alice.token, p.id, { parent_id: bobs.id });
    assert.deepEqual([parent.status, parent.body], [404, { detail: "Parent project not found" }]);
    const own = await defaultOf(alice);
    const ok = await patchProject(alice.token, p.id, { parent_id: own.id });
    assert.equal(ok.body.parent_id, own.id);
  });
});

describe("moving flows between projects", () => {
  it("a flow moves between its owner's projects, never into another user's (Langflow sends it to the default)", async () => {
    const work = (await createProject(alice.token, { name: "Move target" })).body;
    const mine = await defaultOf(alice);
    const flow = (await createFlow(alice.token, { name: "mover" })).body;
    const moved = await call(base, `/api/v1/flows/${flow.id}`, { method: "PATCH", json: { folder_id: work.id }, token: alice.token });
    assert.deepEqual([moved.status, moved.body.folder_id], [200, work.id]);
    const nulled = await call(base, `/api/v1/flows/${flow.id}`, { method: "PATCH", json: { folder_id: null }, token: alice.token });
    assert.equal(nulled.body.folder_id, work.id);
    const bobs = await defaultOf(bob);
    const foreign = await call(base, `/api/v1/flows/${flow.id}`, { method: "PATCH", json: { folder_id: bobs.id }, token: alice.token });
    assert.deepEqual([foreign.status, foreign.body.folder_id], [200, mine.id]);
    const bobView = await readProject(bob.token, bobs.id);
    assert.ok(!bobView.body.flows.some((f) => f.id === flow.id));
  });
});

describe("DELETE /api/v1/projects/{id}", () => {
  it("204, and the project's flows go with it, as in Langflow; another user's is 404", async () => {
    const p = (await createProject(alice.token, { name: "Doomed" })).body;
    const flow = (await createFlow(alice.token, { name: "doomed flow", folder_id: p.id })).body;
    assert.deepEqual(await deleteProject(bob.token, p.id).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    const res = await deleteProject(alice.token, p.id);
    assert.equal(res.status, 204);
    assert.equal(res.body, null);
    assert.deepEqual(await call(base, `/api/v1/flows/${flow.id}`, { token: alice.token }).then((r) => [r.status, r.body]), [404, { detail: "Flow not found" }]);
    assert.deepEqual(await deleteProject(alice.token, p.id).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
  });

  it("deleting the default project: new flows go to another project of the user's, as Langflow does", async () => {
    const erin = await makeUser(base, admin.token, "proj-erin");
    const mine = await defaultOf(erin);
    const other = (await createProject(erin.token, { name: "Remaining" })).body;
    assert.equal((await deleteProject(erin.token, mine.id)).status, 204);
    assert.deepEqual((await projects(erin.token)).body.map((p) => p.name), ["Remaining"]);
    const flow = await createFlow(erin.token, { name: "after" });
    assert.equal(flow.body.folder_id, other.id);
  });
});

describe("deleting a user", () => {
  it("erases their projects with everything else they own", async () => {
    const gone = await makeUser(base, admin.token, "proj-gone");
    await createProject(gone.token, { name: "Theirs" });
    const res = await call(base, `/api/v1/users/${gone.id}`, { method: "DELETE", token: admin.token });
    assert.equal(res.status, 202);
    assert.deepEqual(queryD1File(worker, "SELECT count(*) AS n FROM folder WHERE user_id = ?", [gone.id]), [{ n: 0 }]);
  });
});

describe("/api/v1/folders/ (Langflow's old name)", () => {
  it("answers 307 to the same path and query under /api/v1/projects/", async () => {
    const id = randomUUID();
    const cases = [
      ["GET", "/api/v1/folders/", "/api/v1/projects/"],
      ["GET", "/api/v1/folders", "/api/v1/projects/"],
      ["POST", "/api/v1/folders/", "/api/v1/projects/"],
      ["GET", `/api/v1/folders/${id}?page=1&size=5&is_flow=true&search=a`, `/api/v1/projects/${id}?page=1&size=5&is_flow=true&search=a`],
      ["PATCH", `/api/v1/folders/${id}`, `/api/v1/projects/${id}`],
      ["DELETE", `/api/v1/folders/${id}`, `/api/v1/projects/${id}`],
    ];
    for (const [method, path, location] of cases) {
      const res = await call(base, path, { method });
      assert.equal(res.status, 307, `${method} ${path}`);
      assert.equal(res.headers.get("location"), location, `${method} ${path}`);
    }
    const bad = await call(base, "/api/v1/folders/nope", { token: alice.token });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.detail[0].loc, ["path", "folder_id"]);
  });

  it("a client that follows the 307 (as the SDK does) reaches the caller's projects", async () => {
    const res = await fetch(`${base}/api/v1/folders/`, { headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body[0].name, DEFAULT_NAME);
  });
});

describe("flow ids", () => {
  it("a client-chosen id is kept (Langflow's stable import); a taken one is 400 Id must be unique", async () => {
    const id = randomUUID();
    const res = await createFlow(alice.token, { name: "chosen", id });
    assert.deepEqual([res.status, res.body.id], [201, id]);
    assert.deepEqual(await createFlow(alice.token, { name: "again", id }).then((r) => [r.status, r.body]), [400, { detail: "Id must be unique" }]);
    assert.deepEqual(await createFlow(bob.token, { name: "steal", id }).then((r) => [r.status, r.body]), [400, { detail: "Id must be unique" }]);
    assert.equal((await call(base, `/api/v1/flows/${id}`, { token: alice.token })).body.name, "chosen");
  });

  it("a UUIDv5 id is refused with Langflow's 400", async () => {
    const res = await createFlow(alice.token, { name: "v5", id: uuid5("x") });
    assert.deepEqual([res.status, res.body], [400, { detail: "UUID5 flow IDs are reserved for public execution histories." }]);
  });

  it("an id that is a user's id is refused (400; Langflow 1.13 takes it, deviation)", async () => {
    for (const id of [alice.id, bob.id]) {
      const res = await createFlow(alice.token, { name: "user id", id });
      assert.deepEqual([res.status, res.body], [400, { detail: "A flow id cannot be a user's id." }]);
    }
  });

  it("an id that is not a UUID is 422", async () => {
    const res = await createFlow(alice.token, { name: "bad", id: "nope" });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.detail[0].loc, ["body", "id"]);
    assert.equal(res.body.detail[0].type, "uuid_parsing");
  });
});

describe("what the Langflow 1.13 UI calls around sign-in and the flow list", () => {
  it("GET /api/v1/version", async () => {
    const res = await call(base, "/api/v1/version");
    assert.deepEqual([res.status, res.body], [200, { version: "1.13.0", main_version: "1.13.0", package: "Langflow" }]);
  });

  it("GET /api/v1/config: the public shape anonymously, the full one signed in", async () => {
    const anon = await call(base, "/api/v1/config");
    assert.equal(anon.status, 200);
    assert.equal(anon.body.type, "public");
    assert.ok(!("default_folder_name" in anon.body));
    assert.deepEqual(Object.keys(anon.body).sort(), PUBLIC_CONFIG_KEYS);
    const full = await call(base, "/api/v1/config", { token: alice.token });
    assert.equal(full.body.type, "full");
    assert.equal(full.body.default_folder_name, DEFAULT_NAME);
    assert.deepEqual(Object.keys(full.body).sort(), FULL_CONFIG_KEYS);
    const badToken = await call(base, "/api/v1/config", { token: "garbage" });
    assert.deepEqual([badToken.status, badToken.body.type], [200, "public"]);
  });

  it("GET /api/v1/store/check/ and /store/check/api_key", async () => {
    const check = await call(base, "/api/v1/store/check/");
    assert.deepEqual([check.status, Object.keys(check.body)], [200, ["enabled"]]);
    const key = await call(base, "/api/v1/store/check/api_key", { token: alice.token });
    assert.deepEqual([key.status, key.body], [200, { has_api_key: false, is_valid: false }]);
    const anon = await call(base, "/api/v1/store/check/api_key");
    assert.deepEqual([anon.status, anon.body], [403, { detail: "No authentication credentials provided" }]);
  });

  it("GET /api/v1/flows/basic_examples/ is an empty list, signed in or not", async () => {
    for (const token of [undefined, alice.token]) {
      const res = await call(base, "/api/v1/flows/basic_examples/", { token });
      assert.deepEqual([res.status, res.body], [200, []]);
    }
  });

  it("GET /api/v1/knowledge-base-storage/status", async () => {
    const res = await call(base, "/api/v1/knowledge-base-storage/status", { token: alice.token });
    assert.deepEqual([res.status, res.body], [200, { stores: [], revision: "", running: false, inventory: null, is_admin: false }]);
    assert.equal((await call(base, "/api/v1/knowledge-base-storage/status", { token: admin.token })).body.is_admin, true);
    assert.equal((await call(base, "/api/v1/knowledge-base-storage/status")).status, 403);
  });

  it("POST /api/v1/authz/me/permissions: every asked action on every id, as Langflow's pass-through", async () => {
    const perms = (json, token = alice.token) => call(base, "/api/v1/authz/me/permissions", { method: "POST", json, token });
    const [a, b] = [randomUUID(), randomUUID()];
    const all = await perms({ resource_type: "flow", resource_ids: [a, b] });
    const every = ["read", "write", "execute", "delete", "create"];
    assert.deepEqual([all.status, all.body], [200, { resource_type: "flow", permissions: { [a]: every, [b]: every } }]);
    const some = await perms({ resource_type: "project", resource_ids: [a], actions: ["Read", "read", " write "] });
    assert.deepEqual(some.body, { resource_type: "project", permissions: { [a]: ["read", "write"] } });
    assert.deepEqual((await perms({ resource_type: "flow", resource_ids: [] })).body, { resource_type: "flow", permissions: {} });
    const badType = await perms({ resource_type: "user", resource_ids: [] });
    assert.equal(badType.status, 422);
    assert.equal(badType.body.detail[0].type, "literal_error");
    assert.equal(badType.body.detail[0].msg, "Input should be 'flow', 'deployment', 'project', 'knowledge_base', 'variable', 'file' or 'component'");
    const missing = await perms({});
    assert.deepEqual(missing.body.detail, [
      { type: "missing", loc: ["body", "resource_type"], msg: "Field required" },
      { type: "missing", loc: ["body", "resource_ids"], msg: "Field required" },
    ]);
    const anon = await call(base, "/api/v1/authz/me/permissions", { method: "POST", json: { resource_type: "flow", resource_ids: [] } });
    assert.deepEqual([anon.status, anon.body], [403, { detail: "No authentication credentials provided" }]);
  });

  it("POST /api/v1/login with a JSON body: 422 naming every missing field, as FastAPI", async () => {
    const both = [
      { type: "missing", loc: ["body", "username"], msg: "Field required" },
      { type: "missing", loc: ["body", "password"], msg: "Field required" },
    ];
    for (const json of [{}, { username: "x" }, { username: alice.username, password: alice.password }]) {
      const res = await call(base, "/api/v1/login", { method: "POST", json });
      assert.deepEqual([res.status, res.body], [422, { detail: both }], JSON.stringify(json));
    }
    const empty = await call(base, "/api/v1/login", { method: "POST" });
    assert.deepEqual([empty.status, empty.body], [422, { detail: both }]);
  });

  it("the flow list the UI loads right after sign-in answers 200 throughout", async () => {
    const paths = [
      "/api/v1/session", "/api/v1/version", "/api/v1/config", "/api/v1/projects/", "/api/v1/variables/",
      "/api/v1/flows/basic_examples/", "/health_check", "/api/v1/store/check/", "/api/v1/store/check/api_key",
      "/api/v1/knowledge-base-storage/status", "/api/v1/flows/?get_all=true&header_flows=true",
      "/api/v1/flows/?components_only=true&get_all=true", "/api/v1/api_key/",
    ];
    for (const path of paths) {
      const res = await call(base, path, { token: alice.token });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    }
    const mine = await defaultOf(alice);
    const page = await readProject(alice.token, mine.id, `?id=${mine.id}&page=1&size=12&is_component=false&is_flow=true&search=`);
    assert.equal(page.status, 200);
  });

  it("GET /api/v1/flows/?components_only=true lists only components; a page without folder_id is the default project's", async () => {
    const frank = await makeUser(base, admin.token, "proj-frank");
    const other = (await createProject(frank.token, { name: "Elsewhere" })).body;
    await createFlow(frank.token, { name: "plain" });
    await createFlow(frank.token, { name: "component", is_component: true });
    await createFlow(frank.token, { name: "away", folder_id: other.id });
    const components = await call(base, "/api/v1/flows/?components_only=true&get_all=true", { token: frank.token });
    assert.deepEqual(components.body.map((f) => f.name), ["component"]);
    const page = await call(base, "/api/v1/flows/?get_all=false&header_flows=true", { token: frank.token });
    assert.deepEqual(page.body.items.map((f) => f.name).sort(), ["component", "plain"]);
    assert.equal(page.body.total, 2);
  });
});

describe("migration 0002 on a database from before projects", () => {
  it("gives every existing user the default project and moves their project-less (or dangling) flows into it", () => {
    const script = `
import sqlite3, sys, json
db = sqlite3.connect(":memory:")
db.executescript(open(sys.argv[1]).read())
db.executescript("""
INSERT INTO "user" (id, username, password, create_at, updated_at) VALUES ('u1', 'one', 'x', 't', 't'), ('u2', 'two', 'x', 't', 't');
INSERT INTO flow (id, name, user_id, folder_id) VALUES ('f1', 'a', 'u1', NULL), ('f2', 'b', 'u1', 'gone'), ('f3', 'c', 'u2', NULL), ('f4', 'starter', NULL, NULL);
""")
db.executescript(open(sys.argv[2]).read())
folders = db.execute("SELECT id, name, description, user_id, is_personal FROM folder ORDER BY user_id").fetchall()
flows = db.execute("SELECT id, folder_id FROM flow ORDER BY id").fetchall()
print(json.dumps({"folders": folders, "flows": flows}))
`;
    const out = JSON.parse(execFileSync("python3", ["-c", script, join(ROOT, "migrations/0001_init.sql"), join(ROOT, "migrations/0002_projects.sql")]).toString());
    assert.equal(out.folders.length, 2);
    for (const [id, name, description, , personal] of out.folders) {
      assert.match(id, UUID_RE);
      assert.deepEqual([name, description, personal], [DEFAULT_NAME, DEFAULT_DESCRIPTION, 1]);
    }
    const folderOf = Object.fromEntries(out.folders.map(([id, , , user]) => [user, id]));
    assert.deepEqual(out.flows, [["f1", folderOf.u1], ["f2", folderOf.u1], ["f3", folderOf.u2], ["f4", null]]);
  });
});

// Langflow 1.13.0's /api/v1/config keys, anonymous and signed in (docs/langflow-1.13-projects-observed.md).
const PUBLIC_CONFIG_KEYS = [
  "allow_custom_components", "authz_enabled", "catalog_governance_enabled", "enable_extension_reload", "event_delivery",
  "feature_flags", "frontend_timeout", "max_file_size_upload", "mcp_base_url", "substitute_outdated_component_code",
  "type", "voice_mode_available",
].sort();
const FULL_CONFIG_KEYS = [
  ...PUBLIC_CONFIG_KEYS, "a2a_enabled", "agentic_experience", "assistant_max_message_length", "auto_saving",
  "auto_saving_interval", "blocked_component_types", "configured_vector_store_backends", "custom_component_admin_only",
  "default_folder_name", "default_vector_store_backend", "embedded_mode", "health_check_max_retries",
  "hide_getting_started_progress", "hide_logout_button", "hide_new_flow_button", "hide_new_project_button",
  "hide_starter_projects", "local_vector_store_available", "mcp_servers_locked", "public_flow_cleanup_interval",
  "public_flow_expiration", "serialization_max_items_length", "serialization_max_text_length", "webhook_auth_enable",
  "webhook_polling_interval",
].sort();
