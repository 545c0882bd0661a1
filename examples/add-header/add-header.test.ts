// The add-header example over its compiled module (build/add-header.wasm), in the Node test host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const WASM = "build/add-header.wasm";
const REQUEST = { ":method": "GET", ":path": "/", ":authority": "example.com" };

test("adds hello: world! to the response when the configuration is empty", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "add_header" });
  const s = host.newHttpStream();
  assert.equal(s.sendRequestHeaders(REQUEST, { endOfStream: true }).action, "continue");
  assert.deepEqual(s.requestHeaders.all(), REQUEST); // the request is untouched
  assert.equal(s.sendResponseHeaders({ ":status": "200", "content-type": "text/plain" }).action, "continue");
  assert.deepEqual(s.responseHeaders.all(), { ":status": "200", "content-type": "text/plain", hello: "world!" });
  s.complete();
  assert.equal(host.traps.length, 0);
});

test("uses the plugin configuration as the header value", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "add_header", pluginConfig: "from-config" });
  const s = host.newHttpStream();
  s.sendRequestHeaders(REQUEST);
  s.sendResponseHeaders({ ":status": "404" });
  assert.equal(s.responseHeaders.get("hello"), "from-config");
});

test("keeps an existing hello header and adds its own value after it", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "add_header", vms: 2 });
  for (const vm of [0, 1]) {
    const s = host.newHttpStream({ vm });
    s.sendRequestHeaders(REQUEST);
    s.sendResponseHeaders({ ":status": "200", hello: "upstream" });
    assert.deepEqual(s.responseHeaders.getAll("hello"), ["upstream", "world!"]);
  }
});
