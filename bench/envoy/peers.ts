// Peers built from other SDKs for bench:envoy, into .tools/peers/ (gitignored), reused while their
// sources are unchanged. A peer that cannot be built on this machine is reported with the reason
// (the benchmark skips its variant and says why) instead of failing the run.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ensureApt, toolsDir } from "../../scripts/lib/setup-tools.mjs";
import { projectRoot, type HttpFilter } from "../../src/envoy/index.js";
import { stamped, treeHash, type PeerBuild } from "./build-cache.js";
import { buildDynamicModule } from "./dynamic-module.js";

export type { PeerBuild };

export type PeerName = "rust-add-header" | "dynamic-module";

const peersDir = join(toolsDir as string, "peers");
const results = new Map<PeerName, PeerBuild>();

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: opts.timeout ?? 600_000, maxBuffer: 64 << 20, cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  return { code: r.error ? -1 : (r.status ?? -1), out: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}
const lastLines = (text: string, n: number) => text.trim().split("\n").filter((l) => !l.includes("check-cfg")).slice(-n).join("\n");

const RUST_ABOUT = "add-header on the Rust proxy-wasm SDK (crates.io proxy-wasm 0.2.2), bench/peers/rust";

/**
 * The Rust SDK peer. The only wasm32 standard library on Debian 12 is libstd-rust-dev-wasm32 for
 * Debian's rustc 1.63 (rustup serves only the host target here), so: the `cargo` on PATH (any
 * recent one) vendors the locked crates from crates.io, and Debian's cargo 0.66 + rustc 1.63 build
 * them offline, linked by wasm-ld (lld). proxy-wasm 0.2.2 is the newest release that rustc accepts
 * (0.2.3+ need Rust 1.68).
 */
function buildRustPeer(log: (m: string) => void): PeerBuild {
  const src = join(projectRoot, "bench", "peers", "rust");
  const target = join(peersDir, "rust-target");
  const out = join(peersDir, "add-header-rust.wasm");
  try {
    stamped(out, `src:${treeHash(src)}`, () => {
      log("rust peer: installing Debian's rustc, wasm32 std, cargo and lld (apt) if missing");
      ensureApt(["rustc", "libstd-rust-dev-wasm32", "cargo", "lld"], log);
      mkdirSync(target, { recursive: true });
      const vendor = join(target, "vendor");
      log("rust peer: vendoring the locked crates (cargo vendor)");
      const v = sh("cargo", ["vendor", "--locked", vendor], { cwd: src });
      if (v.code !== 0) throw new Error(`cargo vendor failed (a cargo ≥ 1.68 on PATH and crates.io reachable are needed):\n${lastLines(v.out, 6)}`);
      log("rust peer: building with Debian's cargo 0.66 + rustc 1.63 for wasm32-unknown-unknown");
      const b = sh("/usr/bin/cargo", [
        "build", "--offline", "--locked", "--release", "--target", "wasm32-unknown-unknown",
        "--config", "source.crates-io.replace-with='vendored'",
        "--config", `source.vendored.directory='${vendor}'`,
        "--config", "target.wasm32-unknown-unknown.linker='wasm-ld'",
      ], { cwd: src, env: { RUSTC: "/usr/bin/rustc", CARGO_TARGET_DIR: target } });
      if (b.code !== 0) throw new Error(`cargo build failed:\n${lastLines(b.out, 10)}`);
      copyFileSync(join(target, "wasm32-unknown-unknown", "release", "add_header_rust.wasm"), out);
    });
    return { ok: true, path: out, about: RUST_ABOUT };
  } catch (e) {
    return { ok: false, reason: (e as Error).message, about: RUST_ABOUT };
  }
}

/** Builds (or reuses) a peer; the result is remembered for the rest of the process. */
export function ensurePeer(name: PeerName, log: (m: string) => void = (m) => console.log(m)): PeerBuild {
  let r = results.get(name);
  if (!r) {
    mkdirSync(peersDir, { recursive: true });
    r = name === "rust-add-header" ? buildRustPeer(log) : buildDynamicModule(peersDir, log);
    results.set(name, r);
  }
  return r;
}

/** The filter entry of a built peer; throws the build's reason when it could not be built. */
export function peerModule(name: PeerName): HttpFilter {
  const r = ensurePeer(name);
  if (!r.ok || !r.path) throw new Error(`peer ${name} not built: ${r.reason}`);
  if (name === "rust-add-header") return { module: r.path, rootId: "add_header", vmId: "rust-add-header", config: "bench" };
  return dynamicModuleFilter(r.path);
}

function dynamicModuleFilter(path: string): HttpFilter {
  return {
    name: "envoy.extensions.filters.http.dynamic_modules",
    typedConfig: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
      dynamic_module_config: { module: { local: { filename: path } } },
      filter_name: "add_header",
      filter_config: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: "bench" },
    },
  };
}
