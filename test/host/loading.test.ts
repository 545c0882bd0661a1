// Module loading as Envoy does it: ABI detection from the exported marker, per-ABI host functions,
// a missing import refused with Envoy's message. Small modules are written in WAT (binaryen).
import { test } from "node:test";
import assert from "node:assert/strict";
import binaryen from "binaryen";
import { ProxyHost, WasmLoadError } from "../../src/host/index.js";

function wat(text: string): Uint8Array {
  const m = binaryen.parseText(text);
  try {
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** A minimal filter: adds `x-abi: <tag>` to the request headers; `extraImport` adds one more import. */
function module(marker: string, extraImport = ""): Uint8Array {
  return wat(`(module
    (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
    ${extraImport}
    (memory (export "memory") 1)
    (data (i32.const 16) "x-abi")
    (data (i32.const 32) "${marker}")
    (global $heap (mut i32) (i32.const 1024))
    (func (export "${marker}"))
    (func (export "malloc") (param $n i32) (result i32) (local $p i32)
      (local.set $p (global.get $heap))
      (global.set $heap (i32.add (global.get $heap) (local.get $n)))
      (local.get $p))
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $add (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 32) (i32.const ${marker.length})))
      (i32.const 0)))`);
}

test("an ABI 0.2.0 module loads and runs", async () => {
  const host = await ProxyHost.create({ wasm: module("proxy_abi_version_0_2_0") });
  assert.equal(host.configured, true);
  const s = host.newHttpStream();
  assert.equal(s.sendRequestHeaders({ ":path": "/" }).action, "continue");
  assert.equal(s.requestHeaders.get("x-abi"), "proxy_abi_version_0_2_0");
});

test("a missing import fails to load with Envoy's message", async () => {
  const bad = module("proxy_abi_version_0_2_1", `(import "env" "proxy_foo" (func $foo (result i32)))`);
  await assert.rejects(ProxyHost.create({ wasm: bad }), (e: unknown) =>
    e instanceof WasmLoadError && e.message === "Failed to load Wasm module due to a missing import: env.proxy_foo");
});

test("host functions are registered per ABI version, as in proxy-wasm-cpp-host", async () => {
  // proxy_get_log_level exists only from 0.2.1; proxy_clear_route_cache only in 0.1.0.
  const logLevel = `(import "env" "proxy_get_log_level" (func $l (param i32) (result i32)))`;
  await assert.rejects(ProxyHost.create({ wasm: module("proxy_abi_version_0_2_0", logLevel) }), /missing import: env\.proxy_get_log_level/);
  assert.equal((await ProxyHost.create({ wasm: module("proxy_abi_version_0_2_1", logLevel) })).configured, true);
  const clearRoute = `(import "env" "proxy_clear_route_cache" (func $c (result i32)))`;
  await assert.rejects(ProxyHost.create({ wasm: module("proxy_abi_version_0_2_1", clearRoute) }), /missing import: env\.proxy_clear_route_cache/);
  assert.equal((await ProxyHost.create({ wasm: module("proxy_abi_version_0_1_0", clearRoute) })).configured, true);
  const wasiUnstable = `(import "wasi_unstable" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))`;
  assert.equal((await ProxyHost.create({ wasm: module("proxy_abi_version_0_2_1", wasiUnstable) })).configured, true);
});

test("a module without an ABI marker is refused", async () => {
  await assert.rejects(ProxyHost.create({ wasm: module("not_a_marker") }), /missing the Proxy-Wasm ABI version marker/);
});

test("every SDK module built here links against the host (no import Envoy would not provide)", async () => {
  for (const name of ["add-header", "abi-probe"]) {
    const host = await ProxyHost.create({ wasm: `build/${name}.wasm`, failurePolicy: "FAIL_OPEN" });
    assert.equal(host.vms.length, 1);
  }
});
