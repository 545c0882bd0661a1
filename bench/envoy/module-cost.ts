#!/usr/bin/env node
// `npm run bench:modules`: what module size costs — V8 compile time (Node, Liftoff and TurboFan) and,
// in Envoy, time to ready and memory per Wasm VM — for add-header, trace-id, tagging, rate-limit and
// the chain, next to Envoy with no filter. See README.md, "Module size: compile time and memory".
//   npm run bench:modules                          3 interleaved rounds (~3 min)
//   npm run bench:modules -- --rounds 5 --compile-runs 25
//   npm run bench:modules -- --only add-header,chain --rounds 1
//   npm run bench:modules -- --render bench/results/module-cost.json   re-render its table and chart
// A full run writes bench/results/module-cost.{json,md,svg}; fewer rounds or modules than the full
// run write the same names with ".partial" before the extension (gitignored).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-ignore: plain ESM build script without type declarations
import { build } from "../../scripts/build.mjs";
import { envoyInstall, modulePath, projectRoot } from "../../src/envoy/index.js";
import { machine } from "./bench.js";
import { DEFAULTS, MODULE_VARIANTS, measureModuleCost, type ModuleCostData, type ModuleCostSettings } from "./module-cost-run.js";
import { fitLines, fixedTable, makeupTable, moduleChart, moduleTable, perVmTable } from "./module-cost-report.js";

export const METHOD = "Module shape from the module's sections (functions = the code section's count). "
  + "Node: `new WebAssembly.Module(bytes)` in a child `node` per set of V8 flags, every compile on bytes of its own (V8 caches modules by their bytes), median of the runs; "
  + "Liftoff = --no-wasm-lazy-compilation, TurboFan = --no-liftoff --no-wasm-lazy-compilation (every function compiled up front). "
  + "Envoy 1.40 (not pinned), one fresh Envoy per module × concurrency × round, rounds interleaved (each starts one step later): ready = startEnvoy() called → admin /ready 200 and the listener's port read; "
  + "module load = Envoy's log at wasm:debug, 'Base Wasm created' → first 'Thread-Local Wasm created'; then the requests, each on a fresh connection (spread over the workers), then RSS and its split by mapping (/proc/<pid>/smaps) and the VMs' linear memories. "
  + "Per VM = (RSS@4 − RSS@1) / 3 (three more workers, each with its own VM), minus the same for no filter in the same round; 'added' figures are taken round by round, then median (min…max).";

export interface ModuleCostReport {
  benchmark: "bench:modules";
  date: string;
  commit: string;
  machine: Record<string, string | number>;
  method: string;
  data: ModuleCostData;
  files: { json: string; markdown: string; chart: string };
  markdown: string;
}

function commit(): string {
  try { return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: projectRoot, encoding: "utf8" }).trim(); } catch { return "unknown"; }
}

export function renderMarkdown(r: Omit<ModuleCostReport, "markdown" | "files">): string {
  const { data: d, machine: m } = r;
  const s = d.settings;
  const [lo, hi] = s.concurrency;
  return [
    `Module size: compile time and memory (${d.roundsRun} interleaved round(s) in Envoy, ${s.requests} requests per Envoy; Node compile: median of ${s.compileRuns} runs; "added" = over no filter in the same round, median (min…max)):`, "",
    moduleTable(d.summary, s), "",
    `Node compile: every function compiled up front (Node's own default compiles lazily; that figure, decode + validate only, is in the JSON as "lazy"). Envoy module load: from Envoy's log. Per-VM: (RSS@${hi} − RSS@${lo}) / ${hi - lo} minus the same for no filter; linear memory: resident of the VM's current size.`, "",
    "Against size (a straight line through the modules' medians):", "",
    fitLines(d.summary, s), "",
    `Where the memory at --concurrency ${lo} goes (added over no filter, same round, median):`, "",
    fixedTable(d.summary, s), "",
    `One VM, split (per added worker at --concurrency ${hi}, added over no filter, median over rounds; the parts are medians too, so they need not add up exactly):`, "",
    perVmTable(d.summary), "",
    "What the modules are made of (sections with their headers):", "",
    makeupTable(d.summary), "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node}; ${m.envoy}. Load average ${m.loadavgAtStart} at start, ${m.loadavgAtEnd} at the end (shared machine). Commit ${r.commit}.`,
  ].join("\n");
}

export interface ModuleCostOptions {
  settings?: Partial<ModuleCostSettings>;
  only?: string[];
  outDir: string;
  baseName?: string;
  partial?: boolean;
  log?: (m: string) => void;
}

/** Builds missing modules, measures, writes <baseName>{,.partial}.{json,md,svg} into outDir. */
export async function moduleCost(o: ModuleCostOptions): Promise<ModuleCostReport> {
  const log = o.log ?? ((msg: string) => console.log(msg));
  const settings: ModuleCostSettings = { ...DEFAULTS, ...o.settings };
  if (!envoyInstall()) throw new Error("Envoy is not set up: run `npm run setup:envoy` first");
  const missing = MODULE_VARIANTS.filter((v) => v.filter && (!o.only || o.only.includes(v.id)) && !existsSync(modulePath(v.filter.module))).map((v) => v.filter!.module);
  if (missing.length) { log(`building ${missing.join(", ")} (npm run build) …`); await build(missing); }
  const m = machine();
  delete m.pinning;
  m.note = "a shared machine: other builds may run beside the benchmark; compare within one run";
  const started = Date.now();
  const data = await measureModuleCost({ settings, only: o.only, log });
  m.loadavgAtEnd = loadavg().map((l) => l.toFixed(2)).join(" ");
  log(`measured in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  mkdirSync(o.outDir, { recursive: true });
  const base = o.baseName ?? "module-cost";
  const sfx = o.partial ? ".partial" : "";
  const files = { json: join(o.outDir, `${base}${sfx}.json`), markdown: join(o.outDir, `${base}${sfx}.md`), chart: join(o.outDir, `${base}${sfx}.svg`) };
  const report: ModuleCostReport = { benchmark: "bench:modules", date: new Date().toISOString(), commit: commit(), machine: m, method: METHOD, data, files, markdown: "" };
  writeFiles(report);
  return report;
}

/** Writes the report's three files (the JSON with paths relative to the project). */
function writeFiles(report: ModuleCostReport): void {
  const { files, data, machine: m } = report;
  report.markdown = renderMarkdown(report);
  const rel = (f: string) => relative(projectRoot, f);
  writeFileSync(files.json, JSON.stringify({ ...report, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, rel(v)])), markdown: undefined }, null, 2) + "\n");
  writeFileSync(files.markdown, report.markdown + "\n");
  const subtitle = `${m.cpu}, ${m.cores} cores (shared); Envoy 1.40, Node ${m.node}; ${data.roundsRun} round(s); ${report.date.slice(0, 10)}`;
  writeFileSync(files.chart, moduleChart(data.summary, data.settings, subtitle) + "\n");
}

/** Re-renders the Markdown and the chart of a written report from its JSON (same data, no measuring). */
export function rerenderModuleCost(jsonPath: string): ModuleCostReport {
  const report = JSON.parse(readFileSync(jsonPath, "utf8")) as ModuleCostReport;
  report.files = Object.fromEntries(Object.entries(report.files).map(([k, v]) => [k, join(projectRoot, v)])) as ModuleCostReport["files"];
  writeFiles(report);
  return report;
}

function usage(msg: string): never {
  console.error(`bench:modules: ${msg}\nusage: npm run bench:modules -- [--rounds N] [--compile-runs N] [--requests N] [--only id,id] | --render <report.json>\nmodule ids: ${MODULE_VARIANTS.filter((v) => v.filter).map((v) => v.id).join(", ")}`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--render") {
    if (!args[1]) usage("--render needs the report's JSON file");
    const r = rerenderModuleCost(args[1]);
    console.log(`${r.markdown}\n\nwrote ${[r.files.markdown, r.files.chart].map((f) => relative(projectRoot, f)).join(", ")}`);
    return;
  }
  const settings: Partial<ModuleCostSettings> = {};
  let only: string[] | undefined;
  const int = (a: string | undefined, name: string) => {
    const n = Number(a);
    if (!Number.isInteger(n) || n < 1) usage(`${name} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--rounds") settings.rounds = int(args[++i], a);
    else if (a === "--compile-runs") settings.compileRuns = int(args[++i], a);
    else if (a === "--requests") settings.requests = int(args[++i], a);
    else if (a === "--only") {
      only = (args[++i] ?? "").split(",").filter(Boolean);
      const unknown = only.filter((id) => !MODULE_VARIANTS.some((v) => v.id === id && v.filter));
      if (!only.length || unknown.length) usage(`--only: unknown module id(s) ${unknown.join(", ") || "(none given)"}`);
    } else usage(`unknown argument ${a}`);
  }
  // Results committed only from a run at least as thorough as the defaults, over every module.
  const partial = !!only || (settings.rounds ?? DEFAULTS.rounds) < DEFAULTS.rounds || (settings.compileRuns ?? DEFAULTS.compileRuns) < DEFAULTS.compileRuns
    || (settings.requests ?? DEFAULTS.requests) < DEFAULTS.requests;
  const r = await moduleCost({ settings, only, outDir: join(projectRoot, "bench", "results"), partial });
  console.log(`\n${r.markdown}\n\nwrote ${Object.values(r.files).map((f) => relative(projectRoot, f)).join(", ")}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => { console.error(`bench:modules: ${e instanceof Error ? e.stack ?? e.message : e}`); process.exit(1); });
}
