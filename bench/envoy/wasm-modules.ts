// Modules only the benchmark uses (bench/envoy/wasm/*.ts), compiled with the release flags into
// build/bench/ — next to what `npm run build` makes, never shipped.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-ignore: plain ESM build script without type declarations
import { RELEASE_FLAGS } from "../../scripts/build.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The module path (relative to the project) bench variants name for bench/envoy/wasm/<name>.ts. */
export const benchModule = (name: string) => `build/bench/${name}.wasm`;

/** Compiles bench/envoy/wasm/<name>.ts (a few seconds); throws with asc's output when it fails. */
export function buildBenchModule(name: string): void {
  mkdirSync(join(root, "build", "bench"), { recursive: true });
  const r = spawnSync(join(root, "node_modules", ".bin", "asc"),
    [`bench/envoy/wasm/${name}.ts`, "-o", benchModule(name), ...RELEASE_FLAGS], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`asc bench/envoy/wasm/${name}.ts failed:\n${r.stderr}`);
}

/** Builds every bench-only module the variants' Wasm filters name (rebuilt each time: seconds, never stale). */
export function buildBenchModules(filters: { module?: string }[], log: (m: string) => void = () => {}): void {
  const names = new Set(filters.map((f) => f.module).filter((m): m is string => !!m && m.startsWith("build/bench/")));
  for (const m of names) {
    log(`building ${m} …`);
    buildBenchModule(m.slice("build/bench/".length, -".wasm".length));
  }
}
