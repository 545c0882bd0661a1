// The ported proxy-runtime example in real Envoy: a response header from the plugin configuration.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type Stack } from "./lib/index.js";

describe("add-header in Envoy", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["stable"],
      filters: [
        { module: "add-header", config: "from-config" },
      ],
    });
  });
  after(() => stack?.stop());

  test("adds `hello: <configuration>` to the response and leaves the request alone", async () => {
    const res = await stack.request("/some/path?q=1", { headers: { "x-client": "e2e" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers["hello"], "from-config");
    assert.equal(res.headers["x-upstream"], "stable");
    const seen = stack.upstreams.stable.last();
    assert.ok(seen, "the upstream received the request");
    assert.equal(seen.path, "/some/path?q=1");
    assert.equal(seen.headers["x-client"], "e2e");
    assert.equal(seen.headers["hello"], undefined, "the filter only edits the response");
  });
});

describe("add-header without configuration", () => {
  let stack: Stack;
  before(async () => { stack = await startStack({ upstreams: ["stable"], filters: [{ module: "add-header" }] }); });
  after(() => stack?.stop());

  test("falls back to `hello: world!`", async () => {
    const res = await stack.request("/");
    assert.equal(res.status, 200);
    assert.equal(res.headers["hello"], "world!");
  });
});
