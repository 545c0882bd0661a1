// Checks a compiled module against the ABI 0.2.1 table: shared by the manifest and packaging tests.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ABI_IMPORTS, ABI_EXPORTS, REQUIRED_EXPORTS, FORBIDDEN_IMPORTS, importKey, sigText } from "./abi.js";
import { readManifest, type Manifest } from "./wasm-manifest.js";

const importTable = new Map(ABI_IMPORTS.map((i) => [importKey(i), i]));
const exportTable = new Map(ABI_EXPORTS.map((e) => [e.name, e]));

/** Problems with a module's manifest, as readable lines (empty = conforms). */
export function check(m: Manifest): string[] {
  const problems: string[] = [];
  for (const i of m.imports) {
    const key = importKey(i);
    if (FORBIDDEN_IMPORTS.has(i.name)) { problems.push(`imports ${key}, which Envoy does not register under ABI 0.2.x`); continue; }
    const want = importTable.get(key);
    if (!want) problems.push(`imports ${key} ${sigText(i)}, which is not in ABI 0.2.1`);
    else if (sigText(i) !== sigText(want)) problems.push(`imports ${key} as ${sigText(i)}; the ABI says ${sigText(want)}`);
  }
  for (const o of m.otherImports) problems.push(`imports a ${o.kind} ${o.module}.${o.name}; the host provides functions only`);
  const exports = new Map(m.exports.map((e) => [e.name, e]));
  for (const want of REQUIRED_EXPORTS) {
    const got = exports.get(want.name);
    if (!got) problems.push(`does not export ${want.name}`);
    else if (got.kind !== "function" || sigText(got as any) !== sigText(want)) {
      problems.push(`exports ${want.name} as ${got.kind} ${got.kind === "function" ? sigText(got as any) : ""}; the ABI says ${sigText(want)}`);
    }
  }
  const mem = exports.get("memory");
  if (!mem || mem.kind !== "memory") problems.push("does not export its memory as `memory`");
  for (const e of m.exports) {
    const want = exportTable.get(e.name);
    if (want && e.kind === "function" && sigText(e as any) !== sigText(want)) {
      if (!REQUIRED_EXPORTS.includes(want)) problems.push(`exports ${e.name} as ${sigText(e as any)}; the ABI says ${sigText(want)}`);
    }
    // A misspelt or invented callback is never called by the host: catch it here.
    if (e.name.startsWith("proxy_") && !want) problems.push(`exports ${e.name}, which is not an ABI 0.2.1 function`);
  }
  return problems;
}

export function manifestOf(file: string): Manifest {
  const bytes = readFileSync(file);
  const m = readManifest(bytes);
  // Cross-check the section parser against the engine's own view of the module.
  const mod = new WebAssembly.Module(bytes);
  assert.deepEqual(
    m.imports.map(importKey).concat(m.otherImports.map(importKey)).sort(),
    WebAssembly.Module.imports(mod).map(importKey).sort(), `${file}: import parser disagrees with V8`);
  assert.deepEqual(m.exports.map((e) => e.name).sort(), WebAssembly.Module.exports(mod).map((e) => e.name).sort());
  return m;
}

