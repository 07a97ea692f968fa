#!/usr/bin/env node
// make bench, gateway part: what the edge's hop adds in front of a real Langflow 1.13.0.
// Starts Langflow (the cached venv of scripts/setup-langflow.sh) and an edge in gateway mode on
// loopback, then times the same calls through the edge and straight to Langflow, one after the
// other, in one run. Both paths reach Langflow as the same external user (the straight calls
// carry an identity JWT the benchmark signs with the edge's own key, given to the edge as
// LANGFLOW_GATEWAY_PRIVATE_KEY), so Langflow does the same work and the difference is the hop:
//   - GET /api/v1/projects/ (through the edge with an edge token, which the edge checks against
//     its session in D1 and turns into a signed identity, reused per user for up to 30 s)
//   - POST /api/v1/run/{flow} of a Chat Input -> Chat Output flow (through the edge with an edge
//     API key, forwarded to /run/session/{flow}; straight to /run/session/{flow})
// Loopback only, bounded in requests; every process it starts is stopped by process group.
import http from "node:http";
import { startWorker } from "../tests/http/harness.mjs";
import { startLangflow, freePort } from "../tests/gateway/langflow.mjs";
import { chatEchoFlow } from "../tests/gateway/flows.mjs";
import { makeKeyPair, signJwt, identityClaims } from "../tests/gateway/identity.mjs";
import { createHash } from "node:crypto";

const REQUESTS = Number(process.env.BENCH_GATEWAY_REQUESTS ?? 200);
const RUNS = Number(process.env.BENCH_GATEWAY_RUNS ?? 40);

function request(agent, base, { method = "GET", path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

async function jsonCall(base, opts) {
  const agent = new http.Agent({ keepAlive: false });
  const body = opts.json === undefined ? opts.body : JSON.stringify(opts.json);
  const headers = { ...(opts.headers ?? {}), ...(opts.json === undefined ? {} : { "content-type": "application/json" }) };
  const res = await request(agent, base, { ...opts, body, headers });
  let json = null;
  try { json = JSON.parse(res.body); } catch { /* not JSON */ }
  return { ...res, json };
}

/** Sequential requests on one keep-alive connection: p50 and p99 in ms. */
async function measure(base, opts, total) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  await request(agent, base, typeof opts.headers === "function" ? { ...opts, headers: opts.headers() } : opts);
  const times = [];
  let failures = 0;
  for (let i = 0; i < total; i++) {
    // Headers made per request (a fresh identity) are made before the clock starts.
    const call = typeof opts.headers === "function" ? { ...opts, headers: opts.headers() } : opts;
    const t0 = performance.now();
    const res = await request(agent, base, call);
    times.push(performance.now() - t0);
    if (res.status >= 400) failures++;
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
  return { n: times.length, p50: at(50), p99: at(99), failures };
}

const fmt = (x) => x.toFixed(2);

async function main() {
  const port = await freePort();
  const admin = { user: "bench-admin", password: "bench-admin-password" };
  const key = makeKeyPair("bench");
  const pem = key.privateKey.export({ type: "pkcs8", format: "pem" });
  // The edge names its key by its RFC 7638 thumbprint.
  const { n, e } = key.publicJwk;
  const kid = createHash("sha256").update(JSON.stringify({ e, kty: "RSA", n })).digest("base64url");
  const edge = await startWorker({
    vars: {
      LANGFLOW_SUPERUSER: admin.user, LANGFLOW_SUPERUSER_PASSWORD: admin.password, LANGFLOW_RATE_LIMIT_ENABLED: "False",
      LANGFLOW_ORIGIN_URL: `http://127.0.0.1:${port}`, LANGFLOW_DISABLE_TRACK_APIKEY_USAGE: "True",
      LANGFLOW_GATEWAY_PRIVATE_KEY: pem,
    },
  });
  let lf;
  try {
    lf = await startLangflow({
      port, backendOnly: true,
      env: {
        LANGFLOW_EXTERNAL_AUTH_ENABLED: "True", LANGFLOW_EXTERNAL_AUTH_JWKS_URL: `${edge.url}/.well-known/jwks.json`,
        LANGFLOW_EXTERNAL_AUTH_ISSUER: "langflow-edge", LANGFLOW_EXTERNAL_AUTH_AUDIENCE: "langflow",
        LANGFLOW_EXTERNAL_AUTH_TOKEN_HEADER: "X-Langflow-Identity", LANGFLOW_EXTERNAL_AUTH_ALGORITHMS: "RS256",
      },
    });
    const form = (u, p) => new URLSearchParams({ username: u, password: p }).toString();
    const formHeaders = { "content-type": "application/x-www-form-urlencoded" };
    // Through the edge: the edge's admin, an edge API key, a flow created through the edge.
    const edgeToken = (await jsonCall(edge.url, { method: "POST", path: "/api/v1/login", headers: formHeaders, body: form(admin.user, admin.password) })).json.access_token;
    const edgeAuth = { authorization: `Bearer ${edgeToken}` };
    const edgeKey = (await jsonCall(edge.url, { method: "POST", path: "/api/v1/api_key/", headers: edgeAuth, json: { name: "bench" } })).json.api_key;
    const edgeFlow = (await jsonCall(edge.url, { method: "POST", path: "/api/v1/flows/", headers: edgeAuth, json: chatEchoFlow("bench echo") })).json.id;
    // Straight: the same user, by an identity signed here with the edge's key, a new one for each
    // request (signed before the clock starts); the edge reuses a user's token for up to 30 s.
    const me = (await jsonCall(edge.url, { path: "/api/v1/users/whoami", headers: edgeAuth })).json;
    const identity = () => ({
      "x-langflow-identity": signJwt(key.privateKey, kid, identityClaims({ sub: me.id, username: me.username }, { iat: Math.floor(Date.now() / 1000) - 30 })),
    });
    const lfProjects = await jsonCall(lf.url, { path: "/api/v1/projects/", headers: identity() });
    if (!edgeKey || !edgeFlow || lfProjects.status !== 200) {
      throw new Error(`seeding the gateway benchmark failed (${lfProjects.status} ${lfProjects.body})`);
    }

    const runBody = JSON.stringify({ input_value: "bench", input_type: "chat", output_type: "chat" });
    const runHeaders = (key) => ({ "x-api-key": key, "content-type": "application/json", "content-length": Buffer.byteLength(runBody) });
    const pairs = [
      ["GET /api/v1/projects/", { path: "/api/v1/projects/", headers: edgeAuth }, { path: "/api/v1/projects/", headers: identity }, REQUESTS],
      ["POST /api/v1/run/{flow} (x-api-key)", { method: "POST", path: `/api/v1/run/${edgeFlow}`, headers: runHeaders(edgeKey), body: runBody },
        { method: "POST", path: `/api/v1/run/session/${edgeFlow}`, headers: () => ({ ...identity(), "content-type": "application/json", "content-length": Buffer.byteLength(runBody) }), body: runBody }, RUNS],
    ];
    console.log(`\ngateway hop — Langflow 1.13.0 on loopback (backend only, 1 worker), edge in gateway mode; sequential, keep-alive\n`);
    console.log(["request".padEnd(38), "path".padEnd(9), "n".padStart(4), "p50 ms".padStart(8), "p99 ms".padStart(8), "errors".padStart(7)].join("  "));
    for (const [name, viaEdge, direct, total] of pairs) {
      // Alternate so that drift on a shared machine falls on both alike.
      const a = await measure(edge.url, viaEdge, total);
      const b = await measure(lf.url, direct, total);
      for (const [label, r] of [["edge", a], ["direct", b]]) {
        console.log([name.padEnd(38), label.padEnd(9), String(r.n).padStart(4), fmt(r.p50).padStart(8), fmt(r.p99).padStart(8), String(r.failures).padStart(7)].join("  "));
      }
      console.log(`${name}: the hop adds ${fmt(a.p50 - b.p50)} ms at p50 (${fmt(a.p50 / b.p50)} ×), ${fmt(a.p99 - b.p99)} ms at p99 (goal: under 3 ms at p50)`);
    }
  } finally {
    if (lf) await lf.stop();
    await edge.destroy();
  }
}

main().catch((err) => { console.error(`bench-gateway: ${err.message}`); process.exit(1); });
