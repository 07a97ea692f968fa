// Two-factor helpers for the HTTP tests: TOTP codes as an authenticator app computes them
// (RFC 6238, HMAC-SHA1, 6 digits, 30 s), and enrolment through the /settings/two-factor page.
import { createHmac } from "node:crypto";
import { call } from "./harness.mjs";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Decode(text) {
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/[=\s-]/g, "").toUpperCase()) {
    const index = ALPHABET.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((value >>> bits) & 0xff); }
  }
  return Buffer.from(out);
}

/** The code an authenticator app shows at `unixSecs` (default: now). */
export function totp(secret, unixSecs = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSecs / 30)));
  const digest = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = digest[19] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** A 6-digit code that is not the current one (nor the neighbours'). */
export function wrongCode(secret) {
  const now = Date.now() / 1000;
  const taken = new Set([totp(secret, now - 30), totp(secret, now), totp(secret, now + 30)]);
  for (let n = 0; ; n += 1) {
    const code = String((Number(totp(secret, now)) + 1 + n) % 1_000_000).padStart(6, "0");
    if (!taken.has(code)) return code;
  }
}

/** Waits until at least 3 s remain in the current 30 s step, so a code sent now stays current. */
export async function awayFromStepEdge() {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < 3) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 500));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The page form token in an HTML answer. */
export function formToken(html) {
  const match = html.match(/name="csrf_token" value="([0-9a-f]{64})"/);
  if (!match) throw new Error(`no form token in:\n${html.slice(0, 2000)}`);
  return match[1];
}

/** A page request signed in by Langflow's access cookie. */
export function page(base, path, accessToken, options = {}) {
  return call(base, path, { ...options, cookie: `access_token_lf=${accessToken}` });
}

/** Posts the two-factor settings form with `action` (and `code`). */
export async function postSettings(base, accessToken, fields) {
  const shown = await page(base, "/settings/two-factor", accessToken);
  if (shown.status !== 200) throw new Error(`GET /settings/two-factor: ${shown.status}`);
  return page(base, "/settings/two-factor", accessToken, {
    method: "POST", form: { csrf_token: formToken(shown.body), ...fields },
  });
}

/** The setup key and otpauth:// link an enrolment page shows. */
export function shownEnrolment(html) {
  const secret = html.match(/id="totp_secret" type="text" readonly value="([A-Z2-7]+)"/)?.[1];
  const uri = html.match(/id="totp_uri" href="([^"]+)"/)?.[1]?.replaceAll("&amp;", "&");
  return { secret, uri };
}

/** The recovery codes a page shows once. */
export function shownRecoveryCodes(html) {
  return [...html.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1]);
}

/** Enrols the user behind `accessToken` on the settings page: { secret, uri, recoveryCodes }. */
export async function enrol(base, accessToken) {
  const started = await postSettings(base, accessToken, { action: "setup" });
  if (started.status !== 303) throw new Error(`setup: ${started.status}`);
  const shown = await page(base, "/settings/two-factor", accessToken);
  const { secret, uri } = shownEnrolment(shown.body);
  if (!secret) throw new Error(`no setup key shown:\n${shown.body}`);
  await awayFromStepEdge();
  const confirmed = await page(base, "/settings/two-factor", accessToken, {
    method: "POST", form: { csrf_token: formToken(shown.body), action: "confirm", code: totp(secret) },
  });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status}\n${confirmed.body}`);
  return { secret, uri, recoveryCodes: shownRecoveryCodes(confirmed.body) };
}
