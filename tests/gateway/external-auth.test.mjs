// Proof against a real Langflow 1.13.0 that its "external auth" accepts the identity JWT the edge
// will send in gateway mode (issue 10), and pins the Langflow behaviour the gateway design relies
// on (user mapping, JWKS caching, clock skew, credential precedence, what /run accepts).
// Needs the venv of scripts/setup-langflow.sh (installed on first use, minutes). Not part of
// `make test` yet:  node --test tests/gateway/external-auth.test.mjs   (about 70-80 s)
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { startLangflow } from "./langflow.mjs";
import { makeKeyPair, signJwt, identityClaims, startJwksServer } from "./identity.mjs";
import { chatEchoFlow } from "./flows.mjs";

const HEADER = "X-Langflow-Identity";
const ISSUER = "langflow-edge";
const AUDIENCE = "langflow";

let lf;
let jwks;
const edgeKey = makeKeyPair("edge-2026-01");
const otherKey = makeKeyPair("edge-2026-01"); // same kid, different key: a forgery
const nextKey = makeKeyPair("edge-2026-02"); // published later, for the rotation check

const token = (who, overrides = {}, key = edgeKey, header = {}) =>
  signJwt(key.privateKey, key.kid, identityClaims({ ...who, issuer: ISSUER, audience: AUDIENCE }, overrides), header);

async function call(path, { identity, headers = {}, method = "GET", body } = {}) {
  const h = { ...headers };
  if (identity !== undefined) h[HEADER] = identity;
  if (body !== undefined) h["content-type"] = "application/json";
  const res = await fetch(`${lf.url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

const alice = { sub: randomUUID(), username: "alice" };

before(async () => {
  jwks = await startJwksServer([edgeKey.publicJwk]);
  lf = await startLangflow({
    backendOnly: true,
    env: {
      LANGFLOW_EXTERNAL_AUTH_ENABLED: "True",
      LANGFLOW_EXTERNAL_AUTH_JWKS_URL: jwks.url,
      LANGFLOW_EXTERNAL_AUTH_ISSUER: ISSUER,
      LANGFLOW_EXTERNAL_AUTH_AUDIENCE: AUDIENCE,
      LANGFLOW_EXTERNAL_AUTH_TOKEN_HEADER: HEADER,
      LANGFLOW_EXTERNAL_AUTH_ALGORITHMS: "RS256",
    },
  });
  console.log(`# Langflow ready in ${lf.startupMs} ms at ${lf.url}`);
});

after(async () => {
  const t0 = Date.now();
  await lf?.stop();
  if (lf) console.log(`# Langflow stopped in ${Date.now() - t0} ms`);
  await jwks?.close();
});

describe("a correctly signed identity", () => {
  it("creates the user on first use and is accepted on whoami and flows", async () => {
    assert.equal(jwks.fetches, 0, "Langflow does not fetch the JWKS before the first external token");
    const me = await call("/api/v1/users/whoami", { identity: token(alice) });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.username, "alice");
    assert.equal(me.json.is_superuser, false);
    assert.equal(me.json.is_active, true);
    alice.id = me.json.id;
    assert.notEqual(alice.id, alice.sub, "Langflow makes its own user id; sub is kept in sso_user_profile");

    const flows = await call("/api/v1/flows/", { identity: token(alice) });
    assert.equal(flows.status, 200, flows.text);
    assert.ok(Array.isArray(flows.json));

    const projects = await call("/api/v1/projects/", { identity: token(alice) });
    assert.equal(projects.status, 200, projects.text);
    assert.deepEqual(projects.json.map((p) => p.name), ["Starter Project"]);
    assert.equal(jwks.fetches, 1, "one JWKS fetch, then the cached copy");
  });

  it("also works with a Bearer prefix in the header, and on /api/v1/session", async () => {
    const me = await call("/api/v1/users/whoami", { identity: `Bearer ${token(alice)}` });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, alice.id);
    const session = await call("/api/v1/session", { identity: token(alice) });
    assert.equal(session.status, 200);
    assert.equal(session.json.authenticated, true);
    assert.equal(session.json.user.id, alice.id);
  });

  it("is keyed by sub: a new preferred_username for the same sub does not rename the user", async () => {
    const me = await call("/api/v1/users/whoami", { identity: token({ ...alice, username: "alice-renamed" }) });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, alice.id);
    assert.equal(me.json.username, "alice");
  });

  it("gets a derived username when preferred_username is taken (case-insensitively) by another user", async () => {
    const sub = randomUUID();
    const me = await call("/api/v1/users/whoami", { identity: token({ sub, username: "ALICE" }) });
    assert.equal(me.status, 200, me.text);
    assert.notEqual(me.json.id, alice.id);
    const digest = createHash("sha256").update(`external:${sub}`).digest("hex").slice(0, 12);
    assert.equal(me.json.username, `external-${digest}`);
  });

  it("gets the derived username too when the name is a native Langflow user's (the superuser)", async () => {
    const sub = randomUUID();
    const me = await call("/api/v1/users/whoami", { identity: token({ sub, username: lf.superuser.username }) });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.is_superuser, false);
    assert.match(me.json.username, /^external-[0-9a-f]{12}$/);
  });
});

describe("identities Langflow refuses", () => {
  const refused = async (identity) => {
    const r = await call("/api/v1/users/whoami", { identity });
    assert.equal(r.status, 401, r.text);
    assert.deepEqual(r.json, { detail: "Invalid token" });
    const f = await call("/api/v1/flows/", { identity });
    assert.equal(f.status, 401, f.text);
  };

  it("signed by another key under the published kid (forged)", async () => {
    await refused(token(alice, {}, otherKey));
  });
  it("expired", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(token(alice, { iat: now - 120, exp: now - 60 }));
  });
  it("expired by one second (no leeway on exp)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(token(alice, { iat: now - 60, exp: now - 1 }));
  });
  it("issued 5 s in the future (iat is checked with no leeway)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(token(alice, { iat: now + 5, exp: now + 65 }));
  });
  it("without exp", async () => {
    await refused(token(alice, { exp: undefined }));
  });
  it("for another audience", async () => {
    await refused(token(alice, { aud: "some-other-service" }));
  });
  it("from another issuer", async () => {
    await refused(token(alice, { iss: "someone-else" }));
  });
  it("without sub", async () => {
    await refused(token(alice, { sub: undefined }));
  });
  it("with a kid that is not in the JWKS (the refetch it asks for is rate-limited)", async () => {
    const fetches = jwks.fetches;
    const sinceFetch = Date.now() - jwks.lastFetchAt;
    await refused(token(alice, {}, nextKey));
    if (sinceFetch < 25_000) assert.equal(jwks.fetches, fetches, "no refetch within 30 s of the last fetch");
  });
  it("HS256 (not in EXTERNAL_AUTH_ALGORITHMS)", async () => {
    const parts = token(alice).split(".");
    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid: edgeKey.kid })).toString("base64url");
    await refused(`${header}.${parts[1]}.${parts[2]}`);
  });
  it("garbage", async () => {
    await refused("not-a-jwt");
  });
});

describe("what Langflow answers around the identity", () => {
  it("no identity at all: 403 No authentication credentials provided; /session says unauthenticated", async () => {
    const me = await call("/api/v1/users/whoami");
    assert.equal(me.status, 403);
    assert.deepEqual(me.json, { detail: "No authentication credentials provided" });
    const flows = await call("/api/v1/flows/");
    assert.equal(flows.status, 403);
    const session = await call("/api/v1/session");
    assert.equal(session.status, 200);
    assert.deepEqual(session.json, { authenticated: false, user: null, store_api_key: null });
  });

  it("a native Langflow cookie or Bearer token wins over the identity header (so the edge must strip them)", async () => {
    const form = new URLSearchParams({ username: lf.superuser.username, password: lf.superuser.password });
    const login = await fetch(`${lf.url}/api/v1/login`, { method: "POST", body: form });
    assert.equal(login.status, 200);
    const { access_token: native } = await login.json();
    const byCookie = await call("/api/v1/users/whoami", { identity: token(alice), headers: { cookie: `access_token_lf=${native}` } });
    assert.equal(byCookie.json.username, lf.superuser.username);
    const byBearer = await call("/api/v1/users/whoami", { identity: token(alice), headers: { authorization: `Bearer ${native}` } });
    assert.equal(byBearer.json.username, lf.superuser.username);
    // A broken native credential does not shadow a valid identity (the fallback path).
    const broken = await call("/api/v1/users/whoami", { identity: token(alice), headers: { cookie: "access_token_lf=garbage" } });
    assert.equal(broken.status, 200, broken.text);
    assert.equal(broken.json.id, alice.id);
  });

  it("a user deactivated at the origin is refused; one deleted there comes back as a new, empty user", async () => {
    const form = new URLSearchParams({ username: lf.superuser.username, password: lf.superuser.password });
    const { access_token: admin } = await (await fetch(`${lf.url}/api/v1/login`, { method: "POST", body: form })).json();
    const auth = { authorization: `Bearer ${admin}` };

    const bob = { sub: randomUUID(), username: "bob" };
    const bobId = (await call("/api/v1/users/whoami", { identity: token(bob) })).json.id;
    const off = await call(`/api/v1/users/${bobId}`, { method: "PATCH", headers: auth, body: { is_active: false } });
    assert.equal(off.status, 200, off.text);
    const inactive = await call("/api/v1/users/whoami", { identity: token(bob) });
    assert.equal(inactive.status, 401, inactive.text);
    assert.deepEqual(inactive.json, { detail: "User account is inactive" });

    const carol = { sub: randomUUID(), username: "carol" };
    const carolId = (await call("/api/v1/users/whoami", { identity: token(carol) })).json.id;
    // Deleting is an erase that finishes in the background: 202, then the user disappears.
    const del = await call(`/api/v1/users/${carolId}`, { method: "DELETE", headers: auth });
    assert.equal(del.status, 202, del.text);
    const t0 = Date.now();
    while ((await call(`/api/v1/users/${carolId}`, { headers: auth })).status !== 404) {
      assert.ok(Date.now() - t0 < 30_000, "the erase finishes within 30 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`# user erased ${Date.now() - t0} ms after DELETE`);
    // The sso_user_profile row went with the user, so the same sub is provisioned again from
    // scratch: deleting at the origin does not lock an identity out, only the edge can.
    const again = await call("/api/v1/users/whoami", { identity: token(carol) });
    assert.equal(again.status, 200, again.text);
    assert.notEqual(again.json.id, carolId);
    assert.equal(again.json.username, "carol");
  });
});

describe("running a flow (Chat Input -> Chat Output) with the identity", () => {
  let flow;
  const answerText = (json) => json.outputs[0].outputs[0].results.message.text;

  before(async () => {
    const created = await call("/api/v1/flows/", { identity: token(alice), method: "POST", body: chatEchoFlow("echo") });
    assert.equal(created.status, 201, created.text);
    flow = created.json;
    assert.equal(flow.user_id, alice.id, "origin objects carry the origin's user id, not the edge's");
  });

  it("/api/v1/run/session/{id} runs it; /api/v1/run/{id} refuses the identity", async () => {
    const run = await call(`/api/v1/run/session/${flow.id}`, { identity: token(alice), method: "POST", body: { input_value: "hello edge" } });
    assert.equal(run.status, 200, run.text);
    assert.equal(answerText(run.json), "hello edge");
    const byKeyRoute = await call(`/api/v1/run/${flow.id}`, { identity: token(alice), method: "POST", body: { input_value: "x" } });
    assert.equal(byKeyRoute.status, 403);
    assert.deepEqual(byKeyRoute.json, { detail: "An API key must be passed as query or header" });
  });

  it("streams as text/event-stream with JSON event lines (no `data:` framing)", async () => {
    const res = await call(`/api/v1/run/session/${flow.id}?stream=true`, { identity: token(alice), method: "POST", body: { input_value: "stream me" } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type"), /^text\/event-stream/);
    const events = res.text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l).event);
    assert.deepEqual(events, ["add_message", "add_message", "end"]);
  });

  it("a build's events are application/x-ndjson", async () => {
    const build = await call(`/api/v1/build/${flow.id}/flow`, { identity: token(alice), method: "POST", body: { inputs: { input_value: "built" } } });
    assert.equal(build.status, 200, build.text);
    const events = await call(`/api/v1/build/${build.json.job_id}/events`, { identity: token(alice) });
    assert.equal(events.status, 200, events.text);
    assert.equal(events.headers.get("content-type"), "application/x-ndjson");
    const names = events.text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l).event);
    assert.equal(names.at(-1), "end");
  });

  it("a Langflow API key minted with the identity runs /api/v1/run/{id} (option B of the notes)", async () => {
    const key = await call("/api/v1/api_key/", { identity: token(alice), method: "POST", body: { name: "edge-mirror" } });
    assert.equal(key.status, 200, key.text);
    assert.match(key.json.api_key, /^sk-/);
    const run = await call(`/api/v1/run/${flow.id}`, { headers: { "x-api-key": key.json.api_key }, method: "POST", body: { input_value: "via key" } });
    assert.equal(run.status, 200, run.text);
    assert.equal(answerText(run.json), "via key");
  });
});

describe("JWKS caching and key rotation", () => {
  it("a new kid is picked up only by a refetch, which is rate-limited to one per 30 s", async () => {
    jwks.setKeys([edgeKey.publicJwk, nextKey.publicJwk]);
    const fetches = jwks.fetches;
    if (Date.now() - jwks.lastFetchAt < 25_000) {
      // Inside the 30 s window Langflow keeps using its cached JWKS: the new key is refused.
      const early = await call("/api/v1/users/whoami", { identity: token(alice, {}, nextKey) });
      assert.equal(early.status, 401, early.text);
      assert.equal(jwks.fetches, fetches, "no refetch inside the 30 s window");
    }
    const wait = jwks.lastFetchAt + 31_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const later = await call("/api/v1/users/whoami", { identity: token(alice, {}, nextKey) });
    assert.equal(later.status, 200, later.text);
    assert.equal(later.json.id, alice.id);
    assert.equal(jwks.fetches, fetches + 1, "one refetch for the unknown kid");

    // The old key keeps working from the same (refreshed) cache.
    const old = await call("/api/v1/users/whoami", { identity: token(alice) });
    assert.equal(old.status, 200);
    assert.equal(jwks.fetches, fetches + 1);
  });
});
