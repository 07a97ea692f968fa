// Small HTTP servers on 127.0.0.1 that stand behind the edge in gateway tests and write down
// what reached them:
//   startRecordingProxy(target)  passes every request on to a real Langflow (streamed both
//                                ways) and records it: what the origin was sent, nothing mocked;
//   startFakeOrigin(handle)      answers with `handle(req, res, record)`, for transport
//                                behaviour a real Langflow cannot be made to show on demand
//                                (slow answers, timed server-sent events, a hashed upload).
import { createServer, request as httpRequest } from "node:http";

/** What a server saw: one entry per request, in arrival order. */
function recorder() {
  const requests = [];
  return {
    requests,
    record(req) {
      const entry = { method: req.method, url: req.url, headers: { ...req.headers }, at: Date.now() };
      requests.push(entry);
      return entry;
    },
    /** Requests whose path (without the query) is `path`, or matches it when a RegExp. */
    to(path) {
      return requests.filter((r) => {
        const p = r.url.split("?")[0];
        return path instanceof RegExp ? path.test(p) : p === path;
      });
    },
  };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server.address().port;
}

function closer(server) {
  return () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** A pass-through proxy to `target` (e.g. Langflow's URL) that records every request. */
export async function startRecordingProxy(target) {
  const log = recorder();
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    log.record(req);
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.rawHeaders);
        res.flushHeaders();
        answer.pipe(res);
      },
    );
    out.on("error", () => { if (!res.headersSent) res.writeHead(599); res.end(); });
    req.pipe(out);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, ...log, close: closer(server) };
}

/** An origin whose answers come from `handle(req, res, entry)`; every request is recorded. */
export async function startFakeOrigin(handle) {
  const log = recorder();
  const server = createServer((req, res) => {
    const entry = log.record(req);
    Promise.resolve(handle(req, res, entry)).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, server, ...log, close: closer(server) };
}

