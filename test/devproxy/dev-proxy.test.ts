// The dev proxy over real compiled modules: a real HTTP listener, a real upstream, plugins in chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDevDemo, startDevProxy } from "../../src/devproxy/index.js";
import { checkTry } from "../../src/envoy/demo.js";
import { request } from "../../src/envoy/http.js";
import { startUpstream } from "../../src/envoy/upstream.js";

test("forwards through the plugin chain: request edits reach the upstream, response edits the client", async () => {
  const up = await startUpstream("up");
  const proxy = await startDevProxy({
    upstreamUrl: up.url, printLogs: false,
    plugins: [
      { wasm: "build/abi-probe.wasm", rootId: "abi_probe" },
      { wasm: "build/add-header.wasm", rootId: "add_header", config: "dev" },
    ],
  });
  try {
    const r = await request(proxy.url, "/hello?x=1", {
      method: "POST", body: "payload",
      headers: { "x-probe-on-request-headers": "map-add,0,x-from-plugin,1", "x-probe-on-request-body": "buf-set,0,99,0,+more" },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.hello, "dev");
    const seen = up.last()!;
    assert.equal(seen.path, "/hello?x=1");
    assert.equal(seen.method, "POST");
    assert.equal(seen.headers["x-from-plugin"], "1");
    assert.equal(seen.body, "payload+more");
  } finally {
    await proxy.close();
    await up.stop();
  }
});

test("a local response is answered by the proxy; the upstream never sees the request", async () => {
  const up = await startUpstream("up");
  const proxy = await startDevProxy({
    upstreamUrl: up.url, printLogs: false,
    plugins: [{ wasm: "build/add-header.wasm", rootId: "add_header" }, { wasm: "build/abi-probe.wasm", rootId: "abi_probe" }],
  });
  try {
    const r = await request(proxy.url, "/", { headers: { "x-probe-on-request-headers": "local,418,teapot,short and stout,-1,x-why,tea" } });
    assert.equal(r.status, 418);
    assert.equal(r.body, "short and stout");
    assert.equal(r.headers["x-why"], "tea");
    assert.equal(r.headers.hello, "world!"); // the earlier filter's encoder path still ran
    assert.equal(up.requests.length, 0);
  } finally {
    await proxy.close();
    await up.stop();
  }
});

for (const chain of [false, true]) test(`the npm start demo without Envoy${chain ? " (--chain: the chain module)" : ""}: every built demo filter does what the demo promises`, async () => {
  const demo = await startDevDemo({ port: 0, concurrency: 2, chain });
  try {
    assert.ok(demo.filters.filters.length >= 1);
    assert.equal(demo.filters.filters.some((f) => f.module === "chain"), chain);
    for (const f of demo.filters.filters) {
      for (const t of f.tries) {
        const r = await checkTry(demo.proxy.url, t);
        assert.ok(r.ok, `${f.module}: ${t.title} → ${r.got}`);
      }
    }
  } finally {
    await demo.stop();
  }
});
