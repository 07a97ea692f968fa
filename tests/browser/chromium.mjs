// What the browser tests share: Debian's Chromium launched headless the same way everywhere,
// screenshots in test-artifacts/screenshots/, and the steps every page test takes.
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ROOT } from "../http/harness.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
export const SHOTS = join(ROOT, "test-artifacts", "screenshots");

/** Chromium, headless; the screenshot folder made. Fails clearly when Chromium is not installed. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run ./scripts/setup.sh browser`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}

/** A full-page screenshot, test-artifacts/screenshots/<name>.png. */
export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The page's path and query. */
export function path(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** Fills the edge's /login form and submits it. */
export async function logIn(page, { username, password }) {
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForLoadState();
}
