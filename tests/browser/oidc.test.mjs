// Single sign-on (OpenID Connect) end to end, in headless Chromium, against providers started on
// loopback by this file (tests/browser/oidc-providers.mjs):
//   - the certified `oidc-provider` package for the real sign-ins: first-time provisioning of an
//     active and of an inactive user, a second sign-in, the session working with the API, the
//     admin page's "Signs in with" column and Unlink, refusals of a wrong or missing `state` and
//     of a replayed code;
//   - a provider that misbehaves on purpose for the ID token refusals: nonce mismatch, expired,
//     signed by a key not in the JWKS, `alg: none`, wrong issuer, wrong audience, a domain or a
//     group not allowed; and group-based superuser rights re-decided at each sign-in.
// Every refusal shows a page saying why, and writes nothing: no user, identity or session row.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, login, signInAdmin, makeUser, ADMIN, queryD1Batch } from "../http/harness.mjs";
import { launchChromium, shot, path } from "./chromium.mjs";
import { realProvider, hostileProvider } from "./oidc-providers.mjs";
import { startFakeOrigin } from "../gateway/origin-server.mjs";

const SECRET = "oidc-client-secret-never-shown";
const HOSTILE_SECRET = "hostile-client-secret-never-shown";

let browser;
let real;
let hostile;
let active; // worker: LANGFLOW_NEW_USER_IS_ACTIVE=True, the real provider
let inactive; // worker: new users wait for approval, the real provider
let guarded; // worker: the hostile provider, allowed domain and groups, superuser group
const seenUrls = [];

before(async () => {
  real = await realProvider({ carol: { name: "Carol" } });
  hostile = await hostileProvider({ clientId: "edge-guarded", secret: HOSTILE_SECRET });
  const sso = (issuer, clientId, secret, extra) => ({
    LANGFLOW_OIDC_ISSUER: issuer, LANGFLOW_OIDC_CLIENT_ID: clientId, LANGFLOW_OIDC_CLIENT_SECRET: secret, ...extra,
  });
  [active, inactive, guarded] = await Promise.all([
    startWorker({ vars: sso(real.issuer, "edge-active", SECRET, { LANGFLOW_NEW_USER_IS_ACTIVE: "True", LANGFLOW_OIDC_DISPLAY_NAME: "Test IdP" }) }),
    startWorker({ vars: sso(real.issuer, "edge-inactive", SECRET, { LANGFLOW_NEW_USER_IS_ACTIVE: "False", LANGFLOW_OIDC_DISPLAY_NAME: "Test IdP" }) }),
    startWorker({
      vars: sso(hostile.issuer, "edge-guarded", HOSTILE_SECRET, {
        LANGFLOW_NEW_USER_IS_ACTIVE: "True", LANGFLOW_OIDC_DISPLAY_NAME: "Hostile IdP",
        LANGFLOW_OIDC_ALLOWED_DOMAINS: "example.com", LANGFLOW_OIDC_ALLOWED_GROUPS: "staff", LANGFLOW_OIDC_SUPERUSER_GROUPS: "admins",
        LANGFLOW_PASSWORD_LOGIN: "False",
      }),
    }),
  ]);
  // The first request makes the bootstrap superuser: before any row is counted.
  await Promise.all([active, inactive, guarded].map((worker) => call(worker.url, "/login")));
  real.register([
    { clientId: "edge-active", secret: SECRET, redirectUri: `${active.url}/login/oidc/callback` },
    { clientId: "edge-inactive", secret: SECRET, redirectUri: `${inactive.url}/login/oidc/callback` },
  ]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all([active?.destroy(), inactive?.destroy(), guarded?.destroy()]);
  await Promise.all([real?.stop(), hostile?.stop()]);
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (request) => seenUrls.push(request.url()));
  return page;
}

/** Rows that a sign-in writes, per table. */
function rowCounts(worker) {
  const [users, identities, sessions] = queryD1Batch(worker, [
    ['SELECT count(*) AS n FROM "user"', []],
    ["SELECT count(*) AS n FROM oidc_identity", []],
    ["SELECT count(*) AS n FROM session", []],
  ]);
  return { users: users[0].n, identities: identities[0].n, sessions: sessions[0].n };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check, what) {
  for (let i = 0; i < 150; i += 1) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * From the worker's /login, "Sign in with ...", through the real provider's login and consent
 * screens (each only when it asks), back to the worker. `stopAtCallback`: the callback URL is
 * captured and not loaded (the browser keeps its flow cookie); it is returned.
 */
async function signInWithRealProvider(page, worker, login, { stopAtCallback = false } = {}) {
  Object.assign(real.capture, { on: stopAtCallback, url: null });
  await page.goto(`${worker.url}/login`);
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.waitForURL((url) => url.href.startsWith(real.issuer));
  const loginField = page.locator('input[name="login"]');
  const consent = page.getByRole("button", { name: "Continue" });
  const visible = (locator) => locator.isVisible().catch(() => false);
  let screen = null;
  const look = async () => {
    const url = new URL(page.url());
    if (url.href === `${real.issuer}/captured` || url.href.startsWith(worker.url)) screen = "back";
    else if (await visible(loginField)) screen = "login";
    else if (await visible(consent)) screen = "consent";
    else screen = null;
    return screen;
  };
  await until(async () => (await look()) !== null, "the provider's screen");
  if (screen === "login") {
    await loginField.fill(login);
    await page.locator('input[name="password"]').fill("any password");
    await page.locator('button[type="submit"]').click();
    await until(async () => ["consent", "back"].includes(await look()), "the consent screen");
  }
  if (screen === "consent") {
    await consent.click();
    await until(async () => (await look()) === "back", "the way back");
  }
  if (stopAtCallback) {
    assert.ok(real.capture.url, `the provider sent the browser to the callback (at ${page.url()})`);
    return real.capture.url;
  }
  await page.waitForLoadState();
  return null;
}

async function refusalText(page) {
  await page.getByRole("heading").first().waitFor();
  return (await page.locator("main, body").first().innerText()).replace(/\s+/g, " ");
}

describe("sign-in with the real provider", () => {
  it("the login page offers the button next to the password form", async () => {
    const page = await newPage();
    await page.goto(`${active.url}/login`);
    await page.getByRole("link", { name: "Sign in with Test IdP" }).waitFor();
    await page.getByLabel("Username", { exact: true }).waitFor();
    await shot(page, "oidc-01-login");
    await page.context().close();
  });

  it("a first sign-in provisions an active user and starts a normal session", async () => {
    const before = rowCounts(active);
    const page = await newPage();
    await signInWithRealProvider(page, active, "carol");
    assert.equal(path(page), "/flows");
    await page.getByRole("heading", { name: "Flows" }).waitFor();
    await page.locator("details.menu > summary", { hasText: "carol" }).waitFor();
    await shot(page, "oidc-02-signed-in");
    const after = rowCounts(active);
    assert.deepEqual(after, { users: before.users + 1, identities: before.identities + 1, sessions: before.sessions + 1 });
    const [[user], [identity]] = queryD1Batch(active, [
      ['SELECT username, is_active, is_superuser, password, last_login_at FROM "user" WHERE username = ?', ["carol"]],
      ["SELECT issuer, subject, email FROM oidc_identity", []],
    ]);
    assert.equal(user.is_active, 1);
    assert.equal(user.is_superuser, 0);
    assert.ok(user.last_login_at);
    assert.deepEqual(identity, { issuer: real.issuer, subject: "carol", email: "carol@example.com" });

    // The session is Langflow's: its access cookie works with the API, and it makes API keys.
    const cookies = await page.context().cookies(active.url);
    const access = cookies.find((c) => c.name === "access_token_lf").value;
    const whoami = await call(active.url, "/api/v1/users/whoami", { token: access });
    assert.equal(whoami.status, 200);
    assert.equal(whoami.body.username, "carol");
    const key = await call(active.url, "/api/v1/api_key", { method: "POST", token: access, json: { name: "sso key" } });
    assert.equal(key.status, 200);
    const byKey = await call(active.url, "/api/v1/users/whoami", { apiKey: key.body.api_key });
    assert.equal(byKey.body.username, "carol");

    // No usable password: a password sign-in fails exactly like a wrong one.
    const wrong = await login(active.url, "nobody-at-all", "any password");
    assert.equal(wrong.status, 401);
    for (const password of ["any password", "!sso-only"]) {
      const refused = await login(active.url, "carol", password);
      assert.equal(refused.status, wrong.status);
      assert.deepEqual(refused.body, wrong.body);
    }
    await page.context().close();
  });

  it("a second sign-in finds the same account", async () => {
    const before = rowCounts(active);
    const page = await newPage();
    await signInWithRealProvider(page, active, "carol");
    assert.equal(path(page), "/flows");
    const after = rowCounts(active);
    assert.deepEqual(after, { users: before.users, identities: before.identities, sessions: before.sessions + 1 });
    await page.context().close();
  });

  it("a username taken by a password account is not linked: the new account gets another name", async () => {
    const { token } = await signInAdmin(active.url);
    const made = await call(active.url, "/api/v1/users/", { method: "POST", token, json: { username: "frank", password: "frank-password-1" } });
    assert.equal(made.status, 201);
    const page = await newPage();
    await signInWithRealProvider(page, active, "frank");
    assert.equal(path(page), "/flows");
    await page.locator("details.menu > summary", { hasText: "frank-2" }).waitFor();
    await page.context().close();
  });

  it("a first sign-in with new users inactive provisions the user and shows the approval message", async () => {
    const before = rowCounts(inactive);
    const page = await newPage();
    await signInWithRealProvider(page, inactive, "dave");
    const text = await refusalText(page);
    assert.match(text, /waiting for approval by an administrator/);
    await shot(page, "oidc-03-waiting-for-approval");
    const after = rowCounts(inactive);
    assert.deepEqual(after, { users: before.users + 1, identities: before.identities + 1, sessions: before.sessions });
    const [[dave]] = queryD1Batch(inactive, [['SELECT is_active FROM "user" WHERE username = ?', ["dave"]]]);
    assert.equal(dave.is_active, 0);
    const cookies = await page.context().cookies(inactive.url);
    assert.equal(cookies.find((c) => c.name === "access_token_lf"), undefined);
    await page.context().close();
  });

  it("refuses a wrong or a missing state, writing nothing", async () => {
    for (const tamper of [
      (url) => url.searchParams.set("state", "not-this-browsers-state"),
      (url) => url.searchParams.delete("state"),
    ]) {
      const page = await newPage();
      const callback = new URL(await signInWithRealProvider(page, active, "erin", { stopAtCallback: true }));
      tamper(callback);
      const before = rowCounts(active);
      const response = await page.goto(callback.href);
      assert.equal(response.status(), 400);
      assert.match(await refusalText(page), /Sign-in refused.*state check failed/);
      assert.deepEqual(rowCounts(active), before);
      await page.context().close();
    }
    // A callback reached without the browser's flow cookie at all (another browser).
    const page = await newPage();
    const callback = await signInWithRealProvider(page, active, "erin", { stopAtCallback: true });
    await page.context().clearCookies();
    const before = rowCounts(active);
    const response = await page.goto(callback);
    assert.equal(response.status(), 400);
    assert.match(await refusalText(page), /not started in this browser/);
    await shot(page, "oidc-04-state-refused");
    assert.deepEqual(rowCounts(active), before);
    await page.context().close();
  });

  it("refuses a replayed code, writing nothing", async () => {
    const page = await newPage();
    const callback = await signInWithRealProvider(page, active, "carol", { stopAtCallback: true });
    const flowCookie = (await page.context().cookies(`${active.url}/login/oidc`)).find((c) => c.name === "lf_oidc_flow");
    assert.ok(flowCookie, "the flow cookie is set for /login/oidc");
    assert.equal(flowCookie.httpOnly, true);
    await page.goto(callback);
    assert.equal(path(page), "/flows");
    // The same code again, with the same flow cookie put back.
    await page.context().addCookies([flowCookie]);
    const before = rowCounts(active);
    const response = await page.goto(callback);
    assert.equal(response.status(), 400);
    assert.match(await refusalText(page), /refused the sign-in code: it was used already/);
    assert.deepEqual(rowCounts(active), before);
    await page.context().close();
  });

  it("the admin page shows how each user signs in and unlinks an identity", async () => {
    const page = await newPage();
    await page.goto(`${active.url}/login`);
    await page.getByLabel("Username", { exact: true }).fill(ADMIN.username);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.goto(`${active.url}/admin`);
    const row = (name) => page.getByRole("row").filter({ has: page.getByRole("cell", { name: new RegExp(`^${name}( \\(you\\))?$`) }) });
    assert.match(await row("carol").innerText(), /Single sign-on/);
    assert.doesNotMatch(await row("carol").innerText(), /password/i);
    assert.match(await row(ADMIN.username).innerText(), /Password/);
    await shot(page, "oidc-05-admin");
    await row("carol").getByRole("link", { name: /Edit/ }).click();
    await page.getByRole("heading", { name: "Single sign-on" }).waitFor();
    assert.match(await page.locator("main, body").first().innerText(), /carol@example\.com/);
    await page.getByRole("button", { name: "Unlink" }).click();
    await page.waitForURL(/\/admin\?done=unlinked/);
    assert.match(await row("carol").innerText(), /Nothing/);
    const [[left]] = queryD1Batch(active, [["SELECT count(*) AS n FROM oidc_identity i JOIN \"user\" u ON u.id = i.user_id WHERE u.username = 'carol'", []]]);
    assert.equal(left.n, 0);
    await page.context().close();
  });
});

describe("ID tokens refused from a provider that misbehaves", () => {
  async function signInAtHostile(mode) {
    hostile.state.mode = mode;
    const page = await newPage();
    await page.goto(`${guarded.url}/login`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("/login/oidc/callback")),
      page.getByRole("link", { name: "Sign in with Hostile IdP" }).click(),
    ]);
    await page.waitForLoadState();
    return { page, status: response.status() };
  }

  it("signs in with a good RS256 token and a good ES256 token (the set-up works)", async () => {
    for (const [mode, username] of [["ok", "halice"], ["es256", "herin"]]) {
      const before = rowCounts(guarded);
      const { page } = await signInAtHostile(mode);
      assert.equal(path(page), "/flows", mode);
      await page.locator("details.menu > summary", { hasText: username }).waitFor();
      assert.deepEqual(rowCounts(guarded), { users: before.users + 1, identities: before.identities + 1, sessions: before.sessions + 1 });
      await page.context().close();
    }
  });

  for (const [mode, status, words] of [
    ["nonce", 401, /does not belong to this sign-in \(nonce\)/],
    ["expired", 401, /has expired/],
    ["unknown-key", 401, /signed by a key the provider does not publish/],
    ["spoofed-kid", 401, /signature does not verify/],
    ["alg-none", 401, /signature algorithm that is not accepted/],
    ["wrong-issuer", 401, /comes from another issuer/],
    ["wrong-audience", 401, /issued for another application/],
    ["domain", 403, /email domain is not allowed/],
    ["group", 403, /not in a group allowed/],
  ]) {
    it(`refuses ${mode}, with a page saying why, writing nothing`, async () => {
      const before = rowCounts(guarded);
      const { page, status: answered } = await signInAtHostile(mode);
      assert.equal(answered, status);
      const text = await refusalText(page);
      assert.match(text, /Sign-in refused/);
      assert.match(text, words);
      assert.match(text, /Nothing was changed/);
      if (mode === "nonce") await shot(page, "oidc-06-token-refused");
      assert.deepEqual(rowCounts(guarded), before);
      const cookies = await page.context().cookies(guarded.url);
      assert.equal(cookies.find((c) => c.name === "access_token_lf"), undefined);
      await page.context().close();
    });
  }

  it("re-decides superuser rights from the groups at each sign-in", async () => {
    const superuser = () => queryD1Batch(guarded, [['SELECT is_superuser FROM "user" WHERE username = ?', ["halice"]]])[0][0].is_superuser;
    let { page } = await signInAtHostile("admin");
    assert.equal(superuser(), 1);
    await page.goto(`${guarded.url}/admin`);
    assert.equal(path(page), "/admin");
    await page.context().close();
    ({ page } = await signInAtHostile("ok"));
    assert.equal(superuser(), 0);
    await page.goto(`${guarded.url}/admin`);
    assert.equal(path(page), "/flows");
    await page.context().close();
  });
});

describe("LANGFLOW_OIDC_LINK_BY_EMAIL=True", () => {
  let linking;
  before(async () => {
    linking = await startWorker({
      vars: {
        LANGFLOW_OIDC_ISSUER: hostile.issuer, LANGFLOW_OIDC_CLIENT_ID: "edge-guarded", LANGFLOW_OIDC_CLIENT_SECRET: HOSTILE_SECRET,
        LANGFLOW_OIDC_DISPLAY_NAME: "Hostile IdP", LANGFLOW_NEW_USER_IS_ACTIVE: "True", LANGFLOW_OIDC_LINK_BY_EMAIL: "True",
      },
    });
  });
  after(async () => { await linking?.destroy(); });

  /** Signs in at the provider with `claims`; the username the session belongs to. */
  async function signInAs(claims) {
    Object.assign(hostile.state, { mode: "custom", claims });
    const page = await newPage();
    await page.goto(`${linking.url}/login`);
    await page.getByRole("link", { name: "Sign in with Hostile IdP" }).click();
    await page.waitForURL((url) => url.pathname === "/flows");
    const cookies = await page.context().cookies(linking.url);
    const token = cookies.find((c) => c.name === "access_token_lf").value;
    await page.context().close();
    return (await call(linking.url, "/api/v1/users/whoami", { token })).body;
  }

  it("links a verified email to the plain account of that name, and to nothing else", async () => {
    const admin = await signInAdmin(linking.url);
    const linda = await makeUser(linking.url, admin.token, "linda@example.com");
    const root = await makeUser(linking.url, admin.token, "root@example.com");
    await call(linking.url, `/api/v1/users/${root.id}`, { method: "PATCH", json: { is_superuser: true }, token: admin.token });
    const owner = (sub) => queryD1Batch(linking, [["SELECT user_id FROM oidc_identity WHERE subject = ?", [sub]]])[0][0]?.user_id;

    // An email the provider does not vouch for neither links nor names the new account.
    const unverified = await signInAs({ sub: "sub-unverified", email: "linda@example.com", email_verified: false, preferred_username: undefined });
    assert.notEqual(unverified.id, linda.id);
    assert.notEqual(unverified.username, "linda@example.com");

    // Verified: the first sign-in is linked to the existing account.
    const linked = await signInAs({ sub: "sub-linda", email: "linda@example.com", email_verified: true, preferred_username: undefined });
    assert.equal(linked.id, linda.id);
    assert.equal(owner("sub-linda"), linda.id);

    // The same email under another subject (an address given to someone else) is not linked again.
    const successor = await signInAs({ sub: "sub-linda-2", email: "linda@example.com", email_verified: true, preferred_username: undefined });
    assert.notEqual(successor.id, linda.id);

    // A superuser is never linked by email.
    const superuser = await signInAs({ sub: "sub-root", email: "root@example.com", email_verified: true, preferred_username: undefined });
    assert.notEqual(superuser.id, root.id);
    assert.equal(superuser.is_superuser, false);
  });
});

describe("LANGFLOW_PASSWORD_LOGIN=False", () => {
  it("hides the password form and keeps it only for the bootstrap superuser", async () => {
    const page = await newPage();
    await page.goto(`${guarded.url}/login`);
    await page.getByRole("link", { name: "Sign in with Hostile IdP" }).waitFor();
    assert.equal(await page.getByLabel("Username", { exact: true }).count(), 0);
    await page.getByRole("link", { name: "Administrator: log in with a password" }).click();
    await page.getByLabel("Username", { exact: true }).fill(ADMIN.username);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/flows$/);
    await page.context().close();

    // Another account with a real password is refused as if the password were wrong.
    const { token } = await signInAdmin(guarded.url);
    const made = await call(guarded.url, "/api/v1/users/", { method: "POST", token, json: { username: "grace", password: "grace-password-1" } });
    assert.equal(made.status, 201);
    const wrong = await login(guarded.url, "grace", "not-her-password");
    const right = await login(guarded.url, "grace", "grace-password-1");
    assert.equal(right.status, 401);
    assert.deepEqual(right.body, wrong.body);
  });
});

describe("gateway mode", () => {
  it("a single sign-on session is forwarded to Langflow with the user's identity", async () => {
    const origin = await startFakeOrigin((_req, res) => { res.writeHead(200, { "content-type": "text/plain" }); res.end("the origin"); });
    const worker = await startWorker({
      vars: {
        LANGFLOW_ORIGIN_URL: origin.url, LANGFLOW_NEW_USER_IS_ACTIVE: "True", LANGFLOW_OIDC_ISSUER: hostile.issuer,
        LANGFLOW_OIDC_CLIENT_ID: "edge-guarded", LANGFLOW_OIDC_CLIENT_SECRET: HOSTILE_SECRET, LANGFLOW_OIDC_DISPLAY_NAME: "Hostile IdP",
      },
    });
    try {
      hostile.state.mode = "ok";
      const page = await newPage();
      await page.goto(`${worker.url}/login`);
      await page.getByRole("link", { name: "Sign in with Hostile IdP" }).click();
      await page.getByText("the origin").waitFor();
      const forwarded = origin.to("/flows").at(-1);
      assert.ok(forwarded, "the page after signing in came from the origin");
      const identity = forwarded.headers["x-langflow-identity"];
      assert.ok(identity, "with the identity header");
      const claims = JSON.parse(Buffer.from(identity.split(".")[1], "base64url").toString());
      assert.equal(claims.preferred_username, "halice");
      await page.context().close();
    } finally {
      await worker.destroy();
      await origin.close();
    }
  });
});

describe("configuration", () => {
  it("an http:// issuer off loopback is a 500 naming LANGFLOW_OIDC_ISSUER, never the secret", async () => {
    const worker = await startWorker({
      vars: { LANGFLOW_OIDC_ISSUER: "http://idp.example.com", LANGFLOW_OIDC_CLIENT_ID: "x", LANGFLOW_OIDC_CLIENT_SECRET: SECRET },
    });
    try {
      const res = await call(worker.url, "/api/v1/users/whoami");
      assert.equal(res.status, 500);
      assert.match(res.body.detail, /LANGFLOW_OIDC_ISSUER/);
      assert.match(res.body.detail, /127\.0\.0\.1 or localhost/);
      assert.ok(!res.body.detail.includes(SECRET));
    } finally {
      await worker.destroy();
    }
  });
});

describe("secrets", () => {
  it("the client secret never reached the browser or a log", () => {
    assert.ok(hostile.state.secretSeen, "the token endpoint did receive the secret");
    for (const url of seenUrls) {
      assert.ok(!url.includes(SECRET) && !url.includes(HOSTILE_SECRET), url);
    }
    for (const worker of [active, inactive, guarded]) {
      assert.ok(!worker.logs().includes(SECRET) && !worker.logs().includes(HOSTILE_SECRET));
    }
  });
});
