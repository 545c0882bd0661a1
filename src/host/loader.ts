// Compiling and checking a module before any VM starts: ABI version and imports, with the errors
// Envoy (proxy-wasm-cpp-host) reports for them.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type AbiVersion, detectAbiVersion } from "./abi.js";
import { providedImports } from "./imports.js";

export class WasmLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmLoadError";
  }
}

const cache = new Map<string, { mtimeMs: number; module: WebAssembly.Module }>();

/** Compiles a module from a path (cached by path and mtime), bytes, or an already compiled module. */
export function compileModule(wasm: string | Uint8Array | WebAssembly.Module): WebAssembly.Module {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (typeof wasm !== "string") return new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  const path = resolve(wasm);
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    throw new WasmLoadError(`Wasm module not found: ${path} (build it with \`npm run build\`)`);
  }
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.module;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(readFileSync(path));
  } catch (e) {
    throw new WasmLoadError(`Failed to load Wasm code from ${path}: ${(e as Error).message}`);
  }
  cache.set(path, { mtimeMs, module });
  return module;
}

/** The module's ABI version; throws Envoy-shaped errors for a missing marker or a missing import. */
export function checkModule(module: WebAssembly.Module): AbiVersion {
  const abi = detectAbiVersion(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!abi) throw new WasmLoadError("Wasm VM failed: the module is missing the Proxy-Wasm ABI version marker (proxy_abi_version_0_2_1) or needs an unsupported version");
  const provided = providedImports(abi);
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "memory" || imp.kind === "table") continue;
    if (imp.kind !== "function" || !provided.has(`${imp.module}.${imp.name}`)) {
      throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`);
    }
  }
  return abi;
}
