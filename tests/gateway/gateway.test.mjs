// Gateway mode against a real Langflow 1.13.0 (issue 10, item 5 b-e): one Langflow and one edge
// for the whole file, since Langflow takes 20-40 s to start.
//
//   client -> edge (wrangler dev) -> recording proxy -> Langflow (LANGFLOW_EXTERNAL_AUTH_*)
//   Langflow's JWKS fetches -> recording proxy -> edge/.well-known/jwks.json
//
// The recording proxies (tests/gateway/origin-server.mjs) pass everything on unchanged and write
// down what Langflow was sent (whether a refused request reached it at all, and the identity
// tokens the edge really sent, replayed straight to Langflow below) and when Langflow fetched
// the edge's JWKS. The edge signs with a key the
// test gives it (LANGFLOW_GATEWAY_PRIVATE_KEY, PKCS#8 PEM), so the test can also sign identities
// of its own, good and bad, and send them straight to Langflow.
//
// Also pinned here, straight against Langflow: what its external auth accepts and refuses, how it
// maps identities to its users, that a native Langflow credential outranks the identity (why the
// edge strips them), and how it caches the edge's JWKS across a key rotation (the edge is
// restarted on the same port with the next key published). docs/gateway-notes.md cites these.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID, verify } from "node:crypto";
import { startWorker, call, signInAdmin, makeUser, login, ADMIN } from "../http/harness.mjs";
import { startLangflow, freePort } from "./langflow.mjs";
import { makeKeyPair, signJwt, identityClaims } from "./identity.mjs";
import { chatEchoFlow } from "./flows.mjs";
import { startRecordingProxy } from "./origin-server.mjs";

const HEADER = "X-Langflow-Identity";

const edgeKey = makeKeyPair(); // the edge's signing key, given as LANGFLOW_GATEWAY_PRIVATE_KEY
const forgerKey = makeKeyPair(); // signs under the edge's kid: a forgery
const strangerKey = makeKeyPair(); // never published
const nextKey = makeKeyPair(); // published by the restarted edge, for the rotation check

let lf;
let edge;
let proxy;
let jwksProxy;
let edgePort;
let edgeVars;
let admin;
let alice;
let bob;
let aliceFlow;
let aliceKey;
const edgeUsers = new Set();
let firstIdentityAt; // just before the first forwarded identity: Langflow's first JWKS fetch is after
const timings = {};

/** A token the edge would send for `who` (an edge user), signed with `key` under `kid`. */
function identity(who, overrides = {}, { key = edgeKey, kid = key.kid, header = {} } = {}) {
  return signJwt(key.privateKey, kid, identityClaims({ sub: who.id, username: who.username }, overrides), header);
}

/** A request straight to Langflow, not through the edge. */
async function direct(path, { identity: token, headers = {}, method = "GET", json } = {}) {
  const h = { ...headers };
  if (token !== undefined) h[HEADER] = token;
  return call(lf.url, path, { method, headers: h, json });
}

const jwksFetches = () => jwksProxy.to("/.well-known/jwks.json").length;
const answerText = (body) => body.outputs[0].outputs[0].results.message.text;
const claimsOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const started = Date.now();
  const lfPort = await freePort();
  edgePort = await freePort();
  proxy = await startRecordingProxy(`http://127.0.0.1:${lfPort}`);
  jwksProxy = await startRecordingProxy(`http://127.0.0.1:${edgePort}`);
  edgeVars = {
    LANGFLOW_ORIGIN_URL: proxy.url,
    LANGFLOW_GATEWAY_PRIVATE_KEY: edgeKey.privateKey.export({ type: "pkcs8", format: "pem" }),
  };
  // Langflow fetches the JWKS on the first identity it sees, so both start at once.
  [edge, lf] = await Promise.all([
    startWorker({ port: edgePort, vars: edgeVars }),
    startLangflow({
      port: lfPort,
      env: {
        LANGFLOW_EXTERNAL_AUTH_ENABLED: "True",
        LANGFLOW_EXTERNAL_AUTH_JWKS_URL: `${jwksProxy.url}/.well-known/jwks.json`,
        LANGFLOW_EXTERNAL_AUTH_ISSUER: "langflow-edge",
        LANGFLOW_EXTERNAL_AUTH_AUDIENCE: "langflow",
        LANGFLOW_EXTERNAL_AUTH_TOKEN_HEADER: HEADER,
        LANGFLOW_EXTERNAL_AUTH_ALGORITHMS: "RS256",
      },
    }),
  ]);
  timings.startup = Date.now() - started;
  console.log(`# edge and Langflow ready in ${timings.startup} ms (Langflow ${lf.startupMs} ms)`);
  admin = await signInAdmin(edge.url);
  alice = await makeUser(edge.url, admin.token, "alice");
  bob = await makeUser(edge.url, admin.token, "bob");
  for (const u of [admin, alice, bob]) edgeUsers.add(u.id);
});

after(async () => {
  const t0 = Date.now();
  await Promise.all([lf?.stop(), edge?.destroy()]);
  await Promise.all([proxy?.close(), jwksProxy?.close()]);
  console.log(`# stopped in ${Date.now() - t0} ms`);
});

describe("Langflow through the edge", () => {
  it("serves Langflow's web UI and its anonymous endpoints from the origin", async () => {
    const page = await call(edge.url, "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(page.body, /<title>Langflow<\/title>/);
    assert.match(page.body, /<div [^>]*id="root"/);
    const script = page.body.match(/src="\.?\/?(assets\/index-[^"]+\.js)"/)?.[1];
    assert.ok(script, "index.html loads its bundle");
    const bundle = await fetch(`${edge.url}/${script}`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get("content-type"), /javascript/);
    assert.ok((await bundle.arrayBuffer()).byteLength > 1_000_000);
    const version = await call(edge.url, "/api/v1/version");
    assert.equal(version.status, 200);
    assert.equal(version.body.version, "1.13.0");
    assert.equal(proxy.to("/api/v1/version").length, 1);
  });

  it("a signed-in user's first request creates their Langflow user, with its Starter Project", async () => {
    firstIdentityAt = Date.now();
    const flows = await call(edge.url, "/api/v1/flows/", { token: alice.token });
    assert.equal(flows.status, 200, JSON.stringify(flows.body));
    assert.deepEqual(flows.body, []);
    assert.equal(jwksFetches(), 1, "Langflow fetched the edge's JWKS once");
    const projects = await call(edge.url, "/api/v1/projects/", { token: alice.token });
    assert.equal(projects.status, 200);
    assert.deepEqual(projects.body.map((p) => p.name), ["Starter Project"]);
    assert.equal(jwksFetches(), 1, "then used its cached copy");
  });
});

describe("key rotation, part 1: the edge publishes a next key", () => {
  it("a restarted edge (same port, same database) publishes it; Langflow does not refetch within 30 s", async () => {
    await edge.stop();
    edgeVars = { ...edgeVars, LANGFLOW_GATEWAY_PUBLISHED_KEYS: JSON.stringify([nextKey.publicJwk]) };
    edge = await startWorker({ port: edgePort, dir: edge.dir, vars: edgeVars });
    const jwks = await call(edge.url, "/.well-known/jwks.json");
    assert.deepEqual(jwks.body.keys.map((k) => k.kid), [edgeKey.kid, nextKey.kid]);
    const fetchesBefore = jwksFetches();
    const token = identity(alice, {}, { key: nextKey });
    if (Date.now() - firstIdentityAt < 25_000) {
      const early = await direct("/api/v1/users/whoami", { identity: token });
      assert.equal(early.status, 401, "Langflow still has the JWKS without the next key");
      assert.equal(jwksFetches(), fetchesBefore, "no refetch inside the 30 s window");
    } else {
      console.log("# (the start took long: the in-window refusal was not checked)");
    }
    // The edge's sessions survived its restart.
    assert.equal((await call(edge.url, "/api/v1/projects/", { token: alice.token })).status, 200);
  });
});

describe("(b) a flow created through the edge runs with an edge API key", () => {
  before(async () => {
    const created = await call(edge.url, "/api/v1/flows/", {
      method: "POST", token: alice.token, json: { ...chatEchoFlow("echo"), endpoint_name: "alice-echo" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    aliceFlow = created.body;
    const key = await call(edge.url, "/api/v1/api_key/", { method: "POST", token: alice.token, json: { name: "runner" } });
    assert.equal(key.status, 200, JSON.stringify(key.body));
    aliceKey = key.body.api_key;
    assert.equal(proxy.to(/^\/api\/v1\/api_key/).length, 0, "the edge's API keys are the edge's: never at the origin");
  });

  it("POST /api/v1/run/{id} with x-api-key answers the message (run as /run/session at the origin)", async () => {
    const n = proxy.requests.length;
    const run = await call(edge.url, `/api/v1/run/${aliceFlow.id}`, { method: "POST", apiKey: aliceKey, json: { input_value: "hello edge" } });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(answerText(run.body), "hello edge");
    assert.deepEqual(proxy.requests.slice(n).map((r) => `${r.method} ${r.url}`), [`POST /api/v1/run/session/${aliceFlow.id}`]);
  });

  it("also by endpoint name, and with the key in the query", async () => {
    const run = await call(edge.url, `/api/v1/run/alice-echo?x-api-key=${aliceKey}`, { method: "POST", json: { input_value: "by name" } });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(answerText(run.body), "by name");
    assert.equal(proxy.requests.at(-1).url, "/api/v1/run/session/alice-echo");
  });

  it("?stream=true streams Langflow's events (text/event-stream) through the edge", async () => {
    const res = await fetch(`${edge.url}/api/v1/run/${aliceFlow.id}?stream=true`, {
      method: "POST",
      headers: { "x-api-key": aliceKey, "content-type": "application/json", "accept-encoding": "gzip" },
      body: JSON.stringify({ input_value: "streamed hello" }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/event-stream/);
    assert.equal(res.headers.get("content-length"), null, "not buffered into one sized body");
    const chunks = [];
    for await (const chunk of res.body) chunks.push(Buffer.from(chunk));
    const events = Buffer.concat(chunks).toString("utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event), ["add_message", "add_message", "end"]);
    assert.equal(events[1].data.text, "streamed hello");
    assert.equal(events[1].data.sender, "Machine");
    assert.equal(proxy.requests.at(-1).url, `/api/v1/run/session/${aliceFlow.id}?stream=true`);
  });

  it("the UI's way, build then events, streams NDJSON through the edge", async () => {
    const build = await call(edge.url, `/api/v1/build/${aliceFlow.id}/flow`, {
      method: "POST", token: alice.token, json: { inputs: { input_value: "built through the edge" } },
    });
    assert.equal(build.status, 200, JSON.stringify(build.body));
    const events = await fetch(`${edge.url}/api/v1/build/${build.body.job_id}/events`, {
      headers: { authorization: `Bearer ${alice.token}`, "accept-encoding": "gzip" },
    });
    assert.equal(events.status, 200);
    assert.equal(events.headers.get("content-type"), "application/x-ndjson");
    const lines = (await events.text()).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    assert.equal(lines.at(-1).event, "end");
    assert.ok(lines.some((l) => l.event === "add_message" && l.data.text === "built through the edge"));
  });

  it("with a Bearer token /run stays /run, which Langflow keeps for its own API keys", async () => {
    const run = await call(edge.url, `/api/v1/run/${aliceFlow.id}`, { method: "POST", token: alice.token, json: { input_value: "x" } });
    assert.equal(run.status, 403);
    assert.deepEqual(run.body, { detail: "An API key must be passed as query or header" });
  });
});

describe("(c) two users each see only their own flows", () => {
  let bobFlow;
  before(async () => {
    const created = await call(edge.url, "/api/v1/flows/", { method: "POST", token: bob.token, json: chatEchoFlow("bob's flow") });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    bobFlow = created.body;
  });

  it("lists: alice's flows to alice, bob's to bob, each in their own Starter Project", async () => {
    const names = async (u) => (await call(edge.url, "/api/v1/flows/?get_all=true", { token: u.token })).body.map((f) => f.name).sort();
    assert.deepEqual(await names(alice), ["echo"]);
    assert.deepEqual(await names(bob), ["bob's flow"]);
    const header = await call(edge.url, "/api/v1/flows/?get_all=true&header_flows=true", { token: bob.token });
    assert.deepEqual(header.body.map((f) => f.id), [bobFlow.id]);
    const project = async (u) => (await call(edge.url, "/api/v1/projects/", { token: u.token })).body[0].id;
    assert.notEqual(await project(alice), await project(bob));
    assert.notEqual(aliceFlow.user_id, bobFlow.user_id, "two Langflow users");
  });

  it("bob cannot read, change, delete or run alice's flow by id or by name", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const r = await call(edge.url, `/api/v1/flows/${aliceFlow.id}`, { method, token: bob.token, json: method === "PATCH" ? { name: "taken" } : undefined });
      assert.equal(r.status, 404, `${method}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, { detail: "Flow not found" });
    }
    const bobKey = (await call(edge.url, "/api/v1/api_key/", { method: "POST", token: bob.token, json: { name: "bob" } })).body.api_key;
    for (const target of [aliceFlow.id, "alice-echo"]) {
      const run = await call(edge.url, `/api/v1/run/${target}`, { method: "POST", apiKey: bobKey, json: { input_value: "x" } });
      assert.equal(run.status, 404, JSON.stringify(run.body));
    }
    const build = await call(edge.url, `/api/v1/build/${aliceFlow.id}/flow`, { method: "POST", token: bob.token, json: { inputs: { input_value: "x" } } });
    assert.notEqual(build.status, 200, "bob cannot build alice's flow");
    const still = await call(edge.url, `/api/v1/flows/${aliceFlow.id}`, { token: alice.token });
    assert.equal(still.status, 200);
    assert.equal(still.body.name, "echo");
  });
});

describe("(d) a user the edge has let go reaches nothing at the origin, at once", () => {
  /** Signs `who` in and proves their token and API key reach Langflow; returns { token, key, cookie }. */
  async function active(who) {
    const session = await login(edge.url, who.username, who.password);
    const key = (await call(edge.url, "/api/v1/api_key/", { method: "POST", token: session.access, json: { name: "k" } })).body.api_key;
    const flows = await call(edge.url, "/api/v1/flows/", { token: session.access });
    assert.equal(flows.status, 200);
    const run = await call(edge.url, `/api/v1/run/${aliceFlow.id}`, { method: "POST", apiKey: key, json: { input_value: "x" } });
    assert.equal(run.status, 404, "the key reaches Langflow (another user's flow is not found there)");
    const cookie = session.cookies.map((c) => c.split(";")[0]).join("; ");
    return { token: session.access, key, cookie };
  }

  /** Every way `creds` could reach Langflow, refused by the edge, and nothing forwarded. */
  async function refused(creds, tokenDetail) {
    const n = proxy.requests.length;
    for (const [path, opts] of [
      ["/api/v1/flows/", { token: creds.token }],
      ["/api/v1/projects/", { cookie: creds.cookie }],
      [`/api/v1/build/${aliceFlow.id}/flow`, { token: creds.token, method: "POST", json: {} }],
    ]) {
      const r = await call(edge.url, path, opts);
      assert.equal(r.status, 401, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.detail, tokenDetail);
    }
    if (creds.key) {
      const run = await call(edge.url, `/api/v1/run/${aliceFlow.id}`, { method: "POST", apiKey: creds.key, json: { input_value: "x" } });
      assert.equal(run.status, 403, JSON.stringify(run.body));
    }
    assert.deepEqual(proxy.requests.slice(n).map((r) => r.url), [], "none of it reached Langflow");
  }

  it("after logout at the edge", async () => {
    const carol = await makeUser(edge.url, admin.token, "carol");
    edgeUsers.add(carol.id);
    const creds = await active(carol);
    const out = await call(edge.url, "/api/v1/logout", { method: "POST", cookie: creds.cookie });
    assert.equal(out.status, 200);
    await refused({ token: creds.token, cookie: creds.cookie }, "Token has been revoked");
  });

  it("after deactivation by an admin", async () => {
    const dave = await makeUser(edge.url, admin.token, "dave");
    edgeUsers.add(dave.id);
    const creds = await active(dave);
    const off = await call(edge.url, `/api/v1/users/${dave.id}`, { method: "PATCH", token: admin.token, json: { is_active: false } });
    assert.equal(off.status, 200);
    await refused(creds, "Token has been revoked");
    // Langflow itself still has dave as an active user: only the edge locks him out.
    const lfAdmin = (await login(lf.url, lf.superuser.username, lf.superuser.password)).access;
    const users = (await call(lf.url, "/api/v1/users/?limit=100", { token: lfAdmin })).body.users;
    assert.equal(users.find((u) => u.username === "dave")?.is_active, true);
  });

  it("after the user ends that session from another one (GET/DELETE /api/v1/sessions)", async () => {
    const frank = await makeUser(edge.url, admin.token, "frank");
    edgeUsers.add(frank.id);
    const kept = await active(frank);
    const lost = await active(frank);
    const listed = await call(edge.url, "/api/v1/sessions", { token: lost.token });
    assert.equal(listed.status, 200, "the edge answers /api/v1/sessions in gateway mode");
    const lostId = listed.body.sessions.find((s) => s.current).id;
    const n = proxy.requests.length;
    const ended = await call(edge.url, `/api/v1/sessions/${lostId}`, { method: "DELETE", token: kept.token });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.deepEqual(proxy.requests.slice(n).map((r) => r.url), [], "answered by the edge");
    await refused({ token: lost.token, cookie: lost.cookie }, "Token has been revoked");
    assert.equal((await call(edge.url, "/api/v1/flows/", { token: kept.token })).status, 200, "the other session goes on");
  });

  it("after an admin ends all their sessions on the /admin page", async () => {
    const gina = await makeUser(edge.url, admin.token, "gina");
    edgeUsers.add(gina.id);
    const creds = await active(gina);
    const adminSession = await login(edge.url, ADMIN.username, ADMIN.password);
    const adminCookie = adminSession.cookies.map((c) => c.split(";")[0]).join("; ");
    const page = await call(edge.url, `/admin/users/${gina.id}`, { cookie: adminCookie });
    assert.equal(page.status, 200);
    const csrf = page.body.match(/name="csrf_token" value="([^"]+)"/)[1];
    const ended = await call(edge.url, `/admin/users/${gina.id}/sessions/end`, { method: "POST", cookie: adminCookie, form: { csrf_token: csrf } });
    assert.equal(ended.status, 303);
    assert.equal(ended.headers.get("location"), "/admin?done=sessions");
    await refused({ token: creds.token, cookie: creds.cookie }, "Token has been revoked");
  });

  it("/api/v1/audits stays Langflow's (its feed of flow and project changes)", async () => {
    const n = proxy.requests.length;
    const feed = await call(edge.url, "/api/v1/audits", { token: admin.token });
    assert.equal(feed.status, 403, "the edge's superuser is an ordinary user at the origin");
    assert.equal(feed.body.detail, "The user doesn't have enough privileges");
    assert.deepEqual(proxy.requests.slice(n).map((r) => r.url), ["/api/v1/audits"]);
  });

  it("after deletion by an admin", async () => {
    const erin = await makeUser(edge.url, admin.token, "erin");
    edgeUsers.add(erin.id);
    const creds = await active(erin);
    const del = await call(edge.url, `/api/v1/users/${erin.id}`, { method: "DELETE", token: admin.token });
    assert.equal(del.status, 202, JSON.stringify(del.body));
    await refused(creds, "Token authentication failed");
  });
});

describe("(e) identities sent straight to Langflow", () => {
  let aliceAtOrigin;
  let captured;

  before(async () => {
    // A token the edge really sent (for alice, on her last forwarded request).
    captured = proxy.requests.filter((r) => r.headers["x-langflow-identity"] && claimsOf(r.headers["x-langflow-identity"]).sub === alice.id).at(-1)
      .headers["x-langflow-identity"];
  });

  const refusedByLangflow = async (token) => {
    for (const path of ["/api/v1/users/whoami", "/api/v1/flows/"]) {
      const r = await direct(path, { identity: token });
      assert.equal(r.status, 401, `${path}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, { detail: "Invalid token" });
    }
  };

  it("accepts a token the edge sent (captured on its way) and one signed the same way", async () => {
    const header = JSON.parse(Buffer.from(captured.split(".")[0], "base64url"));
    assert.deepEqual(header, { alg: "RS256", typ: "JWT", kid: edgeKey.kid });
    const me = await direct("/api/v1/users/whoami", { identity: captured });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.username, "alice");
    assert.equal(me.body.is_superuser, false);
    assert.equal(me.body.id, aliceFlow.user_id, "the Langflow user that owns alice's flow");
    assert.notEqual(me.body.id, alice.id, "Langflow makes its own user id; the edge id is the identity's sub");
    aliceAtOrigin = me.body;
    const mine = await direct("/api/v1/flows/", { identity: identity(alice) });
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.map((f) => f.id), [aliceFlow.id]);
    const session = await direct("/api/v1/session", { identity: `Bearer ${identity(alice)}` });
    assert.equal(session.body.authenticated, true, "also with a Bearer prefix, also on /session");
    assert.equal(session.body.user.id, aliceAtOrigin.id);
  });

  it("refuses a forgery: another key signing under the edge's kid", async () => {
    await refusedByLangflow(identity(alice, {}, { key: forgerKey, kid: edgeKey.kid }));
  });
  it("refuses an edge token whose claims were changed (bob's sub on alice's signature)", async () => {
    const [head, , signature] = captured.split(".");
    const body = Buffer.from(JSON.stringify({ ...claimsOf(captured), sub: bob.id, preferred_username: "bob" })).toString("base64url");
    await refusedByLangflow(`${head}.${body}.${signature}`);
  });
  it("refuses an expired token, also by one second (no leeway)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refusedByLangflow(identity(alice, { iat: now - 120, exp: now - 60 }));
    await refusedByLangflow(identity(alice, { iat: now - 60, exp: now - 1 }));
  });
  it("refuses a token for another audience, or from another issuer", async () => {
    await refusedByLangflow(identity(alice, { aud: "some-other-service" }));
    await refusedByLangflow(identity(alice, { iss: "someone-else" }));
  });
  it("refuses a token issued 5 s in the future (no leeway on iat: why the edge backdates it)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refusedByLangflow(identity(alice, { iat: now + 5, exp: now + 65 }));
  });
  it("refuses a token without exp or without sub, an HS256 one, and garbage", async () => {
    await refusedByLangflow(identity(alice, { exp: undefined }));
    await refusedByLangflow(identity(alice, { sub: undefined }));
    const [, body, signature] = identity(alice).split(".");
    const hs = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid: edgeKey.kid })).toString("base64url");
    await refusedByLangflow(`${hs}.${body}.${signature}`);
    await refusedByLangflow("not-a-jwt");
  });
  it("without any identity: 403, and /session says unauthenticated", async () => {
    const me = await direct("/api/v1/users/whoami");
    assert.equal(me.status, 403);
    assert.deepEqual(me.body, { detail: "No authentication credentials provided" });
    assert.equal((await direct("/api/v1/flows/")).status, 403);
    assert.deepEqual((await direct("/api/v1/session")).body, { authenticated: false, user: null, store_api_key: null });
  });
});

describe("how Langflow treats identities (pins the gateway design relies on)", () => {
  it("a valid native Langflow cookie or Bearer token outranks the identity: why the edge strips them", async () => {
    const native = (await login(lf.url, lf.superuser.username, lf.superuser.password)).access;
    const byCookie = await direct("/api/v1/users/whoami", { identity: identity(alice), headers: { cookie: `access_token_lf=${native}` } });
    assert.equal(byCookie.body.username, lf.superuser.username);
    const byBearer = await direct("/api/v1/users/whoami", { identity: identity(alice), headers: { authorization: `Bearer ${native}` } });
    assert.equal(byBearer.body.username, lf.superuser.username);
    const broken = await direct("/api/v1/users/whoami", { identity: identity(alice), headers: { cookie: "access_token_lf=garbage" } });
    assert.equal(broken.body.username, "alice", "a broken native credential falls back to the identity");
  });

  it("keys users by sub: a new preferred_username does not rename; a taken name gets external-<digest>", async () => {
    const renamed = await direct("/api/v1/users/whoami", { identity: identity({ ...alice, username: "alice-renamed" }) });
    assert.equal(renamed.body.username, "alice");
    for (const taken of ["ALICE", lf.superuser.username]) {
      const sub = randomUUID();
      const me = await direct("/api/v1/users/whoami", { identity: identity({ id: sub, username: taken }) });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      const digest = createHash("sha256").update(`external:${sub}`).digest("hex").slice(0, 12);
      assert.equal(me.body.username, `external-${digest}`);
      assert.equal(me.body.is_superuser, false);
    }
  });

  it("the origin cannot lock an identity out: deactivated there it is refused, deleted there it comes back new", async () => {
    const lfAdmin = (await login(lf.url, lf.superuser.username, lf.superuser.password)).access;
    const frank = { id: randomUUID(), username: "frank" };
    const frankId = (await direct("/api/v1/users/whoami", { identity: identity(frank) })).body.id;
    const off = await call(lf.url, `/api/v1/users/${frankId}`, { method: "PATCH", token: lfAdmin, json: { is_active: false } });
    assert.equal(off.status, 200);
    const inactive = await direct("/api/v1/users/whoami", { identity: identity(frank) });
    assert.equal(inactive.status, 401);
    assert.deepEqual(inactive.body, { detail: "User account is inactive" });

    const gina = { id: randomUUID(), username: "gina" };
    const ginaId = (await direct("/api/v1/users/whoami", { identity: identity(gina) })).body.id;
    const del = await call(lf.url, `/api/v1/users/${ginaId}`, { method: "DELETE", token: lfAdmin });
    assert.equal(del.status, 202, "deletion is an erase that finishes in the background");
    const t0 = Date.now();
    while ((await call(lf.url, `/api/v1/users/${ginaId}`, { token: lfAdmin })).status !== 404) {
      assert.ok(Date.now() - t0 < 30_000, "the erase finishes within 30 s");
      await sleep(250);
    }
    const again = await direct("/api/v1/users/whoami", { identity: identity(gina) });
    assert.equal(again.status, 200);
    assert.notEqual(again.body.id, ginaId);
  });

  it("/api/v1/run/{id} takes only API keys, /run/session/{id} takes the identity (why the edge rewrites)", async () => {
    const byKeyRoute = await direct(`/api/v1/run/${aliceFlow.id}`, { identity: identity(alice), method: "POST", json: { input_value: "x" } });
    assert.equal(byKeyRoute.status, 403);
    const bySession = await direct(`/api/v1/run/session/${aliceFlow.id}`, { identity: identity(alice), method: "POST", json: { input_value: "direct" } });
    assert.equal(bySession.status, 200);
    assert.equal(answerText(bySession.body), "direct");
  });
});

describe("key rotation, part 2", () => {
  it("Langflow picks up the next key with one refetch once 30 s have passed; the current key keeps working", async () => {
    const wait = firstIdentityAt + 31_000 - Date.now();
    if (wait > 0) await sleep(wait);
    const fetches = jwksFetches();
    const next = await direct("/api/v1/users/whoami", { identity: identity(alice, {}, { key: nextKey }) });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(next.body.username, "alice");
    if (Date.now() - firstIdentityAt < 290_000) assert.equal(jwksFetches(), fetches + 1, "one refetch for the unknown kid");
    const current = await call(edge.url, "/api/v1/flows/", { token: alice.token });
    assert.equal(current.status, 200);
  });

  it("a key that is in no JWKS is refused", async () => {
    const r = await direct("/api/v1/users/whoami", { identity: identity(alice, {}, { key: strangerKey }) });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { detail: "Invalid token" });
  });
});

describe("everything Langflow was sent through the edge", () => {
  it("carried no client credential, and only identities the edge signed for its users", async () => {
    assert.ok(proxy.requests.length > 20, `${proxy.requests.length} requests recorded`);
    let identities = 0;
    for (const r of proxy.requests) {
      const where = `${r.method} ${r.url}`;
      assert.equal(r.headers.authorization, undefined, where);
      assert.equal(r.headers["x-api-key"], undefined, where);
      assert.doesNotMatch(r.url, /x-api-key/, where);
      assert.doesNotMatch(r.headers.cookie ?? "", /(access_token_lf|refresh_token_lf|apikey_tkn_lflw)/, where);
      const token = r.headers["x-langflow-identity"];
      if (!token) continue;
      identities += 1;
      const [head, body, signature] = token.split(".");
      assert.ok(verify("RSA-SHA256", Buffer.from(`${head}.${body}`), edgeKey.publicKey, Buffer.from(signature, "base64url")), where);
      const claims = claimsOf(token);
      assert.ok(edgeUsers.has(claims.sub), `${where}: sub is an edge user`);
      assert.equal(claims.iss, "langflow-edge");
      assert.equal(claims.aud, "langflow");
      assert.ok(claims.exp - claims.iat <= 90);
    }
    assert.ok(identities > 10);
  });
});
