#!/usr/bin/env node
// Does a wasm-opt post-pass help? For each build/*.wasm: size after asc -O3 (as built), after
// wasm-opt -O3 / -Oz on top, and with asc -Oz instead; then per-request time of add-header variants
// in the test host (best of 5 rounds). Run: `npm run measure:wasm-opt` (after `npm run build`).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RELEASE_FLAGS, targets } from "./build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (n) => join(root, "node_modules/.bin", n);
const FEATURES = ["--enable-bulk-memory", "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-mutable-globals"];
const tmp = mkdtempSync(join(tmpdir(), "wasm-opt-"));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stderr}`);
};
const size = (f) => statSync(f).size;
const pct = (a, b) => `${(((b - a) / a) * 100).toFixed(1)}%`;

try {
  const entries = new Map(targets().map((t) => [t.name, t.entry]));
  const rows = [];
  const variants = {};
  for (const file of readdirSync(join(root, "build")).filter((f) => f.endsWith(".wasm")).sort()) {
    const name = file.slice(0, -5);
    const base = join(root, "build", file);
    const o3 = join(tmp, `${name}.wo-O3.wasm`), oz = join(tmp, `${name}.wo-Oz.wasm`), ascOz = join(tmp, `${name}.asc-Oz.wasm`);
    run(bin("wasm-opt"), [base, "-O3", ...FEATURES, "-o", o3]);
    run(bin("wasm-opt"), [base, "-Oz", ...FEATURES, "-o", oz]);
    const row = { module: name, "asc -O3": size(base), "+wasm-opt -O3": `${size(o3)} (${pct(size(base), size(o3))})`, "+wasm-opt -Oz": `${size(oz)} (${pct(size(base), size(oz))})` };
    if (entries.has(name)) {
      run(bin("asc"), [entries.get(name), "-o", ascOz, ...RELEASE_FLAGS.filter((f) => f !== "-O3"), "-Oz"]);
      row["asc -Oz"] = `${size(ascOz)} (${pct(size(base), size(ascOz))})`;
    }
    rows.push(row);
    if (name === "add-header") Object.assign(variants, { "asc -O3": base, "+wasm-opt -O3": o3, "+wasm-opt -Oz": oz, "asc -Oz": ascOz });
  }
  console.table(rows);

  if (Object.keys(variants).length) {
    const { ProxyHost } = await import("../src/host/index.ts");
    const N = 100_000;
    const best = {};
    for (let round = 0; round < 5; round++) {
      for (const [label, wasm] of Object.entries(variants)) {
        const host = await ProxyHost.create({ wasm, rootId: "add_header" });
        const once = () => {
          const s = host.newHttpStream();
          s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "x" }, { endOfStream: true });
          s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
          s.complete();
        };
        for (let i = 0; i < 10_000; i++) once();
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < N; i++) once();
        const us = Number(process.hrtime.bigint() - t0) / N / 1000;
        best[label] = Math.min(best[label] ?? Infinity, us);
      }
    }
    console.log("add-header request lifecycle in the test host (host included), best of 5 × 100k:");
    console.table(Object.entries(best).map(([variant, us]) => ({ variant, "µs/request": us.toFixed(2) })));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
