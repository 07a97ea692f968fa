// The route table: a known path asked with a method the table does not list is a 405 with Allow,
// whatever the method (the runtime reads unknown methods such as PROPFIND as GET; the router
// looks at the method as sent), and the API/page split follows the table.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, signInAdmin, rawRequest } from "./harness.mjs";

describe("route table", () => {
  let worker, admin;
  before(async () => {
    worker = await startWorker();
    admin = await signInAdmin(worker.url);
  });
  after(async () => worker?.destroy());

  it("methods outside HTTP's usual five are 405 on known API paths, not answered as GET", async () => {
    for (const [method, path, allow] of [
      ["PROPFIND", "/api/v1/users/whoami", "GET"],
      ["MOVE", "/api/v1/flows/", "GET, POST"],
      ["COPY", "/api/v1/variables/", "GET, POST"],
      ["PROPFIND", "/api/v1/session", "GET"],
    ]) {
      const res = await rawRequest(worker.url, path, { method, headers: { authorization: `Bearer ${admin.token}` } });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.allow, allow, `${method} ${path}`);
    }
  });

  it("a page path with another method is a 405 page, an unknown page a 404 page, an unknown API path JSON 404", async () => {
    const page = await call(worker.url, "/login", { method: "DELETE" });
    assert.equal(page.status, 405);
    assert.equal(page.headers.get("allow"), "GET, POST");
    assert.match(page.headers.get("content-type"), /text\/html/);
    const missingPage = await call(worker.url, "/nowhere");
    assert.equal(missingPage.status, 404);
    assert.match(missingPage.headers.get("content-type"), /text\/html/);
    const missingApi = await call(worker.url, "/api/v1/nowhere", { token: admin.token });
    assert.deepEqual([missingApi.status, missingApi.body], [404, { detail: "Not Found" }]);
  });
});
