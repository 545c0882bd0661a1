#!/usr/bin/env node
// `npm run soak`: the Wasm chain at a steady rate for a bounded time; Envoy RSS and each VM's linear
// memory over time; says flat or not. Writes bench/results/soak.json and soak.svg.
//   npm run soak                               3 minutes at 500 req/s, a sample every 5 s
//   npm run soak -- --seconds 600 --rate 2000 --interval 10
import { join } from "node:path";
import { existsSync } from "node:fs";
import { projectRoot, envoyInstall, modulePath } from "../../src/envoy/index.js";
import { build } from "../../scripts/build.mjs";
import { ensureVegeta } from "../../scripts/setup-load.mjs";
import { SOAK_DEFAULT, soak, writeSoak, type SoakSettings } from "./soak.js";

function usage(msg: string): never {
  console.error(`soak: ${msg}\nusage: npm run soak -- [--seconds N] [--rate R] [--interval S] [--keys K] [--connections N]`);
  process.exit(2);
}

async function main() {
  const s: SoakSettings = { ...SOAK_DEFAULT };
  const args = process.argv.slice(2);
  const keys: Record<string, keyof SoakSettings> = { "--seconds": "seconds", "--rate": "rate", "--interval": "interval", "--keys": "keys", "--connections": "maxConnections" };
  for (let i = 0; i < args.length; i++) {
    const k = keys[args[i]];
    if (!k) usage(`unknown argument ${args[i]}`);
    const n = Number(args[++i]);
    if (!Number.isFinite(n) || n <= 0) usage(`${args[i - 1]} needs a positive number`);
    (s as unknown as Record<string, number>)[k] = n;
  }
  if (s.seconds > 3600) usage("--seconds: at most 3600 (a soak here is bounded)");
  if (!envoyInstall()) usage("Envoy is not set up: run `npm run setup:envoy` first");
  if (["trace-id", "rate-limit", "tagging"].some((m) => !existsSync(modulePath(m)))) await build();
  const vegeta = ensureVegeta((m: string) => console.log(m));
  console.log(`soak: wasm chain, ${s.rate}/s for ${s.seconds} s over ${s.keys} keys, a sample every ${s.interval} s`);
  const r = await soak(s, vegeta, (m) => console.log(m));
  const files = writeSoak(r, join(projectRoot, "bench", "results"));
  console.log(`\n${r.verdict.summary}\nwrote ${files.json.replace(projectRoot, "")}, ${files.svg.replace(projectRoot, "")}`);
  if (!r.verdict.flat) process.exitCode = 1;
}

main().catch((e) => { console.error(`soak: ${e instanceof Error ? e.message : e}`); process.exit(1); });
