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
