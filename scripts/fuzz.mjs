#!/usr/bin/env node
// `npm run fuzz`: the property-based tests of test/fuzz with many more runs than `npm test` gives
// them, progress on stderr, and the seed to replay a failure.
//   npm run fuzz                         5,000 runs per property, a fresh random seed
//   npm run fuzz -- --runs 20000 --seed 42 [file substring]
// Environment equivalents: FUZZ_RUNS, FUZZ_SEED. Replay a failure with the seed it printed
// (fast-check also prints the counterexample's path).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "./build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = args.splice(i, 2)[1];
  if (v === undefined) { console.error(`fuzz: --${name} needs a value, e.g. --${name} 42`); process.exit(2); }
  return v;
};
const runs = Number(opt("runs", process.env.FUZZ_RUNS ?? "5000"));
const seed = Number(opt("seed", process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31))));
const filter = args[0] ?? "";
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error("fuzz: --runs and --seed take whole numbers (e.g. npm run fuzz -- --runs 20000 --seed 42)");
  process.exit(2);
}

const dir = join(root, "test", "fuzz");
const files = readdirSync(dir).filter((f) => f.endsWith(".test.ts") && f.includes(filter)).map((f) => relative(root, join(dir, f)));
if (!files.length) { console.error(`fuzz: no test/fuzz/*.test.ts file matches "${filter}"`); process.exit(2); }

console.log(`fuzz: ${files.length} file(s), ${runs} runs per property, seed ${seed} (replay: npm run fuzz -- --runs ${runs} --seed ${seed}${filter ? " " + filter : ""})`);
await build(["trace-id", "tagging", "rate-limit"]);
const t0 = Date.now();
const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", ...files], {
  cwd: root, stdio: "inherit",
  env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed), FUZZ_PROGRESS: "1" },
});
child.on("close", (code) => {
  console.log(`\nfuzz: ${code === 0 ? "no property failed" : "a property FAILED"} — ${runs} runs per property, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (code !== 0) console.log(`fuzz: replay with: npm run fuzz -- --runs ${runs} --seed ${seed}${filter ? " " + filter : ""}`);
  process.exit(code ?? 1);
});
