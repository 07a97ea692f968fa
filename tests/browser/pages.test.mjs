// The pages in a real browser (headless Chromium driven by playwright-core), walked by their
// visible labels as the documentation describes them:
//   1. log in at /login with the superuser credentials;
//   2. open the admin page at /admin, also from the profile menu's "Admin Page" entry;
//   3. "New User": Username, Password, Confirm Password, Active ticked, Superuser not, Save:
//      the user appears in the list;
//   4. log out, log in as the new user: /admin now lands on /flows.
// Then: inactive accounts, Superuser toggling, password reset, deletion, login errors, flows,
// API keys, page safety, and auto-login. Screenshots go to test-artifacts/screenshots/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, ADMIN } from "../http/harness.mjs";
import { launchChromium, shot, path, logIn } from "./chromium.mjs";


const ALICE = { username: "alice", password: "alice-password-1" };
const BOB = { username: "bob", password: "bob-password-1" };

let browser;
let worker;
let base;

before(async () => {
  // Limits on, with a low per-account threshold so "too many attempts" is quick to reach.
  worker = await startWorker({
    vars: { LANGFLOW_RATE_LIMIT_ENABLED: "True", LANGFLOW_RATE_LIMIT_PER_MINUTE: "100", LANGFLOW_ACCOUNT_LOCKOUT_THRESHOLD: "3" },
  });
  base = worker.url;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await worker?.destroy();
});

/** A fresh browser profile (its own cookies) with a page that fails the test on any dialog. */
async function newPage({ viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("dialog", (dialog) => {
    dialog.dismiss();
    throw new Error(`unexpected dialog: ${dialog.message()}`);
  });
  return page;
}

async function openProfileMenu(page, username) {
  await page.locator("details.menu > summary", { hasText: username }).click();
}

async function logOut(page, username) {
  await openProfileMenu(page, username);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login/);
}

/** The error shown under a field: its text, checked to be tied to the field for screen readers. */
async function fieldError(page, label) {
  const input = page.getByLabel(label, { exact: true });
  const id = await input.getAttribute("id");
  const error = page.locator(`#${id}-error`);
  assert.equal(await input.getAttribute("aria-invalid"), "true", `${label} is marked invalid`);
  assert.match(await input.getAttribute("aria-describedby"), new RegExp(`\\b${id}-error\\b`), `${label} is described by its error`);
  return (await error.innerText()).trim();
}

/** Fills and saves the New User form. */
async function fillNewUser(page, { username, password, confirm = password, active = true, superuser = false }) {
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm Password", { exact: true }).fill(confirm);
  await page.getByLabel("Active", { exact: true }).setChecked(active);
  await page.getByLabel("Superuser", { exact: true }).setChecked(superuser);
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForLoadState();
}

function userRow(page, username) {
  return page.getByRole("row").filter({ has: page.getByRole("cell", { name: username, exact: true }) });
}

describe("the documented steps", () => {
  let page;
  before(async () => { page = await newPage(); });

  it("1. logs in at /login with the superuser credentials", async () => {
    await page.goto(`${base}/login`);
    await assert.doesNotReject(page.getByRole("heading", { name: "Log in" }).waitFor());
    await shot(page, "01-login");
    await logIn(page, ADMIN);
    assert.equal(path(page), "/flows");
    await page.getByRole("heading", { name: "Flows" }).waitFor();
    await shot(page, "02-flows-empty");
  });

  it("2. opens the admin page at /admin and from the profile menu's Admin Page entry", async () => {
    await page.goto(`${base}/admin`);
    await page.getByRole("heading", { name: "Admin Page" }).waitFor();
    await page.goto(`${base}/flows`);
    await openProfileMenu(page, ADMIN.username);
    await shot(page, "03-profile-menu");
    await page.getByRole("link", { name: "Admin Page" }).click();
    await page.waitForURL(/\/admin$/);
    await page.getByRole("heading", { name: "Admin Page" }).waitFor();
    await shot(page, "04-admin");
  });

  it("3. New User: Username, Password, Confirm Password, Active, Save; the user appears in the list", async () => {
    await page.getByRole("link", { name: "New User" }).click();
    await page.getByRole("heading", { name: "New User" }).waitFor();
    await page.getByLabel("Username", { exact: true }).fill(ALICE.username);
    await page.getByLabel("Password", { exact: true }).fill(ALICE.password);
    await page.getByLabel("Confirm Password", { exact: true }).fill(ALICE.password);
    await page.getByLabel("Active", { exact: true }).check();
    assert.equal(await page.getByLabel("Superuser", { exact: true }).isChecked(), false, "Superuser starts unticked");
    await shot(page, "05-new-user-form");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/admin\?done=created$/);
    const row = userRow(page, ALICE.username);
    await row.waitFor();
    assert.deepEqual(
      [await row.getByRole("cell").nth(1).innerText(), await row.getByRole("cell").nth(2).innerText()],
      ["Yes", "No"],
      "alice is active and not a superuser",
    );
    await shot(page, "06-admin-user-created");
  });

  it("4. logs out, logs in as the new user; /admin now lands on /flows", async () => {
    await logOut(page, ADMIN.username);
    await logIn(page, ALICE);
    assert.equal(path(page), "/flows");
    await openProfileMenu(page, ALICE.username);
    assert.equal(await page.getByRole("link", { name: "Admin Page" }).count(), 0, "no Admin Page entry for a normal user");
    await page.goto(`${base}/admin`);
    assert.equal(path(page), "/flows");
    await shot(page, "07-new-user-flows");
  });
});

describe("administration", () => {
  let admin; // a browser profile logged in as the superuser
  let alice; // one logged in as alice
  before(async () => {
    admin = await newPage();
    await admin.goto(`${base}/login`);
    await logIn(admin, ADMIN);
    alice = await newPage();
    await alice.goto(`${base}/login`);
    await logIn(alice, ALICE);
    assert.equal(path(alice), "/flows");
  });

  it("shows each New User mistake next to its field, in words", async () => {
    await admin.goto(`${base}/admin/users/new`);
    await fillNewUser(admin, { username: "carol", password: "carol-password-1", confirm: "carol-password-2" });
    assert.equal(await fieldError(admin, "Confirm Password"), "Passwords do not match.");
    await shot(admin, "08-new-user-passwords-differ");
    await fillNewUser(admin, { username: ALICE.username, password: "another-password" });
    assert.equal(await fieldError(admin, "Username"), "This username is taken.");
    await fillNewUser(admin, { username: "carol", password: "short" });
    assert.equal(await fieldError(admin, "Password"), "Password must be at least 8 characters long.");
    assert.equal(await admin.getByLabel("Username", { exact: true }).inputValue(), "carol", "the form keeps what was typed");
  });

  it("refuses an inactive user's login with a message, only after the right password", async () => {
    await admin.goto(`${base}/admin/users/new`);
    await fillNewUser(admin, { ...BOB, active: false });
    assert.equal(path(admin), "/admin?done=created");
    const page = await newPage();
    await page.goto(`${base}/login`);
    await logIn(page, { username: BOB.username, password: "not-his-password" });
    assert.equal(await fieldError(page, "Password"), "Incorrect username or password.");
    await logIn(page, BOB);
    assert.equal(path(page), "/login");
    assert.equal(await fieldError(page, "Username"), "This account is waiting for approval by an administrator.");
    await shot(page, "09-login-inactive");
    await page.context().close();
  });

  it("lets a superuser tick Superuser for the new user, who can then open /admin", async () => {
    await admin.goto(`${base}/admin`);
    await admin.getByRole("link", { name: `Edit ${ALICE.username}` }).click();
    await admin.getByRole("heading", { name: ALICE.username }).waitFor();
    await admin.getByLabel("Superuser", { exact: true }).check();
    await shot(admin, "10-edit-user");
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.waitForURL(/\/admin\?done=updated$/);
    assert.equal(await userRow(admin, ALICE.username).getByRole("cell").nth(2).innerText(), "Yes");
    await alice.goto(`${base}/admin`);
    assert.equal(path(alice), "/admin");
    await alice.getByRole("heading", { name: "Admin Page" }).waitFor();
    await openProfileMenu(alice, ALICE.username);
    await alice.getByRole("link", { name: "Admin Page" }).waitFor();
  });

  it("keeps a visitor signed in when the access cookie has expired, with the refresh cookie", async () => {
    await alice.context().clearCookies({ name: "access_token_lf" });
    await alice.goto(`${base}/flows`);
    assert.equal(path(alice), "/flows");
    const cookies = await alice.context().cookies();
    assert.ok(cookies.some((c) => c.name === "access_token_lf"), "a new access cookie was set");
  });

  it("applies a password reset by the admin to the next login", async () => {
    const newPassword = "alice-new-password-2";
    await admin.goto(`${base}/admin`);
    await admin.getByRole("link", { name: `Edit ${ALICE.username}` }).click();
    await admin.getByLabel("Password", { exact: true }).fill(newPassword);
    await admin.getByLabel("Confirm Password", { exact: true }).fill(newPassword);
    await admin.getByRole("button", { name: "Reset password" }).click();
    await admin.waitForURL(/\/admin\?done=password$/);
    // The reset ended alice's sessions: she is asked to log in, and comes back afterwards.
    await alice.goto(`${base}/settings/api-keys`);
    assert.equal(path(alice), "/login?next=%2Fsettings%2Fapi-keys");
    await logIn(alice, ALICE);
    assert.equal(await fieldError(alice, "Password"), "Incorrect username or password.");
    await logIn(alice, { ...ALICE, password: newPassword });
    assert.equal(path(alice), "/settings/api-keys");
    ALICE.password = newPassword;
  });

  it("deletes an account after a confirmation; the deleted user cannot log in", async () => {
    await admin.goto(`${base}/admin`);
    await admin.getByRole("link", { name: `Delete ${ALICE.username}` }).click();
    await admin.getByRole("heading", { name: `Delete ${ALICE.username}?` }).waitFor();
    await shot(admin, "11-delete-user-confirm");
    await admin.getByRole("button", { name: "Delete" }).click();
    await admin.waitForURL(/\/admin\?done=deleted$/);
    assert.equal(await userRow(admin, ALICE.username).count(), 0);
    await alice.goto(`${base}/flows`);
    assert.match(path(alice), /^\/login/);
    await logIn(alice, ALICE);
    assert.equal(await fieldError(alice, "Password"), "Incorrect username or password.");
  });

  it("says when there were too many attempts", async () => {
    const page = await newPage();
    await page.goto(`${base}/login`);
    for (let i = 0; i < 3; i++) {
      await logIn(page, { username: "mallory", password: `guess-${i}` });
      assert.equal(await fieldError(page, "Password"), "Incorrect username or password.");
    }
    await logIn(page, { username: "mallory", password: "guess-3" });
    assert.match(await fieldError(page, "Password"), /^Too many attempts\. Try again in \d+ seconds?\.$/);
    await shot(page, "12-login-too-many-attempts");
    await page.context().close();
  });

  it("shows names as text, never as markup", async () => {
    const name = `<img src=x onerror="alert(1)">`;
    await admin.goto(`${base}/admin/users/new`);
    await fillNewUser(admin, { username: name, password: "markup-password-1" });
    assert.equal(path(admin), "/admin?done=created");
    await userRow(admin, name).waitFor();
    assert.equal(await admin.locator("img").count(), 0);
  });

  it("works on a phone-sized screen", async () => {
    const phone = await newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${base}/login`);
    await shot(phone, "13-phone-login");
    await logIn(phone, ADMIN);
    await phone.goto(`${base}/admin`);
    // Rows are stacked cards here, each cell labelled by its column.
    await phone.getByRole("cell", { name: `Username ${BOB.username}`, exact: true }).waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling (page is ${width}px wide)`);
    await shot(phone, "14-phone-admin");
    await phone.context().close();
  });
});

describe("flows and API keys", () => {
  let page;
  before(async () => {
    page = await newPage();
    await page.goto(`${base}/login`);
    await logIn(page, ADMIN);
  });

  it("creates, renames, shows the JSON of, and deletes a flow", async () => {
    await page.goto(`${base}/flows`);
    await page.getByLabel("Name", { exact: true }).fill("Support bot");
    await page.getByLabel("Description", { exact: true }).fill("Answers questions");
    await page.getByRole("button", { name: "Create flow" }).click();
    await page.getByRole("heading", { name: "Support bot", level: 1 }).waitFor();
    const json = JSON.parse(await page.locator("pre.json").innerText());
    assert.equal(json.name, "Support bot");
    assert.equal(json.description, "Answers questions");
    // It lands in the creator's default project, as a flow created in Langflow does.
    const session = await call(base, "/api/v1/login", { method: "POST", form: ADMIN });
    const projects = await call(base, "/api/v1/projects/", { token: session.body.access_token });
    assert.equal(projects.body[0].name, "Starter Project");
    assert.equal(json.folder_id, projects.body[0].id);
    await shot(page, "15-flow");
    await page.getByLabel("Name", { exact: true }).fill("Helpdesk bot");
    await page.getByRole("button", { name: "Rename" }).click();
    await page.getByRole("heading", { name: "Helpdesk bot", level: 1 }).waitFor();
    await page.goto(`${base}/flows`);
    await page.getByRole("link", { name: "Helpdesk bot", exact: true }).waitFor();
    await shot(page, "16-flows");
    await page.getByRole("link", { name: "Delete Helpdesk bot" }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.waitForURL(/\/flows\?done=deleted$/);
    assert.equal(await page.getByRole("link", { name: "Helpdesk bot", exact: true }).count(), 0);
  });

  it("creates an API key shown once, lists it masked, and deletes it", async () => {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await page.goto(`${base}/flows`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API Keys" }).click();
    await page.getByRole("heading", { name: "API Keys" }).waitFor();
    await page.getByLabel("Key name", { exact: true }).fill("CI");
    await page.getByRole("button", { name: "Create API key" }).click();
    const key = await page.getByLabel("New API key", { exact: true }).inputValue();
    assert.match(key, /^sk-[A-Za-z0-9_-]{43}$/);
    assert.ok(!page.url().includes(key), "the key is not in the address");
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied to the clipboard.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await shot(page, "17-api-key-created");
    const whoami = await call(base, "/api/v1/users/whoami", { apiKey: key });
    assert.equal(whoami.status, 200);
    assert.equal(whoami.body.username, ADMIN.username);
    await page.goto(`${base}/settings/api-keys`);
    assert.ok(!(await page.content()).includes(key), "the key is shown only once");
    await page.getByText(`${key.slice(0, 8)}${"*".repeat(key.length - 8)}`).waitFor();
    await shot(page, "18-api-keys");
    await page.getByRole("link", { name: "Delete CI" }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.waitForURL(/done=deleted$/);
    assert.equal((await call(base, "/api/v1/users/whoami", { apiKey: key })).status, 403);
  });

  it("can be used with the keyboard alone", async () => {
    const keyboard = await newPage();
    await keyboard.goto(`${base}/login?next=/settings/api-keys`);
    // The username field has focus on arrival; Tab moves to the password; Enter submits.
    await keyboard.keyboard.type(ADMIN.username);
    await keyboard.keyboard.press("Tab");
    await keyboard.keyboard.type(ADMIN.password);
    await keyboard.keyboard.press("Enter");
    await keyboard.waitForURL(/\/settings\/api-keys$/);
    await keyboard.context().close();
  });
});

describe("page safety", () => {
  it("sends the security headers on every page", async () => {
    for (const target of ["/login", "/admin", "/nowhere"]) {
      const res = await call(base, target);
      const csp = res.headers.get("content-security-policy");
      assert.match(csp, /default-src 'none'/, target);
      assert.match(csp, /frame-ancestors 'none'/, target);
      assert.match(csp, /script-src 'self'/, target);
      assert.doesNotMatch(csp, /unsafe-inline/, target);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", target);
      assert.equal(res.headers.get("referrer-policy"), "same-origin", target);
      assert.equal(res.headers.get("x-frame-options"), "DENY", target);
    }
    assert.equal((await call(base, "/nowhere")).status, 404);
  });

  it("refuses forms sent from another site or without the session's token", async () => {
    const loginFromElsewhere = await call(base, "/login", {
      method: "POST", form: ADMIN, headers: { origin: "https://evil.example" },
    });
    assert.equal(loginFromElsewhere.status, 403);
    const login = await call(base, "/login", { method: "POST", form: ADMIN });
    assert.equal(login.status, 303);
    const cookie = login.cookies.map((c) => c.split(";")[0]).join("; ");
    const noToken = await call(base, "/flows", { method: "POST", form: { name: "x" }, cookie });
    assert.equal(noToken.status, 403);
    assert.match(noToken.body, /Form expired/);
    const crossSite = await call(base, "/flows", {
      method: "POST", form: { name: "x" }, cookie, headers: { "sec-fetch-site": "cross-site" },
    });
    assert.equal(crossSite.status, 403);
  });

  it("returns to same-site paths only after login", async () => {
    const page = await newPage();
    await page.goto(`${base}/login?next=${encodeURIComponent("//evil.example/x")}`);
    await logIn(page, ADMIN);
    assert.equal(path(page), "/flows");
    await page.context().close();
  });
});

describe("auto-login", () => {
  let auto;
  before(async () => {
    auto = await startWorker({ vars: { LANGFLOW_AUTO_LOGIN: "True", LANGFLOW_SUPERUSER_PASSWORD: undefined } });
  });
  after(async () => { await auto?.destroy(); });

  it("opens / logged in as the superuser", async () => {
    const page = await newPage();
    await page.goto(`${auto.url}/`);
    assert.equal(new URL(page.url()).pathname, "/flows");
    await page.locator("details.menu > summary", { hasText: ADMIN.username }).waitFor();
    await shot(page, "19-auto-login");
    await page.goto(`${auto.url}/admin`);
    await page.getByRole("heading", { name: "Admin Page" }).waitFor();
    await page.context().close();
  });
});

describe("your sessions and the audit log", () => {
  const CAROL = { username: "carol", password: "carol-password-1" };
  let admin, laptop, phone;

  /** A browser profile with its own user agent, logged in as `who`. */
  async function device(userAgent, who) {
    const context = await browser.newContext({ userAgent, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/login`);
    await logIn(page, who);
    return page;
  }

  before(async () => {
    admin = await newPage();
    await admin.goto(`${base}/login`);
    await logIn(admin, ADMIN);
    await admin.goto(`${base}/admin/users/new`);
    await fillNewUser(admin, CAROL);
    assert.equal(path(admin), "/admin?done=created");
    // One mistyped password first, for the audit log.
    const typo = await device("Typo Browser/1.0", { ...CAROL, password: "carol-typo-password" });
    await typo.context().close();
    laptop = await device("Laptop Browser/1.0", CAROL);
    phone = await device("Phone Browser/2.0", CAROL);
  });

  after(async () => {
    for (const page of [admin, laptop, phone]) await page?.context().close();
  });

  it("lists where you are signed in, from the profile menu, and ends another session at once", async () => {
    await openProfileMenu(laptop, CAROL.username);
    await laptop.getByRole("link", { name: "Your sessions" }).click();
    await laptop.getByRole("heading", { name: "Your sessions" }).waitFor();
    assert.equal(path(laptop), "/settings/sessions");
    const rows = laptop.getByRole("row").filter({ has: laptop.getByRole("cell") });
    assert.equal(await rows.count(), 2);
    const mine = rows.filter({ hasText: "Laptop Browser/1.0" });
    await mine.getByText("This session").waitFor();
    assert.equal(await mine.getByRole("button", { name: "End session" }).count(), 0);
    await shot(laptop, "20-your-sessions");
    await rows.filter({ hasText: "Phone Browser/2.0" }).getByRole("button", { name: "End session" }).click();
    await laptop.waitForURL(/\/settings\/sessions\?done=ended$/);
    await laptop.getByText("The session was ended: it is signed out.").waitFor();
    assert.equal(await rows.count(), 1);
    await phone.goto(`${base}/flows`);
    assert.match(path(phone), /^\/login/, "the phone is signed out at once");
  });

  it("ends all other sessions with one button", async () => {
    await logIn(phone, CAROL);
    assert.equal(path(phone), "/flows");
    await laptop.goto(`${base}/settings/sessions`);
    await laptop.getByRole("button", { name: "End all other sessions" }).click();
    await laptop.waitForURL(/done=others$/);
    await laptop.getByText("Your other sessions were ended").waitFor();
    await phone.goto(`${base}/flows`);
    assert.match(path(phone), /^\/login/);
    await laptop.goto(`${base}/flows`);
    assert.equal(path(laptop), "/flows", "the laptop's own session goes on");
  });

  it("lets an admin end every session of a user from /admin", async () => {
    await admin.goto(`${base}/admin`);
    await admin.getByRole("link", { name: `Edit ${CAROL.username}` }).click();
    await admin.getByText("Signed in in 1 place.").waitFor();
    await admin.getByRole("button", { name: "End all sessions" }).click();
    await admin.waitForURL(/\/admin\?done=sessions$/);
    await admin.getByText("The user's sessions were ended").waitFor();
    await laptop.goto(`${base}/flows`);
    assert.match(path(laptop), /^\/login/);
  });

  it("shows the audit log to superusers, filtered by event and result, and says what is wrong with a bad filter", async () => {
    await admin.goto(`${base}/admin`);
    await admin.getByRole("link", { name: "Audit log" }).click();
    await admin.getByRole("heading", { name: "Audit log" }).waitFor();
    await admin.getByRole("cell", { name: "session:end_all", exact: true }).first().waitFor();
    await admin.getByLabel("Event").selectOption("auth:login");
    await admin.getByLabel("Result").selectOption("failed");
    await admin.getByRole("button", { name: "Filter" }).click();
    await admin.waitForURL(/action=auth%3Alogin&result=failed/);
    const failed = admin.getByRole("row").filter({ hasText: "Typo Browser/1.0" });
    await failed.getByText("WRONG_CREDENTIALS").waitFor();
    await failed.getByRole("link", { name: CAROL.username }).waitFor();
    assert.ok(!(await admin.content()).includes("carol-typo-password"), "no password on the page");
    await shot(admin, "21-audit-log");
    const bad = await admin.goto(`${base}/admin/audit?since=yesterday`);
    assert.equal(bad.status(), 400);
    await admin.getByText("The since date must be a date such as 2026-12-01.").waitFor();
    // Not for other users.
    await logIn(laptop, CAROL);
    await laptop.goto(`${base}/admin/audit`);
    assert.equal(path(laptop), "/flows");
  });
});
