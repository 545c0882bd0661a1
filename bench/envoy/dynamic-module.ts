// The native ceiling: add-header as an Envoy dynamic module (envoy.extensions.filters.http.dynamic_modules),
// a shared object Envoy loads with dlopen and calls directly — no sandbox, no VM. Envoy's own SDKs for
// it (Rust, Go, C++) live in Envoy's repository and are not served by the registries here, so the
// module is a small C file against the ABI (bench/peers/dynamic-module/add_header.c), built with gcc.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureApt } from "../../scripts/lib/setup-tools.mjs";
import { projectRoot } from "../../src/envoy/index.js";
import { stamped, treeHash, type PeerBuild } from "./build-cache.js";

const ABOUT = "add-header as an Envoy dynamic module (C against Envoy 1.40's dynamic-modules ABI), bench/peers/dynamic-module";

export function buildDynamicModule(dir: string, log: (m: string) => void): PeerBuild {
  const src = join(projectRoot, "bench", "peers", "dynamic-module");
  const out = join(dir, "libadd_header.so");
  try {
    stamped(out, `src:${treeHash(src)}`, () => {
      ensureApt(["gcc", "libc6-dev"], log);
      log("dynamic module: gcc -O2 -shared add_header.c");
      const r = spawnSync("gcc", ["-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-o", out, join(src, "add_header.c")], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`gcc failed: ${(r.stderr || r.error?.message || "").trim()}`);
    });
    return { ok: true, path: out, about: ABOUT };
  } catch (e) {
    return { ok: false, reason: (e as Error).message, about: ABOUT };
  }
}
