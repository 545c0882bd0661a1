// The single-headers example over its compiled module in the test host: HeaderLines sees every line of
// a repeated header (get_header_map_value would see only the first), and header bytes that are not
// valid UTF-8 cross the test host unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const WASM = "build/single-headers.wasm";
const BASE = { ":method": "GET", ":path": "/", ":authority": "example.com" };
const config = { headers: ["x-mesh-tag", "traceparent"] };

test("a header on one line passes; the same header on two lines is refused with 400", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "single_headers", pluginConfig: config });
  const one = host.newHttpStream();
  assert.equal(one.sendRequestHeaders({ ...BASE, "x-mesh-tag": "gray", "user-id": ["1", "2"] }).action, "continue");
  const two = host.newHttpStream();
  assert.equal(two.sendRequestHeaders({ ...BASE, "x-mesh-tag": ["beta", "gray"] }).localResponse?.status, 400);
  assert.equal(two.localResponse?.body, "repeated header: x-mesh-tag\n");
  const apart = host.newHttpStream();
  assert.equal(apart.sendRequestHeaders([...Object.entries(BASE), ["traceparent", "a"], ["x-other", "b"], ["traceparent", "c"]]).localResponse?.status,
    400, "lines of one header need not be adjacent");
  assert.equal(host.traps.length, 0);
});

test("the reader's tables grow past 64 lines and stay right", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "single_headers", pluginConfig: config });
  const many: [string, string][] = Object.entries(BASE);
  for (let i = 0; i < 500; i++) many.push([`x-h${i}`, "v"]);
  assert.equal(host.newHttpStream().sendRequestHeaders([...many]).action, "continue");
  many.push(["traceparent", "1"], ["traceparent", "2"]);
  assert.equal(host.newHttpStream().sendRequestHeaders(many).localResponse?.status, 400);
  assert.equal(host.newHttpStream().sendRequestHeaders(BASE).action, "continue", "a small map after a large one");
});

test("header values are byte-exact in the test host: invalid UTF-8 reaches the module and comes back unchanged", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "single_headers", pluginConfig: config });
  const s = host.newHttpStream();
  const bytes = Uint8Array.from([0x61, 0x62, 0xff, 0x63, 0x64, 0xc3]); // ab\xffcd\xc3
  s.sendRequestHeaders({ ...BASE, "x-request-id": bytes, "x-mesh-tag": Uint8Array.from([0xc1, 0xa7]) });
  assert.deepEqual(s.requestHeaders.getBytes("x-request-id"), bytes);
  assert.deepEqual(s.requestHeaders.getBytes("x-mesh-tag"), Uint8Array.from([0xc1, 0xa7]));
  assert.deepEqual(s.requestHeaders.getBytes("host"), undefined);
  assert.equal(s.requestHeaders.get(":authority"), "example.com", "valid UTF-8 reads as plain text");
});

test("a configuration without headers is refused with the field", async () => {
  const host = await ProxyHost.create({ wasm: WASM, rootId: "single_headers", pluginConfig: {} });
  assert.equal(host.configured, false);
  assert.match(host.logMessages("critical").join("\n"), /headers: is required/);
});
