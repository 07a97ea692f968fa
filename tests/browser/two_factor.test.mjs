// Two-factor sign-in in headless Chromium, by the pages' visible labels: set it up from the
// profile menu (setup key, a first code, ten recovery codes shown once), sign in with the password
// and then the code (the browser holds no session in between), turn it off with a recovery code;
// and a superuser made to enrol at sign-in by LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS.
// Screenshots go to test-artifacts/screenshots/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, ADMIN, signInAdmin, makeUser } from "../http/harness.mjs";
import { launchChromium, shot, path, logIn } from "./chromium.mjs";
import { totp, wrongCode, awayFromStepEdge } from "../http/totp.mjs";


let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => { await browser?.close(); });

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}


async function enterCode(page, code, button) {
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: button }).click();
  await page.waitForLoadState();
}

/** The error shown under the Code field, tied to it for screen readers. */
async function codeError(page) {
  const input = page.getByLabel("Code", { exact: true });
  assert.equal(await input.getAttribute("aria-invalid"), "true");
  assert.match(await input.getAttribute("aria-describedby"), /\bcode-error\b/);
  return (await page.locator("#code-error").innerText()).trim();
}

async function sessionCookies(page) {
  return (await page.context().cookies()).map((c) => c.name).sort();
}

describe("two-factor sign-in, for anyone", () => {
  let worker, base, page, secret, recoveryCodes;
  const user = { username: "dana", password: "dana-password-1" };

  before(async () => {
    worker = await startWorker();
    base = worker.url;
    const admin = await signInAdmin(base);
    await makeUser(base, admin.token, user.username, user.password);
    page = await newPage();
  });
  after(async () => { await worker?.destroy(); });

  it("is set up from the profile menu: a setup key, a first code, ten recovery codes shown once", async () => {
    await page.goto(`${base}/login`);
    await logIn(page, user);
    await page.locator("details.menu > summary", { hasText: user.username }).click();
    await page.getByRole("link", { name: "Two-factor sign-in" }).click();
    await page.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    await page.waitForLoadState();
    secret = await page.getByLabel("Setup key").inputValue();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const link = await page.locator("#totp_uri").getAttribute("href");
    assert.equal(link, `otpauth://totp/Langflow:${user.username}?secret=${secret}&issuer=Langflow&algorithm=SHA1&digits=6&period=30`);
    await shot(page, "2fa-01-setup");
    await enterCode(page, wrongCode(secret), "Turn on two-factor sign-in");
    assert.match(await codeError(page), /not right/);
    await awayFromStepEdge();
    await enterCode(page, totp(secret), "Turn on two-factor sign-in");
    await page.getByRole("heading", { name: "Two-factor sign-in is on: save your recovery codes" }).waitFor();
    recoveryCodes = await page.locator("#recovery_codes code").allInnerTexts();
    assert.equal(recoveryCodes.length, 10);
    await shot(page, "2fa-02-recovery-codes");
    await page.getByRole("link", { name: "I saved them, continue" }).click();
    await page.getByText("Recovery codes left: 10.").waitFor();
  });

  it("signs in with the password, then the code; nothing is signed in between", async () => {
    await page.locator("details.menu > summary", { hasText: user.username }).click();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${base}/login?next=/settings/api-keys`);
    await logIn(page, user);
    assert.equal(path(page), "/login/two-factor?next=%2Fsettings%2Fapi-keys");
    await page.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
    // Only the ticket: no session cookies, and it is HttpOnly (no script reads it).
    assert.deepEqual(await sessionCookies(page), ["lf_two_factor_pending"]);
    const [ticket] = await page.context().cookies();
    assert.equal(ticket.httpOnly, true);
    assert.equal(await page.evaluate(() => document.cookie), "");
    await shot(page, "2fa-03-code");
    await enterCode(page, wrongCode(secret), "Verify");
    assert.match(await codeError(page), /not right/);
    // The enrolment's code used its step; the next step's is within the accepted skew.
    await enterCode(page, totp(secret, Date.now() / 1000 + 30), "Verify");
    assert.equal(path(page), "/settings/api-keys");
    assert.ok((await sessionCookies(page)).includes("access_token_lf"));
    assert.ok(!(await sessionCookies(page)).includes("lf_two_factor_pending"));
  });

  it("is turned off with a recovery code", async () => {
    await page.goto(`${base}/settings/two-factor`);
    await enterCode(page, recoveryCodes[0], "Turn off two-factor sign-in");
    await page.getByText("Two-factor sign-in is off. Your password alone signs you in now.").waitFor();
    await shot(page, "2fa-04-off");
  });
});

describe("LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS=True", () => {
  let worker, base;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS: "True" } });
    base = worker.url;
  });
  after(async () => { await worker?.destroy(); });

  it("makes a superuser set it up at sign-in, before any other page", async () => {
    const page = await newPage();
    await page.goto(`${base}/login?next=/admin`);
    await logIn(page, ADMIN);
    assert.equal(path(page), "/login/two-factor?next=%2Fadmin");
    await page.getByRole("heading", { name: "Set up two-factor sign-in" }).waitFor();
    assert.deepEqual(await sessionCookies(page), ["lf_two_factor_pending"]);
    await page.goto(`${base}/admin`);
    assert.match(path(page), /^\/login\?next=/);
    await page.goto(`${base}/login/two-factor?next=/admin`);
    const secret = await page.getByLabel("Setup key").inputValue();
    await shot(page, "2fa-05-required-setup");
    await awayFromStepEdge();
    await enterCode(page, totp(secret), "Turn on two-factor sign-in");
    assert.equal((await page.locator("#recovery_codes code").allInnerTexts()).length, 10);
    await page.getByRole("link", { name: "I saved them, continue" }).click();
    await page.waitForLoadState();
    assert.equal(path(page), "/admin");
    await page.getByRole("heading", { name: "Admin Page" }).waitFor();
  });
});
