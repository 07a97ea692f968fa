// Identity JWTs as the edge sends them to Langflow (RS256, `kid` in the header), for tests that
// sign their own, good and bad, and send them to a real Langflow with LANGFLOW_EXTERNAL_AUTH_*.
import { generateKeyPairSync, createHash, createSign, randomUUID } from "node:crypto";

const b64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/**
 * A fresh RSA-2048 key pair with the kid the edge gives a key: its RFC 7638 thumbprint.
 * `publicJwk` is the key as the edge publishes it (kty, n, e, kid, alg RS256, use sig).
 */
export function makeKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: "jwk" });
  const kid = createHash("sha256").update(JSON.stringify({ e, kty: "RSA", n })).digest("base64url");
  return { kid, privateKey, publicKey, publicJwk: { kty: "RSA", n, e, kid, alg: "RS256", use: "sig" } };
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
