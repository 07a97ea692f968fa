// Identity JWTs as the edge will send them to Langflow (RS256, `kid` in the header) and a tiny
// JWKS server on 127.0.0.1, for tests that talk to a real Langflow with LANGFLOW_EXTERNAL_AUTH_*.
import { generateKeyPairSync, createSign, randomUUID } from "node:crypto";
import { createServer } from "node:http";

const b64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A fresh RSA-2048 key pair; `publicJwk` carries kid, alg RS256 and use sig. */
export function makeKeyPair(kid) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: "RS256", use: "sig" } };
}

/**
 * A compact JWS. `header` extends {alg: RS256, typ: JWT, kid}; pass `kid: undefined` in it to leave
 * the kid out.
 */
export function signJwt(privateKey, kid, claims, header = {}) {
  const head = { alg: "RS256", typ: "JWT", kid, ...header };
  if (head.kid === undefined) delete head.kid;
  const input = `${b64url(head)}.${b64url(claims)}`;
  const signature = createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url");
  return `${input}.${signature}`;
}

/** Claims as the edge will send them; `overrides` replace or (with undefined) remove claims. */
export function identityClaims({ sub, username, issuer = "langflow-edge", audience = "langflow", ttl = 60 }, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, aud: audience, sub, preferred_username: username, iat: now, exp: now + ttl, jti: randomUUID(), ...overrides };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return claims;
}

/**
 * Serves {"keys": [...]} at /.well-known/jwks.json on 127.0.0.1 (free port). `setKeys` swaps the
 * published keys; `fetches` counts GETs of the JWKS and `lastFetchAt` times the last one (to observe Langflow's
 * caching).
 */
export async function startJwksServer(keys) {
  let published = keys;
  const state = { fetches: 0, lastFetchAt: 0 };
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/.well-known/jwks.json") {
      state.fetches += 1;
      state.lastFetchAt = Date.now();
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify({ keys: published }));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"detail":"Not Found"}');
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() { return state.fetches; },
    /** Date.now() of the last JWKS GET (0 before the first). */
    get lastFetchAt() { return state.lastFetchAt; },
    setKeys(next) { published = next; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
