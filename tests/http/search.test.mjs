// User search and paging with long and huge inputs (issue 13's probe findings): a search longer
// than D1's 50-byte LIKE pattern limit, and offsets past 2^53, answer like any other search or
// page, never a 500.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, call, signInAdmin, makeUser } from "./harness.mjs";

describe("user search and paging at the limits", () => {
  let worker, admin;
  const long = "a".repeat(150);
  before(async () => {
    worker = await startWorker();
    admin = await signInAdmin(worker.url);
    await makeUser(worker.url, admin.token, long);
    await makeUser(worker.url, admin.token, "zoë-é".repeat(5));
  });
  after(async () => worker?.destroy());

  it("a 150-byte search finds the user whose name it is", async () => {
    const res = await call(worker.url, `/api/v1/users/?search=${long}`, { token: admin.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.users.map((u) => u.username), [long]);
    assert.equal(res.body.total_count, 1);
  });

  it("a long multi-byte search, matched literally and ignoring ASCII case", async () => {
    const res = await call(worker.url, `/api/v1/users/?search=${encodeURIComponent("ZOë-é".repeat(5).slice(1))}`, { token: admin.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.users.map((u) => u.username), ["zoë-é".repeat(5)]);
    const wildcard = await call(worker.url, "/api/v1/users/?search=%25", { token: admin.token });
    assert.deepEqual([wildcard.status, wildcard.body.total_count], [200, 0], "% is a character, not a wildcard");
  });

  it("huge skip and limit values give an empty page or a 422, not a 500", async () => {
    const res = await call(worker.url, "/api/v1/users/?skip=9223372036854775807", { token: admin.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.users, []);
    assert.ok(res.body.total_count >= 3);
    const tooBig = await call(worker.url, "/api/v1/users/?skip=99999999999999999999999", { token: admin.token });
    assert.equal(tooBig.status, 422);
    const limit = await call(worker.url, "/api/v1/users/?limit=9223372036854775807", { token: admin.token });
    assert.equal(limit.status, 422, "limit stays within Langflow's bound");
  });

  it("the admin page searches and pages the same way", async () => {
    const cookie = `access_token_lf=${admin.token}`;
    const found = await call(worker.url, `/admin?q=${long}`, { cookie });
    assert.equal(found.status, 200);
    assert.ok(found.body.includes(long));
    const far = await call(worker.url, "/admin?page=9223372036854775807", { cookie });
    assert.equal(far.status, 200);
    assert.match(far.body, /No users match/);
  });
});
