// Two-factor sign-in (TOTP) over HTTP: enrolling on /settings/two-factor, the API's one-request
// sign-in with `totp_code`, the pages' two steps (password, then code) with nothing but a
// short-lived ticket cookie in between, replay and clock skew, recovery codes, removal, the
// failed-login limits on codes, and LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, call, login, makeUser, signInAdmin, execSql, queryD1File, fernetDecrypt, findCookie, sha256Hex,
  pollUntil, ADMIN,
} from "./harness.mjs";
import {
  totp, wrongCode, awayFromStepEdge, formToken, page, postSettings, shownEnrolment, shownRecoveryCodes, enrol,
} from "./totp.mjs";

const CODE_REQUIRED = /Two-factor authentication required: .*totp_code/;
const PENDING = "lf_two_factor_pending";

function sessionCount(worker, userId) {
  return queryD1File(worker, "SELECT COUNT(*) AS n FROM session WHERE user_id = ?", [userId])[0].n;
}

/** Lets the current step's code be used again (each works once), to test more sign-ins. */
function forgetUsedStep(worker, userId) {
  execSql(worker, `UPDATE two_factor SET last_used_step = NULL WHERE user_id = '${userId}'`);
}

/** POST /login (the page form) without following the redirect. */
function pagePassword(base, username, password, next = "/flows") {
  return call(base, "/login", { method: "POST", form: { username, password, next } });
}

describe("two-factor sign-in", () => {
  let worker, base, admin, alice, enrolment;

  before(async () => {
    worker = await startWorker();
    base = worker.url;
    admin = await signInAdmin(base);
    alice = await makeUser(base, admin.token, "tf-alice", "tf-alice-password");
  });
  after(async () => { await worker?.stop(); });

  it("enrols on the settings page: a setup key and otpauth:// link, confirmed by a first code", async () => {
    const off = await page(base, "/settings/two-factor", alice.token);
    assert.equal(off.status, 200);
    assert.match(off.body, /Two-factor sign-in is <strong>off<\/strong>/);
    const started = await postSettings(base, alice.token, { action: "setup" });
    assert.equal(started.status, 303);
    assert.equal(started.headers.get("location"), "/settings/two-factor");
    const shown = await page(base, "/settings/two-factor", alice.token);
    const { secret, uri } = shownEnrolment(shown.body);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(uri, `otpauth://totp/Langflow:tf-alice?secret=${secret}&issuer=Langflow&algorithm=SHA1&digits=6&period=30`);
    // Stored Fernet-encrypted under the secret key, not confirmed yet.
    const [row] = queryD1File(worker, "SELECT secret, confirmed_at FROM two_factor WHERE user_id = ?", [alice.id]);
    assert.equal(fernetDecrypt(row.secret).plaintext, secret);
    assert.equal(row.confirmed_at, null);
    // Until confirmed, a password sign-in needs no code.
    assert.equal((await login(base, alice.username, alice.password)).status, 200);

    const token = formToken(shown.body);
    const confirm = (code) => page(base, "/settings/two-factor", alice.token, {
      method: "POST", form: { csrf_token: token, action: "confirm", code },
    });
    const malformed = await confirm("12ab56");
    assert.equal(malformed.status, 400);
    assert.match(malformed.body, /Enter the 6 digits your authenticator app shows/);
    const wrong = await confirm(wrongCode(secret));
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /That code is not right, or it was already used/);
    await awayFromStepEdge();
    const confirmed = await confirm(totp(secret));
    assert.equal(confirmed.status, 200);
    const recoveryCodes = shownRecoveryCodes(confirmed.body);
    assert.equal(recoveryCodes.length, 10);
    for (const code of recoveryCodes) assert.match(code, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    assert.equal(new Set(recoveryCodes).size, 10);
    // Stored hashed only.
    const stored = queryD1File(worker, "SELECT code_hash, used_at FROM two_factor_recovery_code WHERE user_id = ?", [alice.id]);
    assert.deepEqual(stored.map((r) => r.code_hash).sort(), recoveryCodes.map((c) => sha256Hex(c.replaceAll("-", ""))).sort());
    assert.ok(stored.every((r) => r.used_at === null));
    const on = await page(base, "/settings/two-factor", alice.token);
    assert.match(on.body, /Two-factor sign-in is <strong>on<\/strong>\. Recovery codes left: 10\./);
    // Enrolling again while it is on is refused.
    const again = await postSettings(base, alice.token, { action: "setup" });
    assert.equal(again.status, 400);
    enrolment = { secret, recoveryCodes };
  });

  it("API: a right password alone is a 401 with a detail saying how to finish, and starts no session", async () => {
    const before = sessionCount(worker, alice.id);
    const res = await login(base, alice.username, alice.password);
    assert.equal(res.status, 401);
    assert.match(res.body.detail, CODE_REQUIRED);
    assert.equal(res.headers.get("x-langflow-error-code"), "two_factor_required");
    assert.equal(res.access, undefined);
    assert.deepEqual(res.cookies, []);
    assert.equal(sessionCount(worker, alice.id), before);
    // A wrong password still says only that.
    const wrongPassword = await call(base, "/api/v1/login", {
      method: "POST", form: { username: alice.username, password: "x-wrong-1", totp_code: totp(enrolment.secret) },
    });
    assert.equal(wrongPassword.status, 401);
    assert.equal(wrongPassword.body.detail, "Incorrect username or password");
  });

  it("API: the code as totp_code completes the sign-in; a wrong or malformed one is refused", async () => {
    const withCode = (code) => call(base, "/api/v1/login", {
      method: "POST", form: { username: alice.username, password: alice.password, totp_code: code },
    });
    const wrong = await withCode(wrongCode(enrolment.secret));
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { detail: "Invalid two-factor code" });
    const malformed = await withCode("12345");
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.detail, /6 digits your authenticator app shows, or a recovery code/);
    const before = sessionCount(worker, alice.id);
    // The step of the enrolment's code is used up: the next step's code (clock skew +1) works.
    const code = totp(enrolment.secret, Date.now() / 1000 + 30);
    const ok = await withCode(code);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(sessionCount(worker, alice.id), before + 1);
    const me = await call(base, "/api/v1/users/whoami", { token: ok.body.access_token });
    assert.equal(me.body.username, alice.username);
    // The same code again: refused (a code works once).
    const replay = await withCode(code);
    assert.equal(replay.status, 401);
    assert.deepEqual(replay.body, { detail: "Invalid two-factor code" });
    // Refresh continues the verified session without a code.
    const refreshed = await call(base, "/api/v1/refresh", { method: "POST", cookie: `refresh_token_lf=${ok.body.refresh_token}` });
    assert.equal(refreshed.status, 200);
  });

  it("accepts the previous step's code (clock skew) but not one two steps old", async () => {
    forgetUsedStep(worker, alice.id);
    await awayFromStepEdge();
    const now = Date.now() / 1000;
    const form = (code) => ({ method: "POST", form: { username: alice.username, password: alice.password, totp_code: code } });
    assert.equal((await call(base, "/api/v1/login", form(totp(enrolment.secret, now - 60)))).status, 401);
    assert.equal((await call(base, "/api/v1/login", form(totp(enrolment.secret, now + 60)))).status, 401);
    assert.equal((await call(base, "/api/v1/login", form(totp(enrolment.secret, now - 30)))).status, 200);
  });

  it("a recovery code signs in once, typed in any case and spacing", async () => {
    const [first] = enrolment.recoveryCodes;
    const typed = first.toLowerCase().replaceAll("-", " ");
    const form = { method: "POST", form: { username: alice.username, password: alice.password, totp_code: typed } };
    assert.equal((await call(base, "/api/v1/login", form)).status, 200);
    const again = await call(base, "/api/v1/login", form);
    assert.equal(again.status, 401);
    assert.deepEqual(again.body, { detail: "Invalid two-factor code" });
    const [row] = queryD1File(worker, "SELECT used_at FROM two_factor_recovery_code WHERE code_hash = ?", [sha256Hex(first.replaceAll("-", ""))]);
    assert.equal(typeof row.used_at, "number");
    const on = await page(base, "/settings/two-factor", alice.token);
    assert.match(on.body, /Recovery codes left: 9\./);
  });

  it("pages: the password leads to the code page with only a short-lived ticket cookie, no session", async () => {
    const before = sessionCount(worker, alice.id);
    const first = await pagePassword(base, alice.username, alice.password, "/settings/api-keys");
    assert.equal(first.status, 303);
    assert.equal(first.headers.get("location"), "/login/two-factor?next=%2Fsettings%2Fapi-keys");
    assert.deepEqual(first.cookies.map((c) => c.split("=")[0]), [PENDING]);
    const ticket = findCookie(first.cookies, PENDING);
    assert.equal(ticket.attrs["max-age"], "300");
    assert.equal(ticket.attrs.path, "/login");
    assert.equal(ticket.attrs.samesite, "Strict");
    assert.equal(ticket.attrs.httponly, true);
    assert.equal(sessionCount(worker, alice.id), before);
    const cookie = `${PENDING}=${ticket.value}`;
    // The ticket is not a session: no page, no API.
    const flows = await call(base, "/flows", { cookie });
    assert.equal(flows.status, 303);
    assert.match(flows.headers.get("location"), /^\/login\?next=/);
    assert.equal((await call(base, "/api/v1/users/whoami", { cookie: `access_token_lf=${ticket.value}` })).status, 401);
    assert.equal((await call(base, "/api/v1/users/whoami", { token: ticket.value })).status, 401);
    const form = await call(base, "/login/two-factor?next=%2Fsettings%2Fapi-keys", { cookie });
    assert.equal(form.status, 200);
    assert.match(form.body, /autocomplete="one-time-code"/);
    const post = (code) => call(base, "/login/two-factor", { method: "POST", cookie, form: { code, next: "/settings/api-keys" } });
    const empty = await post("");
    assert.equal(empty.status, 400);
    const wrong = await post(wrongCode(enrolment.secret));
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /That code is not right/);
    assert.equal(sessionCount(worker, alice.id), before);
    forgetUsedStep(worker, alice.id);
    await awayFromStepEdge();
    const done = await post(totp(enrolment.secret));
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), "/settings/api-keys");
    assert.equal(sessionCount(worker, alice.id), before + 1);
    const access = findCookie(done.cookies, "access_token_lf").value;
    assert.equal((await call(base, "/api/v1/users/whoami", { token: access })).status, 200);
    assert.equal(findCookie(done.cookies, PENDING).attrs["max-age"], "0");
  });

  it("pages: a forged, another user's or missing ticket is refused", async () => {
    const first = await pagePassword(base, alice.username, alice.password);
    const value = findCookie(first.cookies, PENDING).value;
    const [userId, step, expires, mac] = value.split(".");
    const forged = [
      `${userId}.${step}.${Number(expires) + 3600}.${mac}`,
      `${admin.id}.${step}.${expires}.${mac}`,
      `${userId}.enrol.${expires}.${mac}`,
      `${userId}.${step}.${expires}.${"0".repeat(64)}`,
      "garbage",
    ];
    for (const ticket of forged) {
      const res = await call(base, "/login/two-factor", { method: "POST", cookie: `${PENDING}=${ticket}`, form: { code: totp(enrolment.secret) } });
      assert.equal(res.status, 401, ticket);
      assert.match(res.body, /Sign-in expired/);
    }
    const none = await call(base, "/login/two-factor?next=%2Fflows");
    assert.equal(none.status, 401);
  });

  it("removing needs a code; afterwards the password alone signs in", async () => {
    const wrong = await postSettings(base, alice.token, { action: "remove", code: wrongCode(enrolment.secret) });
    assert.equal(wrong.status, 401);
    const missing = await postSettings(base, alice.token, { action: "remove", code: "" });
    assert.equal(missing.status, 400);
    const removed = await postSettings(base, alice.token, { action: "remove", code: enrolment.recoveryCodes[1] });
    assert.equal(removed.status, 303);
    assert.equal(removed.headers.get("location"), "/settings/two-factor?done=removed");
    assert.deepEqual(queryD1File(worker, "SELECT * FROM two_factor WHERE user_id = ?", [alice.id]), []);
    assert.deepEqual(queryD1File(worker, "SELECT * FROM two_factor_recovery_code WHERE user_id = ?", [alice.id]), []);
    assert.equal((await login(base, alice.username, alice.password)).status, 200);
    assert.equal((await pagePassword(base, alice.username, alice.password)).headers.get("location"), "/flows");
  });

  it("the audit log shows the enrolment, the sign-ins with a code, a refused code and the removal", async () => {
    const events = () => queryD1File(
      worker,
      "SELECT action, result, error_code, details FROM audit_log WHERE user_id = ? ORDER BY seq",
      [alice.id],
    );
    const has = (rows, action, result, test = () => true) =>
      rows.some((r) => r.action === action && r.result === result && test(r));
    // Written after the answers (waitUntil): wait for the last one.
    await pollUntil(() => has(events(), "two_factor:remove", "succeeded"));
    const rows = events();
    assert.ok(has(rows, "two_factor:enrol", "succeeded"), JSON.stringify(rows));
    assert.ok(has(rows, "auth:login", "succeeded", (r) => JSON.parse(r.details).method === "password+totp"));
    assert.ok(has(rows, "auth:login", "failed", (r) => r.error_code === "SECOND_FACTOR_REFUSED"));
    // No code, secret or recovery code is ever written.
    const text = JSON.stringify(rows);
    for (const secret of [enrolment.secret, ...enrolment.recoveryCodes]) assert.ok(!text.includes(secret));
  });

  it("bad settings input is a clear 4xx, and another session's form is refused", async () => {
    const shown = await page(base, "/settings/two-factor", alice.token);
    const token = formToken(shown.body);
    const noAction = await page(base, "/settings/two-factor", alice.token, { method: "POST", form: { csrf_token: token } });
    assert.equal(noAction.status, 422);
    const unknown = await page(base, "/settings/two-factor", alice.token, { method: "POST", form: { csrf_token: token, action: "explode" } });
    assert.equal(unknown.status, 422);
    const notEnrolled = await page(base, "/settings/two-factor", alice.token, { method: "POST", form: { csrf_token: token, action: "confirm", code: "123456" } });
    assert.equal(notEnrolled.status, 400);
    const other = await page(base, "/settings/two-factor", admin.token, { method: "POST", form: { csrf_token: token, action: "setup" } });
    assert.equal(other.status, 403);
    const anonymous = await call(base, "/settings/two-factor");
    assert.equal(anonymous.status, 303);
  });

  it("deleting a user deletes its two-factor rows", async () => {
    const bob = await makeUser(base, admin.token, "tf-bob");
    await enrol(base, bob.token);
    assert.equal(queryD1File(worker, "SELECT COUNT(*) AS n FROM two_factor_recovery_code WHERE user_id = ?", [bob.id])[0].n, 10);
    const deleted = await call(base, `/api/v1/users/${bob.id}`, { method: "DELETE", token: admin.token });
    assert.equal(deleted.status, 202);
    assert.deepEqual(queryD1File(worker, "SELECT user_id FROM two_factor WHERE user_id = ?", [bob.id]), []);
    assert.deepEqual(queryD1File(worker, "SELECT user_id FROM two_factor_recovery_code WHERE user_id = ?", [bob.id]), []);
  });
});

describe("two-factor codes count against the failed-login limits", () => {
  let worker, base, carol, secret;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_RATE_LIMIT_ENABLED: "True", LANGFLOW_RATE_LIMIT_PER_MINUTE: "3" } });
    base = worker.url;
    const admin = await signInAdmin(base);
    carol = await makeUser(base, admin.token, "tf-carol");
    ({ secret } = await enrol(base, carol.token));
  });
  after(async () => { await worker?.stop(); });

  it("a right password is not counted; wrong codes are, up to a 429 with Retry-After", async () => {
    const first = await pagePassword(base, carol.username, carol.password);
    const cookie = `${PENDING}=${findCookie(first.cookies, PENDING).value}`;
    const guess = () => call(base, "/login/two-factor", { method: "POST", cookie, form: { code: wrongCode(secret) } });
    for (let i = 0; i < 3; i += 1) assert.equal((await guess()).status, 401, `guess ${i + 1}`);
    const limited = await guess();
    assert.equal(limited.status, 429);
    assert.match(limited.body, /Too many attempts/);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    // The same counters as passwords: the API refuses too, even with the right code.
    const api = await call(base, "/api/v1/login", { method: "POST", form: { username: carol.username, password: carol.password, totp_code: totp(secret) } });
    assert.equal(api.status, 429);
  });
});

describe("LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS=True", () => {
  let worker, base, superuserToken;
  before(async () => {
    worker = await startWorker({ vars: { LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS: "True" } });
    base = worker.url;
  });
  after(async () => { await worker?.stop(); });

  it("over the API a superuser without two-factor gets a 403 saying to enrol on the page", async () => {
    const res = await login(base, ADMIN.username, ADMIN.password);
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /required for superusers: sign in on the \/login page to set it up/);
    assert.equal(res.headers.get("x-langflow-error-code"), "two_factor_enrolment_required");
    assert.deepEqual(res.cookies, []);
  });

  it("on the page the superuser enrols before anything else, then is signed in", async () => {
    // An enrolment begun before this sign-in (say, through a stolen session) is never the one
    // shown: the setup starts a fresh secret.
    const adminId = queryD1File(worker, 'SELECT id FROM "user" WHERE username = ?', [ADMIN.username])[0].id;
    const planted = "planted-by-someone-else";
    execSql(worker, `INSERT INTO two_factor (user_id, secret, created_at) VALUES ('${adminId}', '${planted}', ${Math.floor(Date.now() / 1000) - 60})`);
    const first = await pagePassword(base, ADMIN.username, ADMIN.password, "/admin");
    assert.equal(first.status, 303);
    assert.equal(first.headers.get("location"), "/login/two-factor?next=%2Fadmin");
    assert.deepEqual(first.cookies.map((c) => c.split("=")[0]), [PENDING]);
    const cookie = `${PENDING}=${findCookie(first.cookies, PENDING).value}`;
    assert.equal((await call(base, "/admin", { cookie })).status, 303);
    const shown = await call(base, "/login/two-factor?next=%2Fadmin", { cookie });
    assert.equal(shown.status, 200);
    assert.match(shown.body, /Set up two-factor sign-in/);
    const { secret } = shownEnrolment(shown.body);
    const stored = queryD1File(worker, "SELECT secret FROM two_factor WHERE user_id = ?", [adminId])[0].secret;
    assert.notEqual(stored, planted);
    // Showing it again keeps the same secret (the app may already hold it).
    assert.equal(shownEnrolment((await call(base, "/login/two-factor", { cookie })).body).secret, secret);
    const post = (code) => call(base, "/login/two-factor", { method: "POST", cookie, form: { code, next: "/admin" } });
    const wrong = await post(wrongCode(secret));
    assert.equal(wrong.status, 401);
    assert.equal(shownEnrolment(wrong.body).secret, secret);
    await awayFromStepEdge();
    const done = await post(totp(secret));
    assert.equal(done.status, 200);
    assert.equal(shownRecoveryCodes(done.body).length, 10);
    assert.match(done.body, /href="\/admin"/);
    const access = findCookie(done.cookies, "access_token_lf").value;
    const me = await call(base, "/api/v1/users/whoami", { token: access });
    assert.equal(me.body.is_superuser, true);
    superuserToken = access;
    // From now on the API wants the code like for anyone with two-factor on.
    const noCode = await login(base, ADMIN.username, ADMIN.password);
    assert.equal(noCode.status, 401);
    assert.match(noCode.body.detail, CODE_REQUIRED);
    const withCode = await call(base, "/api/v1/login", {
      method: "POST", form: { username: ADMIN.username, password: ADMIN.password, totp_code: totp(secret, Date.now() / 1000 + 30) },
    });
    assert.equal(withCode.status, 200);
  });

  it("users who are not superusers are not affected", async () => {
    const dave = await makeUser(base, superuserToken, "tf-dave");
    assert.ok(dave.token, "a plain user signs in with the password alone");
    assert.equal((await pagePassword(base, dave.username, dave.password)).headers.get("location"), "/flows");
  });
});

