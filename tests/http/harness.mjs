// Starts the built worker (`wrangler dev --env test`, no build step) on a throwaway local D1,
// and stops it by process group. Used by every HTTP test file.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, cpSync, readdirSync, readFileSync, copyFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHmac, createHash, createDecipheriv, randomBytes, timingSafeEqual } from "node:crypto";
import { request as httpRequest } from "node:http";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const QUIET_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };

/** Settings most tests use: auto-login off, a known superuser, a fixed secret, limits off. */
export const ADMIN = { username: "administrator", password: "securepassword" };
export const SECRET_KEY = "fuJFQ-X9JYDDBYxZ6PnhRRG1gzVVanOX3RWXEVsKtuU";
export const BASE_VARS = {
  LANGFLOW_AUTO_LOGIN: "False",
  LANGFLOW_SUPERUSER: ADMIN.username,
  LANGFLOW_SUPERUSER_PASSWORD: ADMIN.password,
  LANGFLOW_SECRET_KEY: SECRET_KEY,
  LANGFLOW_RATE_LIMIT_ENABLED: "False",
};

/**
 * The environment variable naming a D1 folder already migrated for this run: `tests/run.mjs`
 * (what `make test` uses) migrates one template per run and passes it to every test process.
 */
export const D1_TEMPLATE_ENV = "LANGFLOW_EDGE_TEST_D1_TEMPLATE";

/** Applies migrations/ to a new local D1 under `dir` (about 3 s). */
export function migrateDatabase(dir) {
  execFileSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--env", "test", "--persist-to", dir], {
    cwd: ROOT, env: QUIET_ENV, stdio: "pipe",
  });
}

let migratedTemplate = null;

/**
 * A fresh local D1 folder with the migrations applied: a copy of a never-used template. The
 * template is the run's (D1_TEMPLATE_ENV) when the file runs under tests/run.mjs; a file run on
 * its own (`node --test tests/http/x.test.mjs`) migrates its own template once.
 */
export function freshDatabase() {
  if (migratedTemplate === null) {
    const shared = process.env[D1_TEMPLATE_ENV];
    if (shared) {
      if (!existsSync(join(shared, "v3", "d1"))) throw new Error(`${D1_TEMPLATE_ENV}=${shared} holds no migrated D1`);
      migratedTemplate = shared;
    } else {
      const template = mkdtempSync(join(tmpdir(), "langflow-edge-template-"));
      process.once("exit", () => rmSync(template, { recursive: true, force: true }));
      migrateDatabase(template);
      migratedTemplate = template;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "langflow-edge-test-"));
  cpSync(migratedTemplate, dir, { recursive: true });
  return dir;
}

/** Process groups of the workers this process started and has not stopped. */
const runningGroups = new Set();
let exitHookInstalled = false;

/**
 * Records a worker's process group. A test process that ends without stopping its workers (a
 * crash, Ctrl-C, a SIGTERM from the test runner) still takes them down: each worker runs in its
 * own process group, which no signal to this process reaches.
 */
function trackGroup(pid) {
  runningGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const group of runningGroups) {
      try { process.kill(-group, "SIGKILL"); } catch { /* already gone */ }
    }
    runningGroups.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    // Then the same signal again, without this listener: the process ends as it would have.
    process.once(signal, () => { killAll(); process.kill(process.pid, signal); });
  }
}

/**
 * Starts the worker. `vars` replace BASE_VARS entirely when `replaceVars` is set, else extend
 * them; a var set to undefined is left out. `port`: listen there instead of a free port (so a
 * restarted worker keeps its URL). Returns { url, dir, stop(), restart() }.
 */
export async function startWorker({ vars = {}, replaceVars = false, dir = null, port = 0 } = {}) {
  const persistDir = dir ?? freshDatabase();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startWorkerOnce({ vars, replaceVars, persistDir, port });
    } catch (err) {
      // Now and then workerd fails to start ("The Workers runtime failed to start") when other
      // workers start on the same machine at the same moment; a second try succeeds.
      if (attempt >= 3 || !/Workers runtime failed to start|EADDRINUSE/.test(err.message)) throw err;
    }
  }
}

async function startWorkerOnce({ vars, replaceVars, persistDir, port }) {
  const merged = replaceVars ? vars : { ...BASE_VARS, ...vars };
  // An empty env file keeps a developer's .dev.vars or .env out of the tests.
  const envFile = join(persistDir, "empty.env");
  writeFileSync(envFile, "");
  const args = ["dev", "--env", "test", "--local", "--ip", "127.0.0.1", "--port", String(port),
    "--persist-to", persistDir, "--env-file", envFile, "--inspector-port", "0", "--show-interactive-dev-session=false", "--log-level", "info"];
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined) args.push("--var", `${key}:${value}`);
  }
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: QUIET_ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  trackGroup(child.pid);
  const killGroup = () => {
    try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
    runningGroups.delete(child.pid);
  };
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`wrangler dev did not start in 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/Ready on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      killGroup();
      reject(new Error(`wrangler dev exited (${code}):\n${output}`));
    });
  });
  child.removeAllListeners("exit");
  const worker = {
    url,
    dir: persistDir,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null) { runningGroups.delete(child.pid); return; }
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
      // Cleared once the worker has exited: a pending timer would keep the test process alive.
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(resolve, 10_000); });
      await Promise.race([exited, timeout]);
      clearTimeout(timer);
      killGroup();
    },
    /** Same database, same settings, new process. */
    async restart() {
      await worker.stop();
      return startWorker({ vars, replaceVars, dir: persistDir, port });
    },
    /** Stops the worker and deletes its database. */
    async destroy() {
      await worker.stop();
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
  return worker;
}

/**
 * fetch, tried again once when the kept-alive connection was closed by the server while the test
 * was busy elsewhere (e.g. a slow `wrangler d1 execute` on a loaded machine): the request never
 * reached the worker then, so sending it again is safe.
 */
async function fetchOnce(url, init) {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = err?.cause?.code;
    if (!["ECONNRESET", "UND_ERR_SOCKET", "EPIPE", "UND_ERR_CLOSED"].includes(code)) throw err;
    return fetch(url, init);
  }
}

/** fetch with JSON helpers: returns { status, headers, body (parsed JSON or text), cookies }. */
export async function call(base, path, { method = "GET", json, form, headers = {}, token, apiKey, cookie, body, redirect = "manual" } = {}) {
  const h = { ...headers };
  let payload = body;
  if (json !== undefined) { h["content-type"] = "application/json"; payload = JSON.stringify(json); }
  if (form !== undefined) { h["content-type"] = "application/x-www-form-urlencoded"; payload = new URLSearchParams(form).toString(); }
  if (token) h.authorization = `Bearer ${token}`;
  if (apiKey) h["x-api-key"] = apiKey;
  if (cookie) h.cookie = cookie;
  let response;
  try {
    response = await fetchOnce(base + path, { method, headers: h, body: payload, redirect });
  } catch (err) {
    // fetch's own message is only "fetch failed"; the cause says what happened to the connection.
    const cause = err.cause ? `: ${err.cause.code ?? err.cause.name} ${err.cause.message}` : "";
    throw new Error(`${method} ${path}: ${err.message}${cause}`, { cause: err });
  }
  const text = await response.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: response.status, headers: response.headers, body: parsed, cookies: response.headers.getSetCookie() };
}

/** Logs in with the OAuth2 form; returns the login answer plus its tokens. */
export async function login(base, username, password, extra = {}) {
  const res = await call(base, "/api/v1/login", { method: "POST", form: { username, password }, ...extra });
  return { ...res, access: res.body?.access_token, refresh: res.body?.refresh_token };
}

/** Logs the bootstrap superuser (ADMIN) in: { token, refresh, id }. */
export async function signInAdmin(base) {
  const session = await login(base, ADMIN.username, ADMIN.password);
  if (session.status !== 200) throw new Error(`admin login: ${session.status} ${JSON.stringify(session.body)}`);
  const me = await call(base, "/api/v1/users/whoami", { token: session.access });
  return { token: session.access, refresh: session.refresh, id: me.body.id };
}

/** Creates a user as the admin, activates it, and logs it in. */
export async function makeUser(base, adminToken, username, password = `${username}-password-1`) {
  const created = await call(base, "/api/v1/users/", { method: "POST", json: { username, password }, token: adminToken });
  if (created.status !== 201) throw new Error(`create ${username}: ${created.status} ${JSON.stringify(created.body)}`);
  const patched = await call(base, `/api/v1/users/${created.body.id}`, { method: "PATCH", json: { is_active: true }, token: adminToken });
  if (patched.status !== 200) throw new Error(`activate ${username}: ${patched.status}`);
  const session = await login(base, username, password);
  return { id: created.body.id, username, password, token: session.access, refresh: session.refresh };
}

/** The value of a cookie in a list of Set-Cookie lines. */
export function cookieValue(setCookies, name) {
  const line = setCookies.find((c) => c.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1).split(";")[0];
}

// ---- helpers added for the HTTP suite (the API above is unchanged) ----

/** Runs SQL against a worker's local D1 while it runs; returns the rows of the last statement. */
export function execSql(worker, sql) {
  const out = execFileSync(WRANGLER, ["d1", "execute", "DB", "--local", "--env", "test", "--persist-to", worker.dir, "--json", "--command", sql], {
    cwd: ROOT, env: QUIET_ENV, stdio: "pipe",
  }).toString();
  const results = JSON.parse(out);
  return results[results.length - 1]?.results ?? [];
}

const b64url = (data) => Buffer.from(data).toString("base64url");

/** An HS256 JWT signed with `secret` taken as raw UTF-8 bytes (Langflow's key), or any header. */
export function signJwt(payload, { secret = SECRET_KEY, header = { alg: "HS256", typ: "JWT" } } = {}) {
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createHmac("sha256", Buffer.from(secret, "utf8")).update(unsigned).digest("base64url");
  return `${unsigned}.${signature}`;
}

/** The header and claims of a JWT, unverified. */
export function decodeJwt(token) {
  const [header, payload] = token.split(".").slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
  return { header, payload };
}

/** A Set-Cookie line as { name, value, attrs } (attribute names lowercased; flags are true). */
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const attrs = {};
  for (const attr of rest) {
    const i = attr.indexOf("=");
    if (i === -1) attrs[attr.toLowerCase()] = true;
    else attrs[attr.slice(0, i).toLowerCase()] = attr.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

/** The Set-Cookie line for `name`, parsed (undefined if absent). */
export function findCookie(setCookies, name) {
  const line = setCookies.find((c) => c.startsWith(`${name}=`));
  return line === undefined ? undefined : parseSetCookie(line);
}

/** A request with full control of the headers (fetch does not let a test set `Host`). */
export function rawRequest(base, path, { method = "GET", headers = {}, body } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => { text += chunk; });
      res.on("end", () => {
        let parsed = text;
        try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// ---- helpers for the API-key / flow / variable / encryption suites (new exports only) ----

/** Every file of the worker's local D1 (`<dir>/v3/d1/...`), as absolute paths. */
export function d1Files(worker) {
  const root = join(worker.dir, "v3", "d1");
  const walk = (dir) => readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
  return walk(root);
}

/** The SQLite file holding the worker's D1 database (not miniflare's metadata.sqlite). */
export function d1SqliteFile(worker) {
  const files = d1Files(worker).filter((f) => f.endsWith(".sqlite") && !f.endsWith("metadata.sqlite"));
  if (files.length !== 1) throw new Error(`expected one D1 sqlite file, found: ${files.join(", ")}`);
  return files[0];
}

const SNAPSHOT_QUERY = `
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.row_factory = sqlite3.Row
out = [[dict(r) for r in con.execute(sql, params)] for sql, params in json.load(sys.stdin)]
con.close()
print(json.dumps(out))
`;

/**
 * Runs read-only queries on the D1 SQLite file itself (Python's sqlite3), on a snapshot: the
 * database file and its -wal are copied to a temporary folder first (without the -shm, which
 * SQLite rebuilds from the WAL), so the running worker's files are never opened or locked, and
 * committed writes still in the WAL are seen. Call it when no request is in flight (after the
 * answers that wrote have arrived). `queries` is a list of [sql, params]; returns their rows.
 */
export function queryD1Batch(worker, queries) {
  const source = d1SqliteFile(worker);
  const files = [source, `${source}-wal`];
  // The size and mtime of both files; a write landing mid-copy (e.g. a deferred API key usage
  // update) changes them, and the copy is then taken again, so database and WAL always match.
  const stamp = () => files.map((f) => { try { const st = statSync(f); return `${st.size}:${st.mtimeMs}`; } catch { return "absent"; } }).join("|");
  const snapshot = mkdtempSync(join(tmpdir(), "langflow-edge-d1-snapshot-"));
  try {
    const target = join(snapshot, "db.sqlite");
    for (let attempt = 0; ; attempt += 1) {
      const before = stamp();
      rmSync(`${target}-wal`, { force: true });
      copyFileSync(source, target);
      if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${target}-wal`);
      if (stamp() === before) break;
      if (attempt === 20) throw new Error("the D1 files kept changing while being copied");
      execFileSync("sleep", ["0.05"]);
    }
    const out = execFileSync("python3", ["-c", SNAPSHOT_QUERY, target], { input: JSON.stringify(queries), stdio: ["pipe", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
    return JSON.parse(out.toString());
  } finally {
    rmSync(snapshot, { recursive: true, force: true });
  }
}

/** One query on the D1 SQLite file (see queryD1Batch); returns its rows. */
export function queryD1File(worker, sql, params = []) {
  return queryD1Batch(worker, [[sql, params]])[0];
}

/** All bytes of every file under the D1 folder (database, -wal, -shm, metadata), concatenated. */
export function d1RawBytes(worker) {
  return Buffer.concat(d1Files(worker).map((f) => readFileSync(f)));
}

/** A new secret like Python's `secrets.token_urlsafe(32)` (43 chars, a valid Fernet key). */
export function randomSecretKey() {
  return randomBytes(32).toString("base64url");
}

/**
 * Fernet decryption with the key Langflow derives from a 43-character secret
 * (`secret + "="` base64url-decoded: signing key = first 16 bytes, AES-128 key = last 16).
 * Returns { plaintext (utf8), timestamp }; throws when the token does not verify.
 */
export function fernetDecrypt(token, secret = SECRET_KEY) {
  const key = Buffer.from(secret, "base64url");
  if (key.length !== 32) throw new Error("the secret is not a 32-byte url-safe base64 key");
  const data = Buffer.from(token, "base64url");
  if (data.length < 1 + 8 + 16 + 16 + 32 || data[0] !== 0x80) throw new Error("not a Fernet token");
  const body = data.subarray(0, data.length - 32);
  const mac = createHmac("sha256", key.subarray(0, 16)).update(body).digest();
  if (!timingSafeEqual(mac, data.subarray(data.length - 32))) throw new Error("Fernet HMAC does not verify");
  const iv = data.subarray(9, 25);
  const decipher = createDecipheriv("aes-128-cbc", key.subarray(16), iv);
  const plaintext = Buffer.concat([decipher.update(data.subarray(25, data.length - 32)), decipher.final()]);
  return { plaintext: plaintext.toString("utf8"), timestamp: Number(data.readBigUInt64BE(1)) };
}

/** True when `token` is a Fernet token that verifies under `secret`'s key. */
export function fernetVerifies(token, secret = SECRET_KEY) {
  try { fernetDecrypt(token, secret); return true; } catch { return false; }
}

/** Hex SHA-256 of a string (the `api_key_hash` column). */
export function sha256Hex(text) {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Polls `check` (async, returns a truthy value when done) for up to `ms`; returns its last value. */
export async function pollUntil(check, { ms = 5_000, every = 100 } = {}) {
  const deadline = Date.now() + ms;
  let value = await check();
  while (!value && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, every));
    value = await check();
  }
  return value;
}
