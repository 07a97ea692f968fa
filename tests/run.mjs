// Runs test files with `node --test` after migrating one template D1 for the whole run, so that
// each test file copies it instead of running the migrations again (see freshDatabase in
// http/harness.mjs). The template is made fresh from migrations/ on every run and deleted after.
//   node tests/run.mjs [--concurrency N] PATH...
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { D1_TEMPLATE_ENV, migrateDatabase } from "./http/harness.mjs";

const args = process.argv.slice(2);
let concurrency = 1;
if (args[0] === "--concurrency") {
  concurrency = Number(args[1]);
  args.splice(0, 2);
}
if (!Number.isInteger(concurrency) || concurrency < 1 || args.length === 0) {
  console.error("usage: node tests/run.mjs [--concurrency N] PATH...");
  process.exit(2);
}

const template = mkdtempSync(join(tmpdir(), "langflow-edge-template-"));
let code = 1;
try {
  migrateDatabase(template);
  const child = spawn(process.execPath, ["--test", `--test-concurrency=${concurrency}`, ...args], {
    stdio: "inherit", env: { ...process.env, [D1_TEMPLATE_ENV]: template },
  });
  // Ctrl-C reaches the test runner too (same process group): wait for it to finish its cleanup
  // (stopping workers) instead of exiting first, then remove the template.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  code = await new Promise((done) => child.on("exit", (status, signal) => done(status ?? (signal ? 1 : 0))));
} catch (err) {
  console.error(`tests/run.mjs: ${err.message}\n${err.stderr ?? ""}${err.stdout ?? ""}`);
} finally {
  rmSync(template, { recursive: true, force: true });
}
process.exit(code);
