// Gateway mode's transport, against a fake origin (a Node HTTP server on 127.0.0.1 that records
// what reached it): no Langflow here, so it is fast. The fake origin stands in only for what a
// real Langflow cannot be made to do on demand: answer late or never, space its server-sent
// events, hash an upload, set cookies, or be down. What Langflow itself does behind the edge is
// tests/gateway/gateway.test.mjs's.
//
// Two edges share the fake origin: `edge` (default timeout) and `slow` (timeout 2 s, its own
// database, used anonymously).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { startWorker, call, signInAdmin, makeUser, login } from "../http/harness.mjs";
import { startFakeOrigin } from "./origin-server.mjs";

const TIMEOUT_SECONDS = 2;
const SSE_GAP_MS = 1_500;

// The edge signs with a key given as a private JWK (the PEM form is gateway.test.mjs's).
const signing = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PRIVATE_JWK = JSON.stringify(signing.privateKey.export({ format: "jwk" }));

let origin;
let edge;
let slow;
let alice;
let aliceKey;
const sse = {}; // when the fake origin wrote each event
const lost = {}; // /api/v1/test/lost: how often each id was asked for

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The fake origin: a few paths with special behaviour, and an echo of the request otherwise. */
async function handle(req, res, entry) {
  const path = req.url.split("?")[0];
  if (path === "/api/v1/test/never") {
    // Accepts, reads the request, never answers; notes when the edge gives up on it.
    req.resume();
    req.socket.once("close", () => { entry.closedAt = Date.now(); });
    return;
  }
  if (path === "/api/v1/test/sse") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write("event: one\ndata: first\n\n");
    sse.oneWritten = Date.now();
    await sleep(SSE_GAP_MS);
    sse.twoWritten = Date.now();
    res.write("event: two\ndata: second\n\n");
    await sleep(SSE_GAP_MS);
    res.end("event: three\ndata: last\n\n");
    return;
  }
  if (path === "/api/v1/test/upload") {
    const hash = createHash("sha256");
    let bytes = 0;
    let firstByteAt = null;
    for await (const chunk of req) {
      firstByteAt ??= Date.now();
      bytes += chunk.length;
      hash.update(chunk);
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ bytes, sha256: hash.digest("hex"), firstByteAt }));
    return;
  }
  if (path === "/api/v1/test/lost" || path === "/assets/lost.js") {
    // The first request for each `?id=` loses its connection before any answer, as when the
    // origin closes a pooled keep-alive connection just as the edge reuses it (Langflow's
    // Gunicorn closes idle connections after 2 s); later ones are answered.
    const id = new URL(req.url, "http://x").searchParams.get("id");
    lost[id] = (lost[id] ?? 0) + 1;
    if (lost[id] === 1) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, attempt: lost[id] }));
    return;
  }
  if (path === "/api/v1/test/cookies") {
    res.writeHead(200, {
      "content-type": "application/json",
      "set-cookie": [
        "access_token_lf=origin-access; Path=/; HttpOnly",
        "refresh_token_lf=origin-refresh; Path=/; HttpOnly",
        "apikey_tkn_lflw=origin-key; Path=/",
        "theme=dark; Path=/",
      ],
    });
    res.end("{}");
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  res.writeHead(200, { "content-type": "application/json", "x-origin": "fake" });
  res.end(JSON.stringify({ method: req.method, url: req.url, body }));
}

before(async () => {
  origin = await startFakeOrigin(handle);
  const vars = { LANGFLOW_ORIGIN_URL: origin.url, LANGFLOW_GATEWAY_PRIVATE_KEY: PRIVATE_JWK };
  [edge, slow] = await Promise.all([
    startWorker({ vars }),
    startWorker({ vars: { ...vars, LANGFLOW_ORIGIN_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) } }),
  ]);
  const admin = await signInAdmin(edge.url);
  alice = await makeUser(edge.url, admin.token, "alice");
  const key = await call(edge.url, "/api/v1/api_key/", { method: "POST", json: { name: "origin-test" }, token: alice.token });
  assert.equal(key.status, 200, JSON.stringify(key.body));
  aliceKey = key.body.api_key;
});

after(async () => {
  await Promise.all([edge?.destroy(), slow?.destroy()]);
  await origin?.close();
});

/** The one request the origin received since `count` requests, checked to be the only one. */
function onlyRequestSince(count) {
  const seen = origin.requests.slice(count);
  assert.equal(seen.length, 1, `one request reached the origin: ${JSON.stringify(seen.map((r) => r.url))}`);
  return seen[0];
}

describe("what is forwarded, and what the edge keeps", () => {
  it("methods, paths and query strings pass through unchanged, with the body", async () => {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
      const n = origin.requests.length;
      const query = "?b=2&a=%C3%A9t%C3%A9&a=x%20y&empty=&flag";
      const body = method === "GET" ? undefined : `{"method":"${method}"}`;
      const r = await call(edge.url, `/api/v1/anything/here${query}`, {
        method, token: alice.token, body, headers: body ? { "content-type": "application/json" } : {},
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers.get("x-origin"), "fake", "the origin's own headers come back");
      assert.deepEqual(r.body, { method, url: `/api/v1/anything/here${query}`, body: body ?? "" });
      const seen = onlyRequestSince(n);
      assert.equal(seen.url, `/api/v1/anything/here${query}`);
    }
  });

  it("the routes that are the edge's only in standalone mode go to the origin", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/flows/"], ["POST", "/api/v1/flows/"], ["GET", "/api/v1/flows/0b4e2e0b-5b9a-4e47-9a59-1a2b3c4d5e6f"],
      ["GET", "/api/v1/variables/"], ["GET", "/"], ["GET", "/flows"], ["GET", "/flow/abc"], ["GET", "/health_check"],
      ["GET", "/assets/index.js"],
    ]) {
      const n = origin.requests.length;
      const r = await call(edge.url, path, { method, token: alice.token, json: method === "POST" ? { name: "x" } : undefined });
      assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(onlyRequestSince(n).url, path, `${method} ${path} reached the origin`);
    }
  });

  it("the edge's own routes are answered by the edge and never reach the origin", async () => {
    const n = origin.requests.length;
    const whoami = await call(edge.url, "/api/v1/users/whoami", { token: alice.token });
    assert.equal(whoami.status, 200);
    assert.equal(whoami.body.id, alice.id, "the edge's user");
    const session = await call(edge.url, "/api/v1/session", { token: alice.token });
    assert.equal(session.body.user.id, alice.id);
    const keys = await call(edge.url, "/api/v1/api_key/", { token: alice.token });
    assert.equal(keys.status, 200);
    const page = await call(edge.url, "/login");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    const admin = await call(edge.url, "/admin");
    assert.equal(admin.status, 303, "the edge's admin page sends a stranger to its login");
    const jwks = await call(edge.url, "/.well-known/jwks.json");
    assert.equal(jwks.status, 200);
    assert.equal(jwks.body.keys[0].kty, "RSA");
    const health = await call(edge.url, "/health");
    assert.equal(health.status, 200);
    assert.equal(origin.requests.length, n, "nothing reached the origin");
  });

  it("anonymous requests reach the origin with no identity", async () => {
    const n = origin.requests.length;
    const r = await call(edge.url, "/api/v1/config");
    assert.equal(r.status, 200);
    const seen = onlyRequestSince(n);
    assert.equal(seen.headers["x-langflow-identity"], undefined);
  });

  it("a bad token on an /api path gets the edge's 401 and goes nowhere; on a UI file the request goes on anonymously", async () => {
    const n = origin.requests.length;
    for (const headers of [{ authorization: "Bearer not-a-token" }, { cookie: "access_token_lf=not-a-token" }]) {
      const r = await call(edge.url, "/api/v1/flows/", { headers });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(typeof r.body.detail, "string");
    }
    const badKey = await call(edge.url, "/api/v1/flows/", { apiKey: "sk-not-a-key" });
    assert.equal(badKey.status, 403, JSON.stringify(badKey.body));
    assert.equal(origin.requests.length, n, "none of them reached the origin");
    // A stale cookie must not keep the web UI's files from loading.
    const asset = await call(edge.url, "/assets/app.js", { cookie: "access_token_lf=not-a-token" });
    assert.equal(asset.status, 200);
    const seen = onlyRequestSince(n);
    assert.equal(seen.headers["x-langflow-identity"], undefined);
    assert.equal(seen.headers.cookie, undefined);
  });

  it("the client's credentials never reach the origin; the edge's signed identity does", async () => {
    const n = origin.requests.length;
    const r = await call(edge.url, "/api/v1/projects/?x=1", {
      token: alice.token,
      headers: {
        "x-api-key": aliceKey,
        "x-langflow-identity": "forged.by.client",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        cookie: `access_token_lf=${alice.token}; theme=dark; refresh_token_lf=${alice.refresh}; apikey_tkn_lflw=${aliceKey}; access_token_lf_sub=x; auto_login_lf=login`,
        "x-langflow-global-var-openai_api_key": "kept",
        accept: "application/json",
      },
    });
    assert.equal(r.status, 200);
    const seen = onlyRequestSince(n);
    for (const name of ["authorization", "x-api-key", "proxy-authorization"]) {
      assert.equal(seen.headers[name], undefined, `${name} is not forwarded`);
    }
    assert.equal(seen.headers.cookie, "theme=dark; auto_login_lf=login", "only the cookies that are not credentials");
    assert.equal(seen.headers["x-langflow-global-var-openai_api_key"], "kept", "Langflow's request variables pass");
    assert.equal(seen.headers.accept, "application/json");
    assert.equal(seen.headers["accept-encoding"], undefined, "asked uncompressed, so streams pass as produced");
    assert.equal(seen.headers["x-forwarded-host"], new URL(edge.url).host);

    const identity = seen.headers["x-langflow-identity"];
    assert.notEqual(identity, "forged.by.client");
    const [head, body, signature] = identity.split(".");
    const header = JSON.parse(Buffer.from(head, "base64url"));
    const claims = JSON.parse(Buffer.from(body, "base64url"));
    const jwks = (await call(edge.url, "/.well-known/jwks.json")).body;
    assert.equal(header.alg, "RS256");
    assert.ok(jwks.keys.some((k) => k.kid === header.kid), "the kid is published in the JWKS");
    assert.equal(
      header.kid,
      createHash("sha256").update(JSON.stringify({ e: jwks.keys[0].e, kty: "RSA", n: jwks.keys[0].n })).digest("base64url"),
      "the kid is the key's RFC 7638 thumbprint",
    );
    assert.ok(verify("RSA-SHA256", Buffer.from(`${head}.${body}`), signing.publicKey, Buffer.from(signature, "base64url")),
      "signed with LANGFLOW_GATEWAY_PRIVATE_KEY");
    assert.equal(claims.iss, "langflow-edge");
    assert.equal(claims.aud, "langflow");
    assert.equal(claims.sub, alice.id, "sub is the edge's user id");
    assert.equal(claims.preferred_username, "alice");
    const now = Math.floor(Date.now() / 1000);
    assert.ok(claims.exp - claims.iat <= 90, `short-lived: ${claims.exp - claims.iat} s`);
    assert.ok(claims.exp > now && claims.exp <= now + 61, `exp within a minute: ${claims.exp - now} s from now`);
    assert.ok(claims.iat <= now, "iat is not in the future (Langflow allows no skew)");
    assert.match(claims.jti, /^[0-9a-f]{32}$/);

    // A user's token is reused while it has half its life left (one signature per user per
    // 30 s); the user is still checked on every request (see the logout tests).
    const again = await call(edge.url, "/api/v1/projects/", { token: alice.token });
    assert.equal(again.status, 200);
    const next = origin.requests.at(-1).headers["x-langflow-identity"];
    assert.equal(next, identity, "the same token, reused within its first 30 s");
  });

  it("an API key in the query is used by the edge and removed from the forwarded query", async () => {
    const n = origin.requests.length;
    const r = await call(edge.url, `/api/v1/files/list?first=1&x-api-key=${aliceKey}&last=a%20b`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const seen = onlyRequestSince(n);
    assert.equal(seen.url.split("?")[0], "/api/v1/files/list");
    const params = new URLSearchParams(seen.url.split("?")[1]);
    assert.deepEqual([...params], [["first", "1"], ["last", "a b"]]);
    assert.equal(JSON.parse(Buffer.from(seen.headers["x-langflow-identity"].split(".")[1], "base64url")).sub, alice.id);
  });

  it("POST /api/v1/run/{flow} becomes /api/v1/run/session/{flow} for API-key callers only", async () => {
    const flow = "3f1c2b9e-8d7a-4c6b-9e5f-0a1b2c3d4e5f";
    const cases = [
      [{ apiKey: aliceKey }, "POST", `/api/v1/run/${flow}?stream=true`, `/api/v1/run/session/${flow}?stream=true`],
      [{}, "POST", `/api/v1/run/${flow}?stream=false&x-api-key=${aliceKey}`, `/api/v1/run/session/${flow}?stream=false`],
      [{ apiKey: aliceKey }, "POST", "/api/v1/run/my-endpoint", "/api/v1/run/session/my-endpoint"],
      [{ token: alice.token }, "POST", `/api/v1/run/${flow}`, `/api/v1/run/${flow}`],
      [{}, "POST", `/api/v1/run/${flow}`, `/api/v1/run/${flow}`],
      [{ apiKey: aliceKey }, "GET", `/api/v1/run/${flow}`, `/api/v1/run/${flow}`],
      [{ apiKey: aliceKey }, "POST", `/api/v1/run/advanced/${flow}`, `/api/v1/run/advanced/${flow}`],
    ];
    for (const [auth, method, path, expected] of cases) {
      const n = origin.requests.length;
      const r = await call(edge.url, path, { ...auth, method, json: method === "POST" ? { input_value: "hi" } : undefined });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const seen = onlyRequestSince(n);
      assert.equal(seen.url, expected, `${JSON.stringify(auth)} ${method} ${path}`);
      if (method === "POST") assert.equal(JSON.parse(r.body.body).input_value, "hi", "the body goes along");
    }
  });

  it("the origin's Langflow credential cookies are not passed back; other cookies are", async () => {
    const r = await call(edge.url, "/api/v1/test/cookies", { token: alice.token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.cookies, ["theme=dark; Path=/"]);
  });
});

describe("streams", () => {
  it("server-sent events arrive as the origin writes them, also past the timeout", async () => {
    const started = Date.now();
    const res = await fetch(`${slow.url}/api/v1/test/sse`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/event-stream/);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const seenAt = {};
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (const name of ["one", "two", "three"]) if (text.includes(`event: ${name}\n`)) seenAt[name] ??= Date.now();
    }
    assert.equal(text, "event: one\ndata: first\n\nevent: two\ndata: second\n\nevent: three\ndata: last\n\n");
    assert.ok(seenAt.one < sse.twoWritten,
      `event one reached the client ${seenAt.one - sse.oneWritten} ms after it was written, before event two was (${sse.twoWritten - sse.oneWritten} ms)`);
    assert.ok(seenAt.two < seenAt.three);
    assert.ok(Date.now() - started > TIMEOUT_SECONDS * 1000, "the stream outlived the timeout, which covers only its start");
  });

  it("a 20 MB upload reaches the origin intact", async () => {
    const payload = randomBytes(20 * 1024 * 1024);
    const r = await call(edge.url, "/api/v1/test/upload", {
      method: "POST", token: alice.token, body: payload, headers: { "content-type": "application/octet-stream" },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.bytes, payload.length);
    assert.equal(r.body.sha256, createHash("sha256").update(payload).digest("hex"));
  });

  it("an upload streams: the origin has its first bytes before the client has sent the rest", async () => {
    const first = randomBytes(4 * 1024 * 1024);
    const second = randomBytes(4 * 1024 * 1024);
    let secondSentAt = null;
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(first);
        await sleep(2_000);
        secondSentAt = Date.now();
        controller.enqueue(second);
        controller.close();
      },
    });
    const res = await fetch(`${edge.url}/api/v1/test/upload`, {
      method: "POST", body, duplex: "half",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/octet-stream" },
    });
    const answer = await res.json();
    assert.equal(res.status, 200);
    assert.equal(answer.bytes, first.length + second.length);
    assert.equal(answer.sha256, createHash("sha256").update(first).update(second).digest("hex"));
    assert.ok(answer.firstByteAt < secondSentAt,
      `the origin got its first bytes ${secondSentAt - answer.firstByteAt} ms before the client sent the second half`);
  });
});

describe("when the origin fails", () => {
  it("a lost connection: a GET is sent once more (a new connection), a POST is not (it may have run)", async () => {
    const get = await call(edge.url, "/api/v1/test/lost?id=get", { token: alice.token });
    assert.equal(get.status, 200, JSON.stringify(get.body));
    assert.deepEqual(get.body, { id: "get", attempt: 2 });
    const anonymous = await call(edge.url, "/assets/lost.js?id=asset");
    assert.equal(anonymous.status, 200, JSON.stringify(anonymous.body));
    assert.equal(lost.asset, 2);
    const post = await call(edge.url, "/api/v1/test/lost?id=post", { method: "POST", token: alice.token, json: { run: 1 } });
    assert.equal(post.status, 502, JSON.stringify(post.body));
    assert.equal(lost.post, 1, "the POST reached the origin once and was not repeated");
  });


  it(`an origin that never answers: 504 after LANGFLOW_ORIGIN_TIMEOUT_SECONDS (${TIMEOUT_SECONDS} s), and the edge lets go of it`, async () => {
    const n = origin.requests.length;
    const started = Date.now();
    const r = await call(slow.url, "/api/v1/test/never");
    const elapsed = Date.now() - started;
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.match(r.body.detail, /did not answer within 2 seconds/);
    assert.match(r.body.detail, /LANGFLOW_ORIGIN_TIMEOUT_SECONDS/);
    assert.ok(elapsed >= TIMEOUT_SECONDS * 1000 - 100 && elapsed < TIMEOUT_SECONDS * 1000 + 3_000, `504 after ${elapsed} ms`);
    const seen = onlyRequestSince(n);
    const closed = await (async () => {
      for (let i = 0; i < 50 && !seen.closedAt; i += 1) await sleep(100);
      return seen.closedAt;
    })();
    assert.ok(closed, "the edge closed its connection to the silent origin");
    // The edge is not stuck: the next request is answered at once.
    const t = Date.now();
    const next = await call(slow.url, "/api/v1/anything");
    assert.equal(next.status, 200);
    assert.ok(Date.now() - t < 2_000);
  });

  it("an origin that is down: 502 with a detail that names LANGFLOW_ORIGIN_URL, at once", async () => {
    await origin.close();
    for (const [path, auth] of [["/api/v1/flows/", { token: alice.token }], ["/", {}], [`/api/v1/run/x`, { apiKey: aliceKey, method: "POST", json: {} }]]) {
      const started = Date.now();
      const r = await call(edge.url, path, auth);
      assert.equal(r.status, 502, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.detail, "The Langflow server behind this gateway could not be reached (LANGFLOW_ORIGIN_URL).");
      assert.ok(Date.now() - started < 5_000);
    }
    // The edge's own routes do not need the origin.
    const again = await login(edge.url, alice.username, alice.password);
    assert.equal(again.status, 200);
    assert.equal((await call(edge.url, "/api/v1/users/whoami", { token: again.access })).status, 200);
  });
});
