// as-pect: AssemblyScript unit tests (assembly/**/__tests__/*.spec.ts). Host functions a spec uses
// are answered by a tiny in-memory host below; every other import is a stub returning 0 (OK), so
// any SDK code can be linked. Filters are tested over their compiled .wasm in test/ with the real
// test host (src/host); these specs are for pure logic (parsers, matchers, bucket maths).
export default {
  entries: ["assembly/**/__tests__/**/*.spec.ts"],
  include: ["assembly/**/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const mod = new WebAssembly.Module(binary);
    let exports;
    const mem = () => new DataView(exports.memory ? exports.memory.buffer : memory.buffer);
    const shared = new Map();
    let cas = 1;
    const bytes = (ptr, len) => new Uint8Array(mem().buffer, ptr, len).slice();
    const giveBack = (data, retPtr, retLen) => {
      // The SDK frees what the host returns (heap.free): a spec that reads host buffers exports
      // `allocate as proxy_on_memory_allocate` so they come from the same allocator.
      const p = exports.proxy_on_memory_allocate
        ? exports.proxy_on_memory_allocate(data.length)
        : exports.__pin(exports.__new(data.length, 0));
      new Uint8Array(mem().buffer, p, data.length).set(data);
      mem().setUint32(retPtr, p, true);
      mem().setUint32(retLen, data.length, true);
    };
    const host = {
      proxy_get_log_level: (ret) => { mem().setUint32(ret, 2, true); return 0; },
      random_get: (ptr, len) => { crypto.getRandomValues(new Uint8Array(mem().buffer, ptr, len)); return 0; },
      proxy_get_shared_data: (kp, kl, rp, rl, rc) => {
        const k = Buffer.from(bytes(kp, kl)).toString();
        if (!shared.has(k)) return 1;
        const [v, c] = shared.get(k);
        giveBack(v, rp, rl);
        mem().setUint32(rc, c, true);
        return 0;
      },
      proxy_set_shared_data: (kp, kl, vp, vl, c) => {
        const k = Buffer.from(bytes(kp, kl)).toString();
        if (shared.has(k) && c !== 0 && shared.get(k)[1] !== c) return 8;
        shared.set(k, [bytes(vp, vl), ++cas]);
        return 0;
      },
    };
    const imports = { env: { memory } };
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (imp.kind !== "function") continue;
      imports[imp.module] ??= {};
      if (imports[imp.module][imp.name]) continue;
      imports[imp.module][imp.name] = host[imp.name] ?? (() => 0);
    }
    // The loader's instantiate is async: the host stubs need its exports (memory, allocator).
    const result = await instantiate(binary, createImports(imports));
    exports = result.exports;
    return result;
  },
  outputBinary: false,
};
