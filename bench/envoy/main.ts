#!/usr/bin/env node
// `npm run bench:envoy`: every variant (no filter, each Wasm filter, the chain, native and Lua
// equivalents, the Wasm floor, peers) in one run on this machine; see README.md.
//   npm run bench:envoy                      full run (~14 min): 4 rounds, direct + upstream, 500 and 1,000 req/s
//   npm run bench:envoy -- --quick           2 short rounds, 500 req/s (~2 min)
//   npm run bench:envoy -- --rounds 3 --only wasm-chain,lua-native-chain
//   npm run bench:envoy -- --render bench/results/bench-envoy.json   re-render its tables and charts
// A full run of every variant writes bench/results/bench-envoy.{json,md} and bench-envoy-{cpu,latency}.svg;
// any other run writes the same names with ".partial" before the extension (gitignored), leaving the
// committed results alone.
import { join } from "node:path";
import { projectRoot } from "../../src/envoy/index.js";
import { benchEnvoy, rerender } from "./bench.js";
import { FULL, QUICK, type BenchSettings } from "./run.js";
import { VARIANTS } from "./variants.js";

function usage(msg: string): never {
  console.error(`bench:envoy: ${msg}\nusage: npm run bench:envoy -- [--quick] [--rounds N] [--only id,id] [--no-open-loop] | --render <report.json>\nvariant ids: ${VARIANTS.map((v) => v.id).join(", ")}`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--render") {
    if (!args[1]) usage("--render needs the report's JSON file");
    const r = rerender(args[1]);
    console.log(`${r.markdown}\n\nwrote ${Object.values(r.files).join(", ")}`);
    return;
  }
  let settings: BenchSettings = { ...FULL };
  let only: string[] | undefined;
  let noOpenLoop = false;
  let partial = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--quick") { settings = { ...QUICK }; partial = true; }
    else if (a === "--rounds") {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 1) usage("--rounds needs a positive integer");
      settings.rounds = n;
      partial ||= n < FULL.rounds;
    } else if (a === "--only") {
      only = (args[++i] ?? "").split(",").filter(Boolean);
      const unknown = only.filter((id) => !VARIANTS.some((v) => v.id === id));
      if (!only.length || unknown.length) usage(`--only: unknown variant id(s) ${unknown.join(", ") || "(none given)"}`);
      partial = true;
    } else if (a === "--no-open-loop") { noOpenLoop = true; partial = true; }
    else usage(`unknown argument ${a}`);
  }
  const report = await benchEnvoy({ settings, only, noOpenLoop, outDir: join(projectRoot, "bench", "results"), baseName: "bench-envoy", partial });
  console.log(`\n${report.markdown}\n`);
  for (const s of report.skipped) console.log(`not run: ${s.variant}: ${s.reason.split("\n")[0]}`);
  console.log(`\nwrote ${Object.values(report.files).map((f) => f.replace(projectRoot, "")).join(", ")}`);
}

main().catch((e) => { console.error(`bench:envoy: ${e instanceof Error ? e.message : e}`); process.exit(1); });
