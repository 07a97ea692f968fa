#!/usr/bin/env node
// make bench: latency and throughput of the hot paths, D1 work per request, and bundle size.
//
//   node scripts/bench.mjs                      local release worker only
//   BASE_URL=http://127.0.0.1:7860 BENCH_USER=admin BENCH_PASSWORD=... node scripts/bench.mjs
//                                                the same workload against that server too
//
// Loopback only, bounded in requests and time per measurement; the worker it starts is stopped
// (by process group) before it exits.
import http from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { cpus, totalmem } from "node:os";
import { randomUUID } from "node:crypto";
import { startWorker, execSql, ROOT } from "../tests/http/harness.mjs";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const LOGIN_REQUESTS = Number(process.env.BENCH_LOGIN_REQUESTS ?? 60);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONCURRENCY = 8;
const CACHED = "edge, cache 5 s";
const FLOWS = 50;

function assertLoopback(base) {
  const host = new URL(base).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host) && !host.startsWith("127.")) {
    throw new Error(`bench only targets loopback servers, not ${host}`);
  }
}

/** One HTTP request on a keep-alive agent; resolves to { status, headers, body }. */
function request(agent, base, { method = "GET", path, headers = {}, body }) {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

async function json(agent, base, opts) {
  const res = await request(agent, base, opts);
  let parsed = null;
  try { parsed = JSON.parse(res.body); } catch { /* not JSON */ }
  return { ...res, json: parsed };
}

const form = (fields) => new URLSearchParams(fields).toString();
const formHeaders = (body) => ({ "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) });
const jsonHeaders = (body, token) => ({ "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` });

async function loginToken(agent, base, user, password) {
  const body = form({ username: user, password });
  const res = await json(agent, base, { method: "POST", path: "/api/v1/login", headers: formHeaders(body), body });
  if (res.status !== 200) throw new Error(`login as ${user} failed: ${res.status} ${res.body}`);
  return res.json.access_token;
}

/** Users, an API key and 50 flows for the admin. Returns what the workload needs. */
async function seed(base, user, password) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const token = await loginToken(agent, base, user, password);
  const stamp = Date.now().toString(36);
  for (let i = 0; i < 3; i++) {
    const body = JSON.stringify({ username: `bench-${stamp}-${i}`, password: `bench-password-${i}` });
    await json(agent, base, { method: "POST", path: "/api/v1/users/", headers: jsonHeaders(body, token), body });
  }
  const keyBody = JSON.stringify({ name: `bench-${stamp}` });
  const key = await json(agent, base, { method: "POST", path: "/api/v1/api_key/", headers: jsonHeaders(keyBody, token), body: keyBody });
  if (key.status !== 200) throw new Error(`API key creation failed: ${key.status} ${key.body}`);
  const flows = await json(agent, base, { path: "/api/v1/flows/?header_flows=true", headers: { authorization: `Bearer ${token}` } });
  const have = Array.isArray(flows.json) ? flows.json.length : 0;
  for (let i = have; i < FLOWS; i++) {
    const nodes = Array.from({ length: 5 }, (_, n) => ({ id: `node-${n}`, data: { type: "ChatInput", value: "x".repeat(200) } }));
    const body = JSON.stringify({ name: `bench flow ${i}`, description: "benchmark", data: { nodes, edges: [] } });
    const res = await json(agent, base, { method: "POST", path: "/api/v1/flows/", headers: jsonHeaders(body, token), body });
    if (res.status !== 201) throw new Error(`flow creation failed: ${res.status} ${res.body}`);
  }
  agent.destroy();
  return { token, apiKey: key.json.api_key, user, password };
}

function workload(ctx) {
  const loginBody = form({ username: ctx.user, password: ctx.password });
  return [
    { name: "GET /health", opts: { path: "/health" } },
    { name: "GET /api/v1/users/whoami (Bearer)", opts: { path: "/api/v1/users/whoami", headers: { authorization: `Bearer ${ctx.token}` } } },
    { name: "GET /api/v1/users/whoami (x-api-key)", opts: { path: "/api/v1/users/whoami", headers: { "x-api-key": ctx.apiKey } } },
    { name: `GET /api/v1/flows/ (${FLOWS} flows)`, opts: { path: "/api/v1/flows/", headers: { authorization: `Bearer ${ctx.token}` } } },
    { name: "POST /api/v1/login", opts: { method: "POST", path: "/api/v1/login", headers: formHeaders(loginBody), body: loginBody }, login: true },
  ];
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `total` requests over `connections` keep-alive connections, within the time bound. */
async function measure(base, opts, total, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let next = 0, failures = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await request(agent, base, opts); // warm the connection and the isolate
  const started = performance.now();
  const lane = async () => {
    while (next < total && performance.now() < deadline) {
      next++;
      const t0 = performance.now();
      const res = await request(agent, base, opts);
      latencies.push(performance.now() - t0);
      if (res.status >= 400) failures++;
    }
  };
  await Promise.all(Array.from({ length: connections }, lane));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { n: latencies.length, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), rps: latencies.length / elapsed, failures };
}

/** The worker's isolate-wide D1 counters (exposed only with LANGFLOW_EDGE_BENCH_STATS=True). */
async function d1Stats(base) {
  const agent = new http.Agent({ keepAlive: false });
  const res = await request(agent, base, { path: "/health" });
  const header = res.headers["x-d1-stats"];
  if (!header) return null;
  return Object.fromEntries(header.split(";").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]));
}

async function d1PerRequest(base, opts, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  await request(agent, base, opts);
  await new Promise((r) => setTimeout(r, 200)); // let deferred writes of the warm-up land
  const before = await d1Stats(base);
  if (!before) return null;
  for (let i = 0; i < count; i++) await request(agent, base, opts);
  await new Promise((r) => setTimeout(r, 300)); // deferred work (wait_until) counts too
  const after = await d1Stats(base);
  agent.destroy();
  const per = (k) => (after[k] - before[k]) / count;
  return { queries: per("queries"), rowsRead: per("rows_read"), rowsWritten: per("rows_written") };
}

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "-");

async function benchServer(label, base, user, password, withD1, only = () => true) {
  assertLoopback(base);
  const ctx = await seed(base, user, password);
  const rows = [];
  for (const item of workload(ctx).filter(only)) {
    const d1 = withD1 ? await d1PerRequest(base, item.opts, item.login ? 5 : 20) : null;
    for (const [mode, connections] of [["seq", 1], [`${CONCURRENCY} conns`, CONCURRENCY]]) {
      const result = await measure(base, item.opts, item.login ? LOGIN_REQUESTS : REQUESTS, connections);
      rows.push({ label, name: item.name, mode, ...result, d1 });
    }
  }
  return rows;
}

function printTable(rows) {
  const header = ["server", "request", "mode", "n", "p50 ms", "p90 ms", "p99 ms", "req/s", "errors", "D1 queries/req", "rows read/req", "rows written/req"];
  const lines = rows.map((r) => [r.label, r.name, r.mode, String(r.n), fmt(r.p50), fmt(r.p90), fmt(r.p99), fmt(r.rps, 0), String(r.failures),
    r.d1 ? fmt(r.d1.queries, 1) : "n/a", r.d1 ? fmt(r.d1.rowsRead, 1) : "n/a", r.d1 ? fmt(r.d1.rowsWritten, 1) : "n/a"]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(show(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const line of lines) console.log(show(line));
}

const FAILED_SIGN_IN_ROUNDS = Number(process.env.BENCH_FAILED_SIGN_IN_ROUNDS ?? 15);

/**
 * Failed sign-ins by kind (deviation 2): an unknown name, a wrong password for an Argon2id user
 * and for a user imported from Langflow with a bcrypt hash (cost 12, made by Langflow's code),
 * interleaved in a shuffled order each round; plus the right password of the Argon2id user. Every
 * failure verifies both kinds of hash, so the three failure medians should agree.
 */
async function failedSignIns(worker, base, user, password) {
  const [vector] = JSON.parse(readFileSync(join(ROOT, "tests", "vectors", "langflow-compat.json"), "utf8")).bcrypt;
  const now = new Date().toISOString();
  const imported = `bench-bcrypt-${Date.now().toString(36)}`;
  execSql(worker, `INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at, updated_at)
    VALUES ('${randomUUID()}', '${imported}', '${vector.hash}', 1, 0, '${now}', '${now}')`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const kinds = {
    "unknown name": [`bench-nobody-${Date.now().toString(36)}`, "wrong-password-1", 401],
    "Argon2id user, wrong password": [user, "wrong-password-1", 401],
    "bcrypt user, wrong password": [imported, "wrong-password-1", 401],
    "Argon2id user, right password": [user, password, 200],
  };
  const times = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let round = 0; round < FAILED_SIGN_IN_ROUNDS + 1; round++) {
    const order = Object.keys(kinds).sort(() => Math.random() - 0.5);
    for (const kind of order) {
      const [username, pw, expected] = kinds[kind];
      const body = form({ username, password: pw });
      const started = performance.now();
      const res = await request(agent, base, { method: "POST", path: "/api/v1/login", headers: formHeaders(body), body });
      const ms = performance.now() - started;
      if (res.status !== expected) throw new Error(`${kind}: ${res.status} ${res.body}`);
      if (round > 0) times[kind].push(ms); // round 0 warms the isolate up
    }
  }
  agent.destroy();
  return Object.entries(times).map(([kind, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { kind, p50: percentile(sorted, 50), p90: percentile(sorted, 90) };
  });
}

async function main() {
  const wasm = join(ROOT, "build", "index_bg.wasm");
  if (!existsSync(wasm)) throw new Error("build/index_bg.wasm is missing: run `make build` first");
  const bytes = readFileSync(wasm);
  const admin = { user: "bench-admin", password: "bench-admin-password" };
  const worker = await startWorker({
    vars: { LANGFLOW_SUPERUSER: admin.user, LANGFLOW_SUPERUSER_PASSWORD: admin.password, LANGFLOW_RATE_LIMIT_ENABLED: "False", LANGFLOW_EDGE_BENCH_STATS: "True" },
  });
  let rows, failures;
  try {
    rows = await benchServer("langflow-edge", worker.url, admin.user, admin.password, true);
    failures = await failedSignIns(worker, worker.url, admin.user, admin.password);
    if (process.env.BASE_URL) {
      const user = process.env.BENCH_USER, password = process.env.BENCH_PASSWORD;
      if (!user || !password) throw new Error("BASE_URL needs USER and PASSWORD (make bench BASE_URL=... USER=... PASSWORD=...)");
      rows.push(...(await benchServer(process.env.BASE_URL, process.env.BASE_URL, user, password, false)));
    }
  } finally {
    await worker.destroy();
  }
  // The same hot paths with an isolate session cache (LANGFLOW_SESSION_CACHE_SECONDS=5).
  const cached = await startWorker({
    vars: { LANGFLOW_SUPERUSER: admin.user, LANGFLOW_SUPERUSER_PASSWORD: admin.password, LANGFLOW_RATE_LIMIT_ENABLED: "False", LANGFLOW_EDGE_BENCH_STATS: "True", LANGFLOW_SESSION_CACHE_SECONDS: "5" },
  });
  try {
    rows.push(...(await benchServer(CACHED, cached.url, admin.user, admin.password, true, (item) => item.name === "GET /health" || item.name.includes("whoami"))));
  } finally {
    await cached.destroy();
  }
  console.log(`\nlangflow-edge benchmark — ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`wrangler dev --env test (workerd, local D1); ${REQUESTS} requests per row (${LOGIN_REQUESTS} for login), at most ${SECONDS} s per row\n`);
  printTable(rows);
  console.log(`\nrelease wasm: ${bytes.length.toLocaleString("en")} bytes raw, ${gzipSync(bytes, { level: 9 }).length.toLocaleString("en")} bytes gzip -9`);
  const health = rows.find((r) => r.label === "langflow-edge" && r.name === "GET /health" && r.mode === "seq");
  for (const r of rows.filter((r) => r.label === "langflow-edge" && r.mode === "seq" && r.name.includes("whoami"))) {
    console.log(`${r.name}: p50 ${fmt(r.p50)} ms = ${fmt(r.p50 / health.p50)} × /health p50 (goal ≤ 1.5×)`);
  }
  const loginRow = rows.find((r) => r.label === "langflow-edge" && r.name === "POST /api/v1/login" && r.mode === "seq");
  console.log(`POST /api/v1/login: p50 ${fmt(loginRow.p50)} ms (goal < 60 ms)`);
  console.log(`\nPOST /api/v1/login by kind, ${FAILED_SIGN_IN_ROUNDS} interleaved tries each (failures must not tell who exists):`);
  for (const f of failures) console.log(`  ${f.kind.padEnd(32)} p50 ${fmt(f.p50).padStart(8)} ms  p90 ${fmt(f.p90).padStart(8)} ms`);
  const failed = failures.filter((f) => f.kind !== "Argon2id user, right password").map((f) => f.p50);
  console.log(`  failure p50s differ by ${fmt((Math.max(...failed) / Math.min(...failed) - 1) * 100, 1)} % (goal ≤ 10 %)`);
  const row = (label, name, mode) => rows.find((r) => r.label === label && r.name === name && r.mode === mode);
  const cachedHealth = row(CACHED, "GET /health", "seq"), cachedHealth8 = row(CACHED, "GET /health", `${CONCURRENCY} conns`);
  for (const name of ["GET /api/v1/users/whoami (Bearer)", "GET /api/v1/users/whoami (x-api-key)"]) {
    const seq = row(CACHED, name, "seq"), par = row(CACHED, name, `${CONCURRENCY} conns`);
    console.log(`with cache, ${name}: p50 ${fmt(seq.p50)} ms = ${fmt(seq.p50 / cachedHealth.p50)} × /health (goal ≤ 1.3×); ` +
      `${fmt(par.rps, 0)} req/s at ${CONCURRENCY} connections = ${fmt(par.rps / cachedHealth8.rps)} × /health's (goal ≥ 0.8×)`);
  }
  // Marginal cost per million requests beyond the Workers Paid plan's inclusions, at Cloudflare's
  // published prices (developers.cloudflare.com, Workers and D1 pricing, as of August 2026):
  // requests $0.30/M, D1 rows read $0.001/M, rows written $1.00/M; CPU time ($0.02 per million
  // CPU-ms) is not measurable in workerd (its clock stands still during CPU work), so it is left out.
  console.log("\nestimated cost per million signed-in requests (requests + D1 rows; CPU time not included):");
  for (const r of rows.filter((r) => r.d1 && r.mode === "seq" && r.name !== "GET /health")) {
    const dollars = 0.30 + r.d1.rowsRead * 0.001 + r.d1.rowsWritten * 1.0;
    console.log(`  ${r.label.padEnd(28)} ${r.name.padEnd(38)} $${dollars.toFixed(3)} (${fmt(r.d1.rowsRead, 1)} rows read, ${fmt(r.d1.rowsWritten, 1)} written per request)`);
  }
}

main().catch((err) => { console.error(`bench: ${err.message}`); process.exit(1); });
