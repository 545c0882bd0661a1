// The modules a manifest can point at: name → compiled file and the root ids its source registers
// (`registerRootContext(factory, "root_id")`). The SDK lets a module with a single root context
// serve any plugin name, so Envoy would not complain about a wrong `pluginName`; the registration
// in the source is what the module's author meant, and the manifest must name it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../envoy/binary.js";

export interface ModuleInfo {
  name: string;
  /** build/<name>.wasm */
  wasm: string;
  /** Root ids the module's source registers. */
  rootIds: string[];
}

function sourceDir(name: string): string | undefined {
  for (const d of [join(projectRoot, "assembly/filters", name), join(projectRoot, "examples", name, "assembly")]) {
    if (existsSync(d)) return d;
  }
  return undefined;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) { if (n !== "__tests__") tsFiles(p, out); } else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Root ids registered in the module's AssemblyScript source. */
export function registeredRootIds(name: string): string[] {
  const dir = sourceDir(name);
  if (!dir) return [];
  const ids = new Set<string>();
  for (const f of tsFiles(dir)) {
    for (const m of readFileSync(f, "utf8").matchAll(/registerRootContext\([\s\S]*?,\s*"([^"]+)"\s*\)/g)) ids.add(m[1]);
  }
  return [...ids];
}

export function moduleInfo(name: string): ModuleInfo {
  return { name, wasm: join(projectRoot, "build", `${name}.wasm`), rootIds: registeredRootIds(name) };
}
