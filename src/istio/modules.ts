// The modules a manifest can point at, in the project at hand (the working directory: this
// repository or a project made with `proxy-wasm-as new`): name → build/<name>.wasm and the root ids
// its source registers (`registerRootContext(factory, "root_id")`). The SDK lets a module with a single root context
// serve any plugin name, so Envoy would not complain about a wrong `pluginName`; the registration
// in the source is what the module's author meant, and the manifest must name it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export interface ModuleInfo {
  name: string;
  /** build/<name>.wasm */
  wasm: string;
  /** Root ids the module's source registers. */
  rootIds: string[];
}

/** Where a module's source lives: this repository's layout, or a one-module project's assembly/. */
function sourceDir(name: string, root: string): string | undefined {
  for (const d of [join(root, "assembly/filters", name), join(root, "examples", name, "assembly")]) {
    if (existsSync(d)) return d;
  }
  // A project of its own (one module): its assembly/ — not this repository's SDK sources.
  return existsSync(join(root, "assembly/filters")) ? undefined : existsSync(join(root, "assembly")) ? join(root, "assembly") : undefined;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) { if (n !== "__tests__") tsFiles(p, out); } else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Root ids registered in the module's AssemblyScript source. */
export function registeredRootIds(name: string, root = process.cwd()): string[] {
  const dir = sourceDir(name, root);
  if (!dir) return [];
  const ids = new Set<string>();
  for (const f of tsFiles(dir)) {
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/registerRootContext\([\s\S]*?,\s*"([^"]+)"\s*\)/g)) ids.add(m[1]);
    for (const m of text.matchAll(/registerChain\(\s*"([^"]+)"/g)) ids.add(m[1]); // sdk/chain.ts
  }
  return [...ids];
}

export function moduleInfo(name: string, root = process.cwd()): ModuleInfo {
  return { name, wasm: resolve(root, "build", `${name}.wasm`), rootIds: registeredRootIds(name, root) };
}

/** A module argument: a .wasm path (relative to the working directory) or a name built to build/<name>.wasm. */
export const moduleFile = (arg: string) => (arg.endsWith(".wasm") ? resolve(arg) : resolve("build", `${arg}.wasm`));
