// The harness itself against real Envoy: header-based routes to several upstreams (the tagging
// filter's gray/stable split), direct responses, 2 workers, the V8 runtime in the start-up log, and
// a clean stop.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { request, startStack, toYaml, type Stack } from "./lib/index.js";

describe("routes and upstreams", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      concurrency: 2,
      upstreams: ["stable", "gray"],
      routes: [
        { prefix: "/healthz", directResponse: { status: 204 } },
        { headers: { "x-mesh-tag": "gray" }, cluster: "gray" },
        { cluster: "stable" },
      ],
      filters: [{ module: "add-header", config: "routed" }],
    });
  });
  after(() => stack?.stop());

  test("x-mesh-tag: gray goes to the gray cluster, everything else to stable", async () => {
    const gray = await stack.request("/a", { headers: { "x-mesh-tag": "gray" } });
    const other = await stack.request("/b", { headers: { "x-mesh-tag": "blue" } });
    const none = await stack.request("/c");
    assert.deepEqual([gray.headers["x-upstream"], other.headers["x-upstream"], none.headers["x-upstream"]], ["gray", "stable", "stable"]);
    assert.deepEqual(stack.upstreams.gray.requests.map((r) => r.path), ["/a"]);
    assert.deepEqual(stack.upstreams.stable.requests.map((r) => r.path), ["/b", "/c"]);
    for (const r of [gray, other, none]) assert.equal(r.headers["hello"], "routed", "the filter runs on every route");
  });

  test("a direct-response route is answered by Envoy (the filter still runs)", async () => {
    const res = await stack.request("/healthz");
    assert.equal(res.status, 204);
    assert.equal(res.headers["hello"], "routed");
  });

  test("Envoy's start-up log lists the V8 Wasm runtime and the plugin loaded on it", async () => {
    const log = stack.envoy.log();
    assert.match(log, /envoy\.wasm\.runtime: .*envoy\.wasm\.runtime\.v8/);
    assert.doesNotMatch(log, /\]\[(critical|error)\]\[/);
    const stats = await stack.envoy.stats("wasm");
    assert.ok(Object.keys(stats).some((k) => k.includes("envoy.wasm.runtime.v8")), `v8 stats: ${Object.keys(stats).join(", ")}`);
  });
});

describe("stop()", () => {
  test("stops Envoy and removes its work directory; the listener is gone", async () => {
    const stack = await startStack({ upstreams: ["stable"], filters: [{ module: "add-header" }] });
    const { url, workDir } = stack.envoy;
    assert.equal((await stack.request("/")).status, 200);
    await stack.stop();
    await stack.stop(); // twice is fine
    assert.equal(existsSync(workDir), false);
    await assert.rejects(request(url, "/", { timeoutMs: 2000 }), /ECONNREFUSED/);
  });

  test("a failed start stops what it started and says why", async () => {
    await assert.rejects(
      startStack({ upstreams: ["stable"], filters: [{ module: "no-such-module" }] }),
      /build\/no-such-module\.wasm not found: run `npm run build` first/,
    );
    await assert.rejects(
      startStack({ upstreams: ["stable"], routes: [{ cluster: "nope" }], filters: [] }),
      /route to unknown cluster "nope"/,
    );
  });
});

describe("toYaml", () => {
  test("quotes what YAML would misread and keeps the rest plain", () => {
    assert.equal(
      toYaml({ a: "true", b: "1s", c: "type.googleapis.com/x.v3.Y", "@type": "t", d: [], e: {}, f: [{ g: 1, h: ["x y"] }], i: "a: b" }),
      ['a: "true"', 'b: "1s"', "c: type.googleapis.com/x.v3.Y", '"@type": t', "d: []", "e: {}", "f:", "- g: 1", "  h:", '  - "x y"', 'i: "a: b"', ""].join("\n"),
    );
  });
});
