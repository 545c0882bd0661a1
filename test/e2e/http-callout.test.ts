// http-callout in Envoy: the request pauses while the plugin calls a second upstream (auth), then
// resumes with what auth said, or ends with auth's refusal.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type Stack, type Responder } from "./lib/index.js";

const auth: Responder = (req) => req.headers.authorization === "Bearer good"
  ? { status: 200, headers: { "x-user": "alice" } }
  : { status: 401, headers: { "content-type": "text/plain" }, body: "bad token\n" };

describe("http-callout", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: { stable: undefined, auth },
      filters: [{ module: "http-callout", config: { cluster: "auth", path: "/check", timeout_ms: 300, prefix: "/orders" } }],
    });
  });
  after(() => stack?.stop());

  const reset = () => { stack.upstreams.auth.clear(); stack.upstreams.stable.clear(); stack.upstreams.auth.respond = auth; };

  test("allowed: auth sees the check, the upstream sees the request with x-auth-user", async () => {
    reset();
    const res = await stack.request("/orders?id=7", { headers: { authorization: "Bearer good", "x-auth-user": "mallory" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-upstream"], "stable");
    const check = stack.upstreams.auth.last();
    assert.ok(check);
    assert.equal(check.method, "GET");
    assert.equal(check.path, "/check");
    assert.equal(check.headers.authorization, "Bearer good");
    assert.equal(check.headers["x-original-path"], "/orders?id=7");
    const seen = stack.upstreams.stable.last();
    assert.ok(seen);
    assert.equal(seen.path, "/orders?id=7");
    assert.equal(seen.headers["x-auth-user"], "alice", "the plugin's value replaces the client's");
  });

  test("denied: the client gets 403 with auth's body; the upstream never sees the request", async () => {
    reset();
    const res = await stack.request("/orders", { headers: { authorization: "Bearer bad" } });
    assert.equal(res.status, 403);
    assert.equal(res.body, "bad token\n");
    assert.equal(res.headers["x-denied-by"], "http-callout");
    assert.equal(stack.upstreams.auth.requests.length, 1);
    assert.equal(stack.upstreams.stable.requests.length, 0);
  });

  test("paths outside the prefix are not checked", async () => {
    reset();
    const res = await stack.request("/public/page");
    assert.equal(res.status, 200);
    assert.equal(stack.upstreams.auth.requests.length, 0);
    assert.equal(stack.upstreams.stable.last()?.headers["x-auth-user"], undefined);
  });

  test("auth too slow: the call times out and the client gets 503", async () => {
    reset();
    stack.upstreams.auth.respond = async () => { await new Promise((r) => setTimeout(r, 1000)); return { status: 200 }; };
    const res = await stack.request("/orders", { headers: { authorization: "Bearer good" } });
    assert.equal(res.status, 503);
    assert.equal(res.body, "auth service unavailable\n");
    assert.equal(stack.upstreams.stable.requests.length, 0);
  });
});

describe("http-callout to a cluster Envoy does not know", () => {
  test("the host refuses the call and the plugin answers 500 instead of hanging", async () => {
    const stack = await startStack({ upstreams: ["stable"], filters: [{ module: "http-callout", config: { cluster: "missing" } }] });
    try {
      const res = await stack.request("/x");
      assert.equal(res.status, 500);
      assert.equal(res.body, "auth call refused by the proxy\n");
      assert.equal(stack.upstreams.stable.requests.length, 0);
    } finally {
      await stack.stop();
    }
  });
});
