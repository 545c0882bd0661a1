// What Envoy needs from a compiled module, checked before Envoy sees it, and the compiler errors
// that mean one known mistake, translated into the fix.
import { detectAbiVersion } from "../host/abi.js";
import { checkModule, WasmLoadError } from "../host/loader.js";

export const PROXY_EXPORT_LINE = 'export * from "proxy-wasm-as/assembly/proxy";';

export interface ModuleReport {
  abi: string | null;
  exports: string[];
  imports: string[];
  problems: { problem: string; fix: string }[];
}

/** The ABI marker, the allocator, the context callbacks and every import must be there for Envoy to load it. */
export function checkForEnvoy(bytes: Uint8Array, entry: string): ModuleReport {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  const abi = detectAbiVersion(exports);
  const problems: ModuleReport["problems"] = [];
  const fixExports = `add \`${PROXY_EXPORT_LINE}\` as the first line of ${entry}`;
  if (!abi || !exports.includes("proxy_on_context_create")) {
    problems.push({ problem: "the module does not export the proxy-wasm ABI (proxy_abi_version_0_2_1, proxy_on_context_create, …): Envoy refuses it", fix: fixExports });
  } else {
    if (!exports.includes("proxy_on_memory_allocate") && !exports.includes("malloc")) {
      problems.push({ problem: "no proxy_on_memory_allocate/malloc export: Envoy cannot hand the filter any data", fix: fixExports });
    }
    if (!exports.includes("memory")) problems.push({ problem: "no memory export", fix: "do not pass --noExportMemory to asc" });
    try {
      checkModule(module);
    } catch (e) {
      if (!(e instanceof WasmLoadError)) throw e;
      const env = /missing import: env\.abort/.test(e.message);
      problems.push({
        problem: e.message,
        fix: env
          ? "compile with --use abort=~lib/proxy-wasm-as/assembly/sdk/abort/proxy_abort (`proxy-wasm-as build` does): Envoy provides no env.abort"
          : "remove the @external declaration Envoy does not provide (only the proxy-wasm ABI and WASI are there)",
      });
    }
  }
  return { abi, exports, imports, problems };
}

/** A known compiler error, explained; null for anything else. */
export function explainCompileError(output: string, entry: string): string | null {
  if (/AS111/.test(output) && /proxy_abort/.test(output)) {
    return `the entry does not re-export the SDK's ABI layer, so asc cannot find the SDK's abort handler (the AS111 above).\n` +
      `  fix: add \`${PROXY_EXPORT_LINE}\` as the first line of ${entry}`;
  }
  if (/Cannot find module|File '.*proxy-wasm-as.*' not found/i.test(output)) {
    return "asc cannot find the SDK sources.\n  fix: run `npm install` (proxy-wasm-as must be in node_modules)";
  }
  return null;
}
