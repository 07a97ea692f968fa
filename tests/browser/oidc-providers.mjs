// OpenID providers on loopback for the single sign-on tests.
//
// realProvider(): the certified `oidc-provider` package (a devDependency), with its development
// login and consent screens: any login name signs in, and its claims come from `accounts`.
//
// hostileProvider(): a small provider of our own that misbehaves on purpose. It implements the
// same discovery, authorization, token and JWKS endpoints (and checks the client secret and the
// PKCE verifier as a real one does), but the ID token it returns is shaped by `mode`: wrong nonce,
// expired, signed by a key it does not publish, `alg: none`, wrong issuer or audience, or claims
// outside the allowed domain or groups. Its "ok" modes (RS256 and ES256) show that the refusals
// come from the token, not from the test set-up.
import http from "node:http";
import { createHash, createSign, generateKeyPairSync, randomBytes } from "node:crypto";
import Provider from "oidc-provider";

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function close(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * The real provider. `clients` are registered once the workers' redirect URIs are known
 * (`register`); the server listens first so the workers can be started with its issuer URL.
 */
export async function realProvider(accounts) {
  // `capture.on`: the provider's next redirect to a worker's callback is kept in `capture.url`
  // and the browser is sent to a page of ours instead, with its flow cookie unused (a test then
  // replays or alters the callback). The provider's own answer is otherwise untouched.
  const capture = { on: false, url: null };
  const server = http.createServer((req, res) => {
    if (req.url === "/captured") { res.writeHead(200, { "content-type": "text/plain" }); res.end("captured"); return; }
    if (!handler) { res.writeHead(503); res.end(); return; }
    if (capture.on) {
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => {
        if (capture.on && name.toLowerCase() === "location" && String(value).includes("/login/oidc/callback")) {
          capture.on = false;
          capture.url = String(value);
          return setHeader(name, `${issuer}/captured`);
        }
        return setHeader(name, value);
      };
    }
    handler(req, res);
  });
  const issuer = await listen(server);
  let handler = null;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    issuer,
    capture,
    register(clients) {
      const provider = new Provider(issuer, {
        clients: clients.map(({ clientId, secret, redirectUri }) => ({
          client_id: clientId,
          client_secret: secret,
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: "client_secret_post",
        })),
        jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "real-rsa", use: "sig", alg: "RS256" }] },
        pkce: { required: () => true },
        // Claims in the ID token, as Google, Entra ID, Okta and Keycloak send them (the edge
        // reads the ID token only, not the userinfo endpoint).
        conformIdTokenClaims: false,
        claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "name"] },
        findAccount: async (_ctx, id) => ({
          accountId: id,
          async claims() {
            return { sub: id, preferred_username: id, email: `${id}@example.com`, email_verified: true, ...(accounts[id] ?? {}) };
          },
        }),
      });
      provider.on("server_error", (_ctx, err) => console.error("oidc-provider:", err));
      handler = provider.callback();
    },
    stop: () => close(server),
  };
}

const b64url = (data) => Buffer.from(data).toString("base64url");

function sign(header, claims, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  if (header.alg === "none") return `${input}.`;
  const signer = createSign("SHA256").update(input);
  const signature = header.alg === "ES256"
    ? signer.sign({ key, dsaEncoding: "ieee-p1363" })
    : signer.sign(key);
  return `${input}.${b64url(signature)}`;
}

function readBody(req) {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => resolve(new URLSearchParams(body)));
  });
}

/** The misbehaving provider; set `.mode` before each sign-in. */
export async function hostileProvider({ clientId, secret }) {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const rogue = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const publicJwk = (key, kid, alg) => {
    const { d: _private, ...jwk } = key.export({ format: "jwk" });
    return { ...jwk, kid, alg, use: "sig" };
  };
  const jwks = { keys: [publicJwk(rsa, "good-rsa", "RS256"), publicJwk(ec, "good-ec", "ES256")] };
  const grants = new Map();
  const state = { mode: "ok", tokenRequests: 0, secretSeen: false };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const json = (status, body) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(body)); };
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256", "ES256"],
      });
    }
    if (url.pathname === "/jwks") return json(200, jwks);
    if (url.pathname === "/auth") {
      const q = url.searchParams;
      if (q.get("client_id") !== clientId || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
        res.writeHead(400); res.end("bad authorization request"); return;
      }
      const code = randomBytes(16).toString("hex");
      grants.set(code, { nonce: q.get("nonce"), challenge: q.get("code_challenge"), redirectUri: q.get("redirect_uri") });
      const back = new URL(q.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state"));
      res.writeHead(302, { location: back.href }); res.end(); return;
    }
    if (url.pathname === "/token" && req.method === "POST") {
      state.tokenRequests += 1;
      const form = await readBody(req);
      const grant = grants.get(form.get("code"));
      grants.delete(form.get("code"));
      const verifier = form.get("code_verifier") ?? "";
      if (form.get("client_id") !== clientId || form.get("client_secret") !== secret) return json(401, { error: "invalid_client" });
      state.secretSeen = true;
      if (!grant || grant.redirectUri !== form.get("redirect_uri")
        || createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        return json(400, { error: "invalid_grant" });
      }
      return json(200, { access_token: "opaque", token_type: "Bearer", id_token: idToken(state.mode, grant.nonce) });
    }
    res.writeHead(404); res.end();
  });
  const issuer = await listen(server);

  function idToken(mode, nonce) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer, aud: clientId, sub: "hostile-alice", nonce, iat: now, exp: now + 300,
      preferred_username: "halice", email: "alice@example.com", email_verified: true, groups: ["staff"],
    };
    let header = { alg: "RS256", kid: "good-rsa" };
    let key = rsa;
    switch (mode) {
      case "ok": break;
      case "admin": claims.groups = ["staff", "admins"]; break;
      case "es256": header = { alg: "ES256", kid: "good-ec" }; key = ec; claims.sub = "hostile-erin"; claims.preferred_username = "herin"; break;
      case "nonce": claims.nonce = "not-the-browsers-nonce"; break;
      case "expired": claims.iat = now - 7200; claims.exp = now - 3600; break;
      case "unknown-key": header = { alg: "RS256", kid: "rogue" }; key = rogue; break;
      case "spoofed-kid": key = rogue; break;
      case "alg-none": header = { alg: "none" }; key = null; break;
      case "wrong-issuer": claims.iss = "http://127.0.0.1:1/someone-else"; break;
      case "wrong-audience": claims.aud = "another-client"; break;
      case "domain": claims.email = "alice@other.example.org"; break;
      case "group": claims.groups = ["visitors"]; break;
      // Claims set by the test (`state.claims`), signed by the good key.
      case "custom": Object.assign(claims, state.claims); break;
      default: throw new Error(`unknown mode ${mode}`);
    }
    return sign(header, claims, key);
  }

  return { issuer, state, stop: () => close(server) };
}
