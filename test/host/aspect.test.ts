// The as-pect front-end's setup errors (the specs themselves run under as-pect: assembly/**/__tests__).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AspectSession, AspectSetupError, instantiateWithHost } from "../../src/host/aspect.js";

test("a spec module without the proxy-wasm exports is refused with the fix", () => {
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.throws(() => new AspectSession(empty), (e: Error) =>
    e instanceof AspectSetupError && /does not export the proxy-wasm ABI/.test(e.message) && /export \{ default \} from "proxy-wasm-as\/aspect"/.test(e.message));
});

/** A module importing `custom.thing` and exporting the two names the front-end looks for. */
function moduleWithImport(): Uint8Array {
  const str = (t: string) => [t.length, ...new TextEncoder().encode(t)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 0]),                                   // type 0: () -> ()
    ...section(2, [1, ...str("custom"), ...str("thing"), 0x00, 0]),   // import custom.thing: type 0
    ...section(3, [2, 0, 0]),                                         // two functions of type 0
    ...section(7, [2, ...str("proxy_abi_version_0_2_1"), 0x00, 1, ...str("proxy_on_context_create"), 0x00, 2]),
    ...section(10, [2, 2, 0, 0x0b, 2, 0, 0x0b]),
  ]);
}

test("an import nobody provides is named, with where to supply it", () => {
  const session = new AspectSession(moduleWithImport());
  assert.throws(() => session.imports({ env: {} }), (e: Error) =>
    e instanceof AspectSetupError && /the spec imports custom\.thing/.test(e.message) && /aspectConfig\(\{ imports:/.test(e.message));
  // With it supplied, everything the filter and the spec need is there.
  const imports = session.imports({ custom: { thing: () => {} } });
  assert.equal(typeof imports.env.proxy_log, "function");
  assert.equal(typeof imports.proxy_test.host_create, "function");
  assert.equal(typeof imports.wasi_snapshot_preview1.proc_exit, "function", "WASI (the SDK's abort exits through proc_exit)");
});

test("the instantiate hook serves a module as VM 0: a host created from the test-control imports configures it", async () => {
  const binary = readFileSync("build/add-header.wasm");
  let imports: any;
  const hook = instantiateWithHost();
  const result = await hook(new WebAssembly.Memory({ initial: 1 }), (i) => i, async (b, i) => {
    imports = i;
    const { instance } = await WebAssembly.instantiate(b, i as WebAssembly.Imports);
    (instance.exports._initialize as () => void)();
    return { instance, exports: instance.exports };
  }, binary);
  assert.ok(result.instance);
  // What a spec's TestHost.create does, called from JS: options as UTF-8 JSON in the module's memory.
  const mem = result.exports.memory as WebAssembly.Memory;
  const json = new TextEncoder().encode(JSON.stringify({ rootId: "add_header", config: "hi" }));
  const p = (result.exports.proxy_on_memory_allocate as (n: number) => number)(json.length);
  new Uint8Array(mem.buffer, p, json.length).set(json);
  const h = imports.proxy_test.host_create(p, json.length);
  assert.equal(imports.proxy_test.host_configured(h), 1);
  const s = imports.proxy_test.host_new_stream(h, -1, 0, 0);
  assert.equal(s, 0);
});
