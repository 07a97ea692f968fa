// Starts a real Langflow 1.13.0 (langflow-base from PyPI, installed by scripts/setup-langflow.sh
// into a cached virtual environment) on 127.0.0.1 for the gateway tests, and stops it again.
//
//   import { startLangflow } from "./langflow.mjs";
//   const lf = await startLangflow({ env: { LANGFLOW_EXTERNAL_AUTH_ENABLED: "True", ... } });
//   await fetch(`${lf.url}/api/v1/version`);
//   await lf.stop();
//
// Each Langflow gets a free port, its own throwaway folder (LANGFLOW_CONFIG_DIR and a SQLite
// database inside it), AUTO_LOGIN off, a superuser with a random password (lf.superuser), no
// telemetry, one worker, and runs detached in its own process group so that stop() ends it and
// the Gunicorn worker it forks in one go. Startup here (2 shared cores) takes about 20-30 s once
// the venv is warm; the first call may install the venv (about 4-5 minutes).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, createWriteStream, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import net from "node:net";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let cachedPython = null;

/** The venv's python, installing Langflow first when it is missing (minutes, once). */
export function langflowPython() {
  if (process.env.LANGFLOW_PYTHON) return process.env.LANGFLOW_PYTHON;
  if (!cachedPython) {
    cachedPython = execFileSync(join(root, "scripts", "setup-langflow.sh"), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  }
  return cachedPython;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set();
// Last resort when a test file dies without calling stop(): end every group still running.
process.once("exit", () => {
  for (const pgid of live) {
    try { process.kill(-pgid, "SIGKILL"); } catch { /* already gone */ }
  }
});

/**
 * Start Langflow and wait until it answers GET /health_check with 200 (the database and the
 * services are up; plain /health can be answered earlier).
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.env] extra environment (e.g. LANGFLOW_EXTERNAL_AUTH_*); wins over the defaults
 * @param {boolean} [opts.backendOnly] no web UI (LANGFLOW_BACKEND_ONLY)
 * @param {number} [opts.timeoutMs] how long to wait for readiness (default 180 s)
 * @param {boolean} [opts.keepDir] keep the throwaway folder after stop() (for debugging)
 * @param {number} [opts.port] a port chosen beforehand (e.g. one the edge was already told), else a free one
 */
export async function startLangflow(opts = {}) {
  const { env = {}, backendOnly = false, timeoutMs = 180_000, keepDir = false } = opts;
  const python = langflowPython();
  const dir = mkdtempSync(join(tmpdir(), "langflow-edge-lf-"));
  const port = opts.port ?? await freePort();
  const superuser = { username: "lf-admin", password: randomBytes(18).toString("base64url") };

  // Nothing LANGFLOW_* leaks in from the caller's shell; the test says what it wants.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LANGFLOW_")));
  const childEnv = {
    ...baseEnv,
    LANGFLOW_CONFIG_DIR: join(dir, "config"),
    LANGFLOW_DATABASE_URL: `sqlite:///${join(dir, "langflow.db")}`,
    LANGFLOW_HOST: "127.0.0.1",
    LANGFLOW_PORT: String(port),
    LANGFLOW_WORKERS: "1",
    LANGFLOW_AUTO_LOGIN: "False",
    LANGFLOW_SUPERUSER: superuser.username,
    LANGFLOW_SUPERUSER_PASSWORD: superuser.password,
    LANGFLOW_DO_NOT_TRACK: "True",
    LANGFLOW_OPEN_BROWSER: "False",
    LANGFLOW_BACKEND_ONLY: backendOnly ? "True" : "False",
    LANGFLOW_LOG_LEVEL: "warning",
    // Keep what Langflow and its libraries write under the throwaway folder (the knowledge-base
    // folder defaults to ~/.langflow/knowledge_bases).
    LANGFLOW_KNOWLEDGE_BASES_DIR: join(dir, "knowledge_bases"),
    XDG_CACHE_HOME: join(dir, "xdg-cache"),
    HF_HUB_OFFLINE: "1",
    PYTHONUNBUFFERED: "1",
    ...env,
  };

  const logPath = join(dir, "langflow.log");
  const logFile = createWriteStream(logPath);
  const started = Date.now();
  const child = spawn(python, ["-m", "langflow", "run", "--host", "127.0.0.1", "--port", String(port)], {
    cwd: dir,
    env: childEnv,
    detached: true, // own process group: stop() signals -pid
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(logFile, { end: false });
  child.stderr.pipe(logFile, { end: false });
  live.add(child.pid);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once("exit", (code, signal) => { exited = { code, signal }; resolve(exited); });
  });

  const url = `http://127.0.0.1:${port}`;
  const tail = () => {
    try { return readFileSync(logPath, "utf8").split("\n").slice(-40).join("\n"); } catch { return ""; }
  };

  async function stop() {
    if (!live.has(child.pid)) return;
    live.delete(child.pid);
    const signalGroup = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
    signalGroup("SIGTERM");
    const timer = new Promise((r) => setTimeout(r, 15_000, "timeout"));
    if (exited === null && (await Promise.race([exitPromise, timer])) === "timeout") signalGroup("SIGKILL");
    // Workers that outlive the leader still belong to the group.
    signalGroup("SIGKILL");
    await new Promise((r) => logFile.end(r));
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  }

  const deadline = started + timeoutMs;
  for (;;) {
    if (exited) {
      const log = tail();
      await stop();
      throw new Error(`Langflow exited before it was ready (${JSON.stringify(exited)}):\n${log}`);
    }
    if (Date.now() > deadline) {
      const log = tail();
      await stop();
      throw new Error(`Langflow did not answer ${url}/health_check within ${timeoutMs} ms:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/health_check`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) break;
      await res.arrayBuffer();
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Caveat: `langflow run` silently moves to the next port when its port is taken, so a process
  // that grabbed the port between freePort() and the bind would leave us talking to it. The
  // window is milliseconds; a test that must be sure can compare lf.superuser by logging in.
  return {
    url,
    port,
    pid: child.pid,
    dir,
    superuser,
    startupMs: Date.now() - started,
    logPath,
    logTail: tail,
    stop,
  };
}
