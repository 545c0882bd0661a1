// The compiled module (build/__NAME__.wasm, what Envoy loads) in the Node test host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "proxy-wasm-as/host";

const WASM = "build/__NAME__.wasm";
const config = { header: "x-api-key", keys: ["s3cret"] };

test("a wrong key gets 401 and never reaches the upstream", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "__ROOT_ID__", pluginConfig: config });
  const s = host.newHttpStream();
  s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "example.com", "x-api-key": "guess" }, { endOfStream: true });
  assert.equal(s.localResponse?.status, 401);
  assert.equal(s.requestForwarded, false);
  assert.equal(host.metric("__ROOT_ID__.denied"), 1);
  s.complete();
});

test("a valid key passes, without the key header", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "__ROOT_ID__", pluginConfig: config });
  const s = host.newHttpStream();
  s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "example.com", "x-api-key": "s3cret" }, { endOfStream: true });
  assert.equal(s.localResponse, null);
  assert.equal(s.requestHeaders.get("x-api-key"), undefined);
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
});
