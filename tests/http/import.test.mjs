// scripts/import-langflow.py: a real Langflow 1.13.0 database (tests/fixtures/langflow-1.13)
// imported into a fresh local D1, then checked over HTTP against expected.json: passwords, API
// keys, Credential values, flows and their owners. A second import changes nothing; a damaged,
// foreign or missing file and a wrong or missing secret key are refused with D1 left untouched;
// a username already taken in D1 is never overwritten; long and awkward values arrive intact.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker, freshDatabase, call, login, execSql, ROOT, ADMIN } from "./harness.mjs";

const FIXTURE = join(ROOT, "tests", "fixtures", "langflow-1.13");
const FIXTURE_DB = join(FIXTURE, "langflow.db");
const EXPECTED = JSON.parse(readFileSync(join(FIXTURE, "expected.json"), "utf8"));
const SECRET = EXPECTED.secret_key;
const SCRIPT = join(ROOT, "scripts", "import-langflow.py");
const VARS = { LANGFLOW_SECRET_KEY: SECRET }; // with BASE_VARS: superuser administrator / securepassword

// What the fixture holds (see its README): 5 users; 7 API keys (alice's and bob's, plus the one
// Langflow made for each user's MCP starter project); 19 variables, of which 3 of administrator's
// share a name with an earlier one (our schema allows one per name and owner); 4 owned flows and
// 25 starter flows without an owner.
const IMPORTED = { users: 5, api_keys: 7, variables: 16, flows: 4 };
const NONE = { users: 0, api_keys: 0, variables: 0, flows: 0 };
// The fixture's projects (its `folder` table): each user's "Starter Project", plus Langflow's
// ownerless "Starter Projects" folder of starter flows, which is not imported.
const FIXTURE_PROJECTS = {
  alice: "3bf82c8f-ec2f-487d-b7a9-79eb2fa47a92",
  bob: "a9e75dd9-e7c1-4caa-8f8f-eb82d736c7a5",
  dave_admin: "e2e27cda-ac31-4163-b32d-3fca274f82cf",
  administrator: "4a899a6c-958e-4794-9df2-b68730e892f4",
};

let scratch; // temporary folder for the damaged/foreign files and the cwd of the script

/** Runs the import script on a local D1 folder (secret: null for none); returns { status, stderr, report }. */
function runImport(dir, { db = FIXTURE_DB, secret = SECRET, extra = [] } = {}) {
  const args = [SCRIPT, "--db", db, "--env", "test", "--persist-to", dir, "--json", ...extra];
  if (secret !== null) args.push("--secret-key", secret);
  // cwd has no .env, and the developer's LANGFLOW_SECRET_KEY is not inherited.
  const env = { ...process.env };
  delete env.LANGFLOW_SECRET_KEY;
  const res = spawnSync("python3", args, { cwd: scratch, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  let report = null;
  if (res.status === 0) report = JSON.parse(res.stdout);
  return { status: res.status, stderr: res.stderr, stdout: res.stdout, report };
}

function assertImported(res) {
  assert.equal(res.status, 0, `import failed:\n${res.stderr}`);
  return res.report;
}

/** The D1 SQLite file of a local persistence folder. */
function d1File(dir) {
  const folder = join(dir, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(folder).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  assert.equal(files.length, 1, `D1 files: ${files}`);
  return join(folder, files[0]);
}

const DUMP = `
import json, sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
if sys.argv[2] == "dump":
    out = {}
    # _cf_METADATA is workerd's own bookkeeping: every wrangler access bumps it, even a read.
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_cf_METADATA' ORDER BY name"):
        rows = con.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
        out[name] = [[(type(v).__name__, v.hex() if isinstance(v, bytes) else v) for v in row] for row in rows]
    schema = [list(r) for r in con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")]
    print(json.dumps({"schema": schema, "rows": out}))
else:
    con.row_factory = sqlite3.Row
    print(json.dumps([dict(r) for r in con.execute(sys.argv[2], json.loads(sys.argv[3]))]))
`;

/** Every table's rows (with SQLite types) and the schema of a local D1, to compare before/after. */
function snapshot(dir) {
  return execFileSync("python3", ["-c", DUMP, d1File(dir), "dump"], { maxBuffer: 256 * 1024 * 1024 }).toString();
}

/** Rows of one query on the D1 file (read-only; call it while no worker writes). */
function queryFile(dir, sql, params = []) {
  return JSON.parse(execFileSync("python3", ["-c", DUMP, d1File(dir), sql, JSON.stringify(params)], { maxBuffer: 256 * 1024 * 1024 }).toString());
}

/** Runs Python on a SQLite file (to build the damaged and foreign test databases). */
function python(code, ...args) {
  return execFileSync("python3", ["-c", code, ...args]).toString();
}

/** Fernet decryption under the key Langflow derives from a 43-character secret. */
function fernetDecrypt(token, secret = SECRET) {
  const key = Buffer.from(secret, "base64url");
  assert.equal(key.length, 32);
  const data = Buffer.from(token, "base64url");
  const mac = createHmac("sha256", key.subarray(0, 16)).update(data.subarray(0, -32)).digest();
  if (!timingSafeEqual(mac, data.subarray(-32))) throw new Error("Fernet HMAC does not verify");
  const decipher = createDecipheriv("aes-128-cbc", key.subarray(16), data.subarray(9, 25));
  return Buffer.concat([decipher.update(data.subarray(25, -32)), decipher.final()]).toString("utf8");
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), "langflow-import-test-"));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("importing the Langflow 1.13 fixture into a fresh D1", () => {
  let dir;
  let worker;
  let base;
  let first;
  const sessions = {}; // username -> access token

  before(async () => {
    dir = freshDatabase();
    // Imported before the worker's first request: the bootstrap superuser (administrator) then
    // exists already and is the imported one.
    first = assertImported(runImport(dir));
    worker = await startWorker({ dir, vars: VARS });
    base = worker.url;
  });

  after(async () => {
    await worker?.destroy();
  });

  it("reports what it imported and what it skipped", () => {
    assert.deepEqual(first.imported, IMPORTED);
    assert.deepEqual(first.already_present, NONE);
    assert.equal(first.flows_without_owner_skipped, 25);
    assert.deepEqual(first.skipped, { users: 0, api_keys: 0, variables: 3, flows: 0 });
    assert.equal(first.skipped_details.length, 3);
    for (const line of first.skipped_details) assert.match(line, /^variable '(FLOW_ID|COMPONENT_ID|FIELD_NAME)' .*same name/);
    assert.equal(first.secrets_verified, 22);
    // D1 holds exactly that: no starter flow, no staging table left behind.
    const counts = queryFile(dir, `SELECT (SELECT count(*) FROM "user") AS users, (SELECT count(*) FROM apikey) AS api_keys,
      (SELECT count(*) FROM variable) AS variables, (SELECT count(*) FROM flow) AS flows,
      (SELECT count(*) FROM flow WHERE user_id IS NULL) AS ownerless,
      (SELECT count(*) FROM sqlite_master WHERE name LIKE '_langflow%') AS staging`)[0];
    assert.deepEqual(counts, { ...IMPORTED, ownerless: 0, staging: 0 });
  });

  it("stores ids with dashes, Langflow's bcrypt hashes as they are, and our timestamp formats", () => {
    const [alice] = queryFile(dir, `SELECT * FROM "user" WHERE username = 'alice'`);
    assert.equal(alice.id, EXPECTED.users.alice.id);
    assert.match(alice.password, /^\$2b\$12\$/);
    assert.equal(alice.create_at, "2026-11-27T14:05:07.185171Z");
    const [key] = queryFile(dir, "SELECT created_at, user_id FROM apikey WHERE name = 'alice-key'");
    assert.deepEqual(key, { created_at: "2026-11-27T14:05:08+00:00", user_id: EXPECTED.users.alice.id });
    const [flow] = queryFile(dir, "SELECT updated_at, folder_id FROM flow WHERE name = 'alice flow 0'");
    assert.equal(flow.updated_at, "2026-11-27T14:05:08.916298Z");
    assert.match(flow.folder_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("every user logs in with their Langflow password; the inactive one is refused as such", async () => {
    for (const [username, user] of Object.entries(EXPECTED.users)) {
      const res = await login(base, username, user.password);
      if (!user.is_active) {
        assert.equal(res.status, 400, `${username}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body, { detail: "Waiting for approval" });
        continue;
      }
      assert.equal(res.status, 200, `${username}: ${JSON.stringify(res.body)}`);
      const me = await call(base, "/api/v1/users/whoami", { token: res.access });
      assert.equal(me.status, 200);
      assert.equal(me.body.username, username);
      if (user.id) assert.equal(me.body.id, user.id);
      assert.equal(me.body.is_superuser, user.is_superuser, username);
      sessions[username] = res.access;
      const wrong = await login(base, username, `${user.password}-not`);
      assert.equal(wrong.status, 401, username);
    }
    assert.equal(ADMIN.username in sessions, true, "the imported administrator logs in");
  });

  it("re-hashes each Langflow bcrypt hash to Argon2id at that user's login", () => {
    const rows = queryFile(dir, `SELECT username, password FROM "user" ORDER BY username`);
    for (const { username, password } of rows) {
      if (EXPECTED.users[username].is_active) assert.match(password, /^\$argon2id\$/, username);
      else assert.match(password, /^\$2b\$12\$/, `${username} never logged in`);
    }
  });

  it("every API key authenticates as its owner", async () => {
    for (const [owner, key] of Object.entries(EXPECTED.api_keys)) {
      const me = await call(base, "/api/v1/users/whoami", { apiKey: key });
      assert.equal(me.status, 200, `${owner}: ${JSON.stringify(me.body)}`);
      assert.equal(me.body.username, owner);
      assert.equal(me.body.id, EXPECTED.users[owner].id);
      // The worker decrypts the imported ciphertext: the listing shows the key's first 8 characters.
      const listed = await call(base, "/api/v1/api_key/", { token: sessions[owner] });
      assert.equal(listed.status, 200);
      const shown = listed.body.api_keys.map((k) => k.api_key);
      assert.ok(shown.includes(key.slice(0, 8) + "*".repeat(key.length - 8)), `${owner}: ${shown}`);
    }
    const refused = await call(base, "/api/v1/users/whoami", { apiKey: `${EXPECTED.api_keys.alice}x` });
    assert.equal(refused.status, 403);
  });

  it("every Credential variable decrypts to its value; Generic values are kept as text", async () => {
    for (const [name, expected] of Object.entries(EXPECTED.variables)) {
      const owner = EXPECTED.users[expected.owner].id;
      const rows = queryFile(dir, "SELECT value, type FROM variable WHERE name = ? AND user_id = ?", [name, owner]);
      assert.equal(rows.length, 1, name);
      assert.equal(rows[0].type, expected.type, name);
      if (expected.type === "Credential") {
        assert.notEqual(rows[0].value, expected.value, `${name} is stored encrypted`);
        assert.equal(fernetDecrypt(rows[0].value), expected.value, name);
      } else {
        assert.equal(rows[0].value, expected.value, name);
      }
      const listed = await call(base, "/api/v1/variables/", { token: sessions[expected.owner] });
      assert.equal(listed.status, 200);
      const seen = listed.body.find((v) => v.name === name);
      assert.ok(seen, `${name} is listed for ${expected.owner}`);
      assert.equal(seen.type, expected.type);
      assert.equal(seen.value, expected.type === "Credential" ? null : expected.value);
      for (const other of Object.keys(sessions).filter((u) => u !== expected.owner)) {
        const theirs = await call(base, "/api/v1/variables/", { token: sessions[other] });
        assert.ok(!theirs.body.some((v) => v.name === name), `${name} is not listed for ${other}`);
      }
    }
    const [alice] = queryFile(dir, `SELECT store_api_key FROM "user" WHERE username = 'alice'`);
    assert.equal(fernetDecrypt(alice.store_api_key), EXPECTED.store_api_key_alice);
  });

  it("every flow is listed for its owner only", async () => {
    for (const [username, token] of Object.entries(sessions)) {
      const res = await call(base, "/api/v1/flows/", { token });
      assert.equal(res.status, 200, username);
      const want = Object.entries(EXPECTED.flows).filter(([, f]) => f.owner === username);
      assert.deepEqual(res.body.map((f) => f.id).sort(), want.map(([id]) => id).sort(), username);
      for (const [id, flow] of want) {
        const got = res.body.find((f) => f.id === id);
        assert.equal(got.name, flow.name);
        assert.deepEqual(got.data, flow.data);
        assert.equal(got.user_id, EXPECTED.users[username].id);
        const one = await call(base, `/api/v1/flows/${id}`, { token });
        assert.equal(one.status, 200);
        for (const other of Object.keys(sessions).filter((u) => u !== username)) {
          const theirs = await call(base, `/api/v1/flows/${id}`, { token: sessions[other] });
          assert.equal(theirs.status, 404, `${other} must not see ${flow.name}`);
        }
      }
    }
  });

  it("carries each user's Langflow projects, ids kept, with their flows in them; Langflow's own starter folder stays out", async () => {
    assert.deepEqual(first.projects, { imported: 5, already_present: 0, skipped: 0, without_owner_skipped: 1 });
    for (const [username, token] of Object.entries(sessions)) {
      const res = await call(base, "/api/v1/projects/", { token });
      assert.equal(res.status, 200, username);
      assert.deepEqual(res.body.map((p) => p.name), ["Starter Project"], username);
      const [project] = res.body;
      if (FIXTURE_PROJECTS[username]) assert.equal(project.id, FIXTURE_PROJECTS[username], username);
      // Langflow stored {"auth_type": "apikey"} (AUTO_LOGIN was off).
      assert.deepEqual(project.auth_settings, { auth_type: "apikey" });
      const inside = await call(base, `/api/v1/projects/${project.id}`, { token });
      const want = Object.entries(EXPECTED.flows).filter(([, f]) => f.owner === username).map(([id]) => id);
      assert.deepEqual(inside.body.flows.map((f) => f.id).sort(), want.sort(), username);
    }
  });

  it("a second import changes nothing: no row written, D1 byte for byte the same", async () => {
    await worker.stop();
    const beforeRows = snapshot(dir);
    const second = assertImported(runImport(dir));
    assert.deepEqual(second.imported, NONE);
    assert.deepEqual(second.already_present, IMPORTED);
    assert.deepEqual(second.skipped, first.skipped);
    assert.deepEqual(second.projects, { imported: 0, already_present: 5, skipped: 0, without_owner_skipped: 1 });
    assert.equal(second.flows_without_owner_skipped, 25);
    assert.equal(snapshot(dir), beforeRows);
    // The Argon2id hashes written at login were not overwritten by the Langflow bcrypt ones.
    worker = await worker.restart();
    base = worker.url;
    const again = await login(base, "alice", EXPECTED.users.alice.password);
    assert.equal(again.status, 200);
  });
});

describe("refusals write nothing", () => {
  let dir;
  let baseline;

  before(() => {
    dir = freshDatabase();
    assertImported(runImport(dir));
    baseline = snapshot(dir);
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function assertRefused(res, pattern) {
    assert.equal(res.status, 2, `exit code\n${res.stderr}`);
    assert.match(res.stderr, pattern);
    assert.match(res.stderr, /Nothing was written to D1/);
    assert.equal(res.stdout, "");
    assert.equal(snapshot(dir), baseline, "D1 untouched");
  }

  it("a file that is not SQLite at all", () => {
    const path = join(scratch, "notes.db");
    writeFileSync(path, "these are not the tables you are looking for\n".repeat(100));
    assertRefused(runImport(dir, { db: path }), /is not a Langflow database: not an SQLite file \(file is not a database\)/);
  });

  it("a damaged Langflow database", () => {
    const truncated = join(scratch, "truncated.db");
    writeFileSync(truncated, readFileSync(FIXTURE_DB).subarray(0, 64 * 1024));
    assertRefused(runImport(dir, { db: truncated }), /truncated\.db (cannot be read|is damaged).*malformed/);
    const scribbled = join(scratch, "scribbled.db");
    const bytes = Buffer.from(readFileSync(FIXTURE_DB));
    bytes.fill(0xa5, 40 * 4096, 48 * 4096); // a few pages in the middle overwritten
    writeFileSync(scribbled, bytes);
    assertRefused(runImport(dir, { db: scribbled }), /scribbled\.db (cannot be read|is damaged)/);
  });

  it("a SQLite database of something else", () => {
    const foreign = join(scratch, "foreign.db");
    python(`import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute('CREATE TABLE "user" (id INTEGER PRIMARY KEY, email TEXT, password TEXT)')
con.execute("CREATE TABLE flow (id INTEGER PRIMARY KEY, name TEXT)")
con.execute("INSERT INTO \\"user\\" (email, password) VALUES ('a@example.com', 'x')")
con.commit()`, foreign);
    assertRefused(runImport(dir, { db: foreign }), /foreign\.db is not a Langflow database: it has no user\.username, user\.is_active, user\.is_superuser, table apikey, table variable, flow\.data, flow\.user_id/);
  });

  it("ids that are not UUIDs (a database changed by hand), before touching D1", () => {
    const odd = join(scratch, "odd-ids.db");
    copyFileSync(FIXTURE_DB, odd);
    python(`import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("UPDATE flow SET id = 'not-a-uuid<script>' WHERE rowid = (SELECT min(rowid) FROM flow WHERE user_id IS NOT NULL)")
con.commit()`, odd);
    assertRefused(runImport(dir, { db: odd }), /1 ids are not UUIDs.*e\.g\. flow '[^']+': id 'not-a-uuid<script>'/);
  });

  it("a missing file", () => {
    assertRefused(runImport(dir, { db: join(scratch, "nowhere.db") }), /nowhere\.db: no such file/);
  });

  it("a wrong secret key, before touching D1", () => {
    assertRefused(
      runImport(dir, { secret: "fuJFQ-X9JYDDBYxZ6PnhRRG1gzVVanOX3RWXEVsKtuU" }),
      /the secret key \(from --secret-key\) does not decrypt 22 of 22 stored secrets .*Pass the LANGFLOW_SECRET_KEY the Langflow server used/,
    );
    // A short secret (SHA-256 and legacy Mersenne Twister keys) is refused the same way.
    assertRefused(runImport(dir, { secret: "not-the-secret" }), /does not decrypt 22 of 22 stored secrets/);
    // Not even the migrations run: a D1 folder that does not exist yet is not created.
    const untouched = join(scratch, "no-d1-here");
    const res = runImport(untouched, { secret: "not-the-secret" });
    assert.equal(res.status, 2);
    assert.equal(existsSync(untouched), false);
  });

  it("no secret key at all", () => {
    assertRefused(runImport(dir, { secret: null }), /holds 22 encrypted secrets and no secret key was given/);
  });

  it("a key that fails on a single stored secret", () => {
    const tampered = join(scratch, "tampered.db");
    copyFileSync(FIXTURE_DB, tampered);
    // One Credential value re-signed with another key: its HMAC fails under the right secret.
    python(`import sqlite3, sys, base64, hmac, hashlib
con = sqlite3.connect(sys.argv[1])
(vid, token) = con.execute("SELECT id, value FROM variable WHERE name = 'BOB_OPENAI_KEY'").fetchone()
raw = base64.urlsafe_b64decode(token)
body = raw[:-32]
forged = body + hmac.new(b"k" * 16, body, hashlib.sha256).digest()
con.execute("UPDATE variable SET value = ? WHERE id = ?", (base64.urlsafe_b64encode(forged).decode(), vid))
con.commit()`, tampered);
    assertRefused(runImport(dir, { db: tampered }), /does not decrypt 1 of 22 stored secrets \(1 fail their Fernet HMAC, 0 are not Fernet tokens\), e\.g\. variable d2021610-a0ba-4f6a-be3b-f55ce20915fe\./);
  });
});

describe("a username taken in D1 by another id is never overwritten", () => {
  let dir;

  before(() => {
    dir = freshDatabase();
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("skips that user with everything it owns, imports the rest, and reports it", () => {
    const otherId = "00000000-0000-4000-8000-000000000001";
    execSql({ dir }, `INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at, updated_at)
      VALUES ('${otherId}', 'ALICE', 'not-a-hash', 1, 0, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`);
    const mine = queryFile(dir, `SELECT * FROM "user"`);
    const report = assertImported(runImport(dir));
    assert.deepEqual(report.imported, { users: 4, api_keys: 5, variables: 10, flows: 2 });
    assert.deepEqual(report.skipped, { users: 1, api_keys: 2, variables: 9, flows: 2 });
    assert.ok(report.skipped_details.some((l) => /^user alice .*username 'alice' is already used by another user \(id 00000000-0000-4000-8000-000000000001\)/.test(l)), report.skipped_details.join("\n"));
    assert.ok(report.skipped_details.some((l) => /^flow 'alice flow 0' .*its owner alice was skipped/.test(l)));
    assert.deepEqual(queryFile(dir, `SELECT * FROM "user" WHERE id = ?`, [otherId]), mine);
    assert.deepEqual(queryFile(dir, `SELECT count(*) AS n FROM "user" WHERE lower(username) = 'alice'`), [{ n: 1 }]);
    assert.deepEqual(queryFile(dir, "SELECT count(*) AS n FROM flow WHERE name LIKE 'alice%'"), [{ n: 0 }]);
    assert.deepEqual(queryFile(dir, "SELECT count(*) AS n FROM flow WHERE name LIKE 'bob%'"), [{ n: 2 }]);
    assert.ok(report.skipped_details.some((l) => /^project 'Starter Project' .*its owner alice was skipped/.test(l)));
  });

  it("a user already in D1 keeps their own default project: imported flows go into it, not a second one", () => {
    const dir2 = freshDatabase();
    try {
      const bobId = EXPECTED.users.bob.id;
      execSql({ dir: dir2 }, `INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at, updated_at)
        VALUES ('${bobId}', 'bob', 'not-a-hash', 1, 0, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
        INSERT INTO folder (id, name, user_id, is_personal) VALUES ('00000000-0000-4000-8000-0000000000b0', 'Starter Project', '${bobId}', 1)`);
      const report = assertImported(runImport(dir2));
      assert.equal(report.projects.skipped, 1);
      assert.ok(report.skipped_details.some((l) => /^project 'Starter Project' .*same name.*00000000-0000-4000-8000-0000000000b0.*its flows go there/.test(l)), report.skipped_details.join("\n"));
      const rows = queryFile(dir2, "SELECT DISTINCT folder_id FROM flow WHERE user_id = ?", [bobId]);
      assert.deepEqual(rows, [{ folder_id: "00000000-0000-4000-8000-0000000000b0" }]);
      assert.deepEqual(queryFile(dir2, "SELECT count(*) AS n FROM folder WHERE user_id = ?", [bobId]), [{ n: 1 }]);
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe("long and awkward values", () => {
  let dir;

  before(() => {
    dir = freshDatabase();
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("arrive byte for byte, through chunks, whatever characters they hold", () => {
    const db = join(scratch, "long.db");
    copyFileSync(FIXTURE_DB, db);
    // Quotes, SQL comment and dollar-quote markers, the words wrangler scans SQL files for
    // (BEGIN TRANSACTION, COMMIT;), NUL, non-ASCII and astral characters; a 300 kB flow.
    const added = python(`import sqlite3, sys, json, uuid
con = sqlite3.connect(sys.argv[1])
awkward = "it's \\"quoted\\"; -- no comment /* nor this */ $$dollar$$ $tag$ BEGIN TRANSACTION; COMMIT; END; CASE BEGIN \\x00 NUL \\u00e9 \\U0001F680 \\r\\n\\t back\\\\slash ''"
data = json.dumps({"nodes": [{"id": f"n{i}", "data": {"type": "Prompt", "template": awkward * 3}} for i in range(600)], "edges": []}, ensure_ascii=False)
fid = uuid.uuid4().hex
con.execute("INSERT INTO flow (id, name, description, data, user_id, access_type, flow_type, updated_at, is_component, webhook, locked, mcp_enabled, a2a_enabled, endpoint_name, tags) VALUES (?, ?, ?, ?, ?, 'PRIVATE', 'workflow', '2026-11-27 14:05:09.000001', 0, 0, 0, 0, 0, 'long-one', ?)",
    (fid, "long flow BEGIN TRANSACTION \\x00 '", awkward * 10, data, "3444f23c10a349f38b7d86adcb034433", json.dumps(["x" * 1500])))
con.commit()
print(fid)`, db).trim();
    const report = assertImported(runImport(dir, { db }));
    assert.equal(report.imported.flows, 5);
    const id = `${added.slice(0, 8)}-${added.slice(8, 12)}-${added.slice(12, 16)}-${added.slice(16, 20)}-${added.slice(20)}`;
    const source = JSON.parse(python(`import sqlite3, sys, json
con = sqlite3.connect(sys.argv[1])
row = con.execute("SELECT name, description, data, tags FROM flow WHERE id = ?", (sys.argv[2],)).fetchone()
print(json.dumps([v.encode().hex() for v in row]))`, db, added));
    const stored = queryFile(dir, "SELECT hex(name) AS name, hex(description) AS description, hex(data) AS data, hex(tags) AS tags, typeof(data) AS t FROM flow WHERE id = ?", [id])[0];
    assert.equal(stored.t, "text");
    assert.deepEqual([stored.name, stored.description, stored.data, stored.tags].map((h) => h.toLowerCase()), source);
    assert.ok(source[2].length / 2 > 250_000, "the flow is long enough to need chunks");
    assert.deepEqual(queryFile(dir, "SELECT count(*) AS n FROM sqlite_master WHERE name LIKE '_langflow%'"), [{ n: 0 }]);
    const again = assertImported(runImport(dir, { db }));
    assert.deepEqual(again.imported, NONE);
  });
});
