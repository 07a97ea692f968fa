// The Langflow web UI through the edge, in headless Chromium (issue 10, item 5 a): a person signs
// in on the edge's /login page; Langflow's UI, served from a real Langflow 1.13.0 through the
// edge, lists their flows (and not another user's), saves a profile change at the edge, opens a
// flow in the editor with its nodes on the canvas, runs it in the Playground (its answer streams
// back through the edge), and signs out, which ends the edge's session. A deep link opened while signed out goes through the UI's
// own login form, which the edge answers too.
//
//   browser -> edge (wrangler dev) -> recording proxy -> Langflow (UI + external auth)
//
// Every response the browser got from the edge is kept; the last test fails on any error
// status except the 403 Langflow's UI expects from /api/v1/auto_login, and on any page error.
// Screenshots: test-artifacts/screenshots/gateway-ui-*.png.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startWorker, call, signInAdmin, makeUser } from "../http/harness.mjs";
import { launchChromium, SHOTS } from "../browser/chromium.mjs";
import { startLangflow, freePort } from "./langflow.mjs";
import { chatEchoFlow } from "./flows.mjs";
import { startRecordingProxy } from "./origin-server.mjs";

// The UI's bundle is 10 MB; through wrangler dev on a loaded machine its first load takes a while.
const UI_TIMEOUT = 90_000;

let lf;
let edge;
let proxy;
let browser;
let alice;
let bob;
let aliceFlow;
const responses = []; // every answer the browser got from the edge: { method, path, status, contentType }
const pageErrors = [];

before(async () => {
  const started = Date.now();
  const [lfPort, edgePort] = [await freePort(), await freePort()];
  proxy = await startRecordingProxy(`http://127.0.0.1:${lfPort}`);
  [edge, lf, browser] = await Promise.all([
    startWorker({ port: edgePort, vars: { LANGFLOW_ORIGIN_URL: proxy.url } }),
    startLangflow({
      port: lfPort,
      env: {
        LANGFLOW_EXTERNAL_AUTH_ENABLED: "True",
        LANGFLOW_EXTERNAL_AUTH_JWKS_URL: `http://127.0.0.1:${edgePort}/.well-known/jwks.json`,
        LANGFLOW_EXTERNAL_AUTH_ISSUER: "langflow-edge",
        LANGFLOW_EXTERNAL_AUTH_AUDIENCE: "langflow",
        LANGFLOW_EXTERNAL_AUTH_TOKEN_HEADER: "X-Langflow-Identity",
        LANGFLOW_EXTERNAL_AUTH_ALGORITHMS: "RS256",
      },
    }),
    launchChromium(),
  ]);
  console.log(`# edge, Langflow and Chromium ready in ${Date.now() - started} ms (Langflow ${lf.startupMs} ms)`);
  const admin = await signInAdmin(edge.url);
  alice = await makeUser(edge.url, admin.token, "alice");
  bob = await makeUser(edge.url, admin.token, "bob");
  // Flows made through the edge's API live at the origin.
  const created = await call(edge.url, "/api/v1/flows/", { method: "POST", token: alice.token, json: chatEchoFlow("Echo through the edge") });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  aliceFlow = created.body;
  const bobs = await call(edge.url, "/api/v1/flows/", { method: "POST", token: bob.token, json: chatEchoFlow("Bob's private flow") });
  assert.equal(bobs.status, 201);
});

after(async () => {
  await browser?.close();
  await Promise.all([lf?.stop(), edge?.destroy()]);
  await proxy?.close();
});

/** A fresh browser profile whose answers from the edge are recorded. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("response", (res) => {
    const url = new URL(res.url());
    if (url.origin !== edge.url) return; // Google Fonts, GitHub, Discord: not reachable here, not ours
    responses.push({ method: res.request().method(), path: url.pathname + url.search, status: res.status(), contentType: res.headers()["content-type"] ?? "" });
  });
  return page;
}

/** A screenshot once the UI's lazily loaded icons are in (or after 5 s: the editor keeps polling). */
async function shot(page, name) {
  await page.waitForLoadState("networkidle", { timeout: 5_000 }).catch(() => {});
  await page.screenshot({ path: join(SHOTS, `gateway-ui-${name}.png`) });
}
const flowCard = (page, name) => page.getByRole("button", { name: new RegExp(name) }).first();

describe("the Langflow UI through the edge", () => {
  let page;
  let accessToken;
  before(async () => { page = await newPage(); });

  it("a person signs in on the edge's /login page and Langflow's UI lists their flows, not another user's", async () => {
    await page.goto(`${edge.url}/login`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.getByLabel("Username", { exact: true }).fill(alice.username);
    await page.getByLabel("Password", { exact: true }).fill(alice.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${edge.url}/flows`);
    await flowCard(page, "Echo through the edge").waitFor();
    assert.equal(await page.locator("#root").count(), 1, "Langflow's single-page app, served from the origin");
    assert.equal(await page.getByText("Bob's private flow").count(), 0);
    await shot(page, "01-flows");
    accessToken = (await page.context().cookies()).find((c) => c.name === "access_token_lf")?.value;
    assert.ok(accessToken, "the edge's session cookie");
  });

  it("the UI's profile changes go to the edge, by the edge's user id (why /session and whoami keep edge ids)", async () => {
    // Closing "Get started" saves an opt-in: PATCH /api/v1/users/{userData.id}, a route the
    // edge keeps. With an origin user id there it would miss.
    const n = proxy.requests.length;
    const saved = page.waitForResponse((res) => res.request().method() === "PATCH" && new URL(res.url()).pathname.startsWith("/api/v1/users/"));
    await page.getByTestId("close_get_started_dialog").click();
    const answer = await saved;
    assert.equal(new URL(answer.url()).pathname, `/api/v1/users/${alice.id}`);
    assert.equal(answer.status(), 200);
    const me = await call(edge.url, "/api/v1/users/whoami", { token: alice.token });
    assert.equal(me.body.optins.dialog_dismissed, true);
    assert.equal(proxy.requests.slice(n).filter((r) => r.url.startsWith("/api/v1/users")).length, 0, "not sent to Langflow");
  });

  it("opens the flow in the editor: Chat Input and Chat Output on the canvas", async () => {
    await flowCard(page, "Echo through the edge").click();
    await page.waitForURL(new RegExp(`/flow/${aliceFlow.id}`));
    const nodes = page.locator(".react-flow__node");
    await nodes.first().waitFor();
    assert.equal(await nodes.count(), 2);
    await page.getByTestId("title-Chat Input").waitFor();
    await page.getByTestId("title-Chat Output").waitFor();
    assert.equal(await page.locator(".react-flow__edge").count(), 1, "the two are connected");
    await shot(page, "02-editor");
  });

  it("runs it in the Playground: Langflow's event stream comes back through the edge", async () => {
    await page.getByTestId("playground-btn-flow-io").click();
    const message = "hello from the browser";
    await page.getByTestId("input-chat-playground").fill(message);
    const run = page.waitForResponse((res) => new URL(res.url()).pathname === "/api/v2/workflows" && res.request().method() === "POST");
    await page.getByTestId("button-send").click();
    const answer = await run;
    assert.equal(answer.status(), 200);
    assert.match(answer.headers()["content-type"], /^text\/event-stream/);
    await page.getByTestId(`chat-message-AI-${message}`).waitFor();
    await shot(page, "03-playground");
    await page.getByTestId("playground-close-button").click();
  });

  it("signing out in Langflow's UI ends the edge session: the old token reaches nothing", async () => {
    await page.getByTestId("user_menu_button").click();
    const out = page.waitForResponse((res) => new URL(res.url()).pathname === "/api/v1/logout");
    await page.getByText(/^log ?out$/i).first().click();
    assert.equal((await out).status(), 200);
    await page.waitForURL(/\/login/);
    assert.equal((await page.context().cookies()).some((c) => c.name === "access_token_lf"), false);
    const n = proxy.requests.length;
    const stale = await call(edge.url, "/api/v1/flows/", { cookie: `access_token_lf=${accessToken}` });
    assert.equal(stale.status, 401);
    // (The signed-out page keeps making its own anonymous requests meanwhile.)
    const fromTest = proxy.requests.slice(n).filter((r) => !r.headers["user-agent"]?.includes("Chrome"));
    assert.deepEqual(fromTest.map((r) => r.url), [], "not forwarded");
    await page.reload();
    await page.getByRole("heading", { name: "Log in" }).waitFor(); // a full load of /login is the edge's page
    await shot(page, "04-signed-out");
  });

  it("a deep link opened signed out goes through the UI's own login form (answered by the edge) to the flow", async () => {
    const fresh = await newPage();
    await fresh.goto(`${edge.url}/flow/${aliceFlow.id}`);
    await fresh.getByPlaceholder(/username/i).fill(alice.username);
    await fresh.getByPlaceholder(/password/i).fill(alice.password);
    const login = fresh.waitForResponse((res) => new URL(res.url()).pathname === "/api/v1/login");
    await fresh.getByRole("button", { name: /sign in/i }).click();
    assert.equal((await login).status(), 200);
    await fresh.locator(".react-flow__node").first().waitFor();
    assert.match(fresh.url(), new RegExp(`/flow/${aliceFlow.id}`));
    await shot(fresh, "05-deep-link");
    await fresh.context().close();
  });
});

describe("what the browser and Langflow saw", () => {
  it("no error answers (but the UI's expected auto_login 403) and no page errors", () => {
    const errors = responses.filter((r) => r.status >= 400 && !(r.path === "/api/v1/auto_login" && r.status === 403));
    assert.deepEqual(errors, []);
    assert.deepEqual(pageErrors, []);
    assert.ok(responses.filter((r) => r.path.startsWith("/assets/")).length >= 3, "the UI's files came through the edge");
  });

  it("Langflow got alice's identity and never the browser's cookies", () => {
    const fromBrowser = proxy.requests.filter((r) => r.headers["user-agent"]?.includes("Chrome"));
    assert.ok(fromBrowser.length > 30, `${fromBrowser.length} browser requests reached Langflow`);
    for (const r of fromBrowser) {
      assert.doesNotMatch(r.headers.cookie ?? "", /(access_token_lf|refresh_token_lf|apikey_tkn_lflw)/, r.url);
      assert.equal(r.headers.authorization, undefined, r.url);
      const token = r.headers["x-langflow-identity"];
      if (token) assert.equal(JSON.parse(Buffer.from(token.split(".")[1], "base64url")).sub, alice.id, r.url);
    }
    assert.ok(fromBrowser.filter((r) => r.headers["x-langflow-identity"]).length > 20);
  });
});
