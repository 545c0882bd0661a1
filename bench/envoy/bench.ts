// bench:envoy end to end: tools and peers ready → interleaved rounds → summary → report files.
// Used by main.ts (the command) and by the test (a tiny run into a temporary folder).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { basename, dirname, join, relative } from "node:path";
// Plain .mjs modules of the project's scripts.
import { ensureApt } from "../../scripts/lib/setup-tools.mjs";
import { ensureVegeta } from "../../scripts/setup-load.mjs";
import { build } from "../../scripts/build.mjs";
import { buildBenchModules } from "./wasm-modules.js";
import { envoyInstall, modulePath, isWasmFilter, projectRoot } from "../../src/envoy/index.js";
import { ensurePeer } from "./peers.js";
import { compactTable, cpuChart, cpuTable, latencyChart, latencyTable } from "./report.js";
import { coreLayout, cpuModel } from "./proc.js";
import { runRounds, type BenchSettings, type Sample } from "./run.js";
import { summarise, type VariantSummary } from "./summary.js";
import { VARIANTS, type Variant } from "./variants.js";

export interface BenchRun {
  settings: BenchSettings;
  /** Variant ids to run (default all); the baseline "none" is always included. */
  only?: string[];
  /** Where the report files go, and their base name. */
  outDir: string;
  baseName: string;
  /** A partial run (fewer rounds or variants): files get ".partial" before the extension (gitignored). */
  partial?: boolean;
  /** Skip the open loop (no vegeta needed). */
  noOpenLoop?: boolean;
  log?: (m: string) => void;
}

export interface BenchReport {
  benchmark: string;
  date: string;
  machine: Record<string, string | number>;
  method: string;
  settings: BenchSettings;
  skipped: { variant: string; reason: string }[];
  variants: VariantSummary[];
  samples: Sample[];
  files: { json: string; markdown: string; cpuChart: string; latencyChart: string };
  markdown: string;
}

export const METHOD = "Envoy --concurrency 1 pinned (taskset) to one core; wrk, vegeta and the upstream (a second Envoy answering directly) pinned to the other. "
  + "Per variant and round a fresh Envoy; closed loop (wrk, 1 thread) after a warm-up: Envoy CPU µs/request = Δ(utime+stime) of the Envoy process from /proc/<pid>/stat ÷ requests wrk completed; "
  + "open loop (vegeta, constant arrival rate): latency percentiles over every request. Rounds interleave the variants (each round starts one variant later); "
  + "ratios and added µs are taken against the no-filter Envoy of the same round, then summarised (median, min–max).";

export function machine(): Record<string, string | number> {
  const layout = coreLayout();
  return {
    cpu: cpuModel(), cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version,
    envoy: envoyInstall()?.versionLine ?? "unknown", pinning: layout.pinned ? `Envoy on CPU ${layout.envoy}, load generator + upstream on CPU ${layout.generator}` : "none (one CPU)",
    loadavgAtStart: loadavg().map((l) => l.toFixed(2)).join(" "),
    note: "a shared machine (other agents' builds run beside the benchmark): compare within one run (same-round ratios), not across machines",
  };
}

/** Renders the tables and charts of a report and writes its four files (paths in the JSON relative to the project). */
export function writeReport(report: BenchReport): void {
  const { machine: m, settings: s, variants: summary, files } = report;
  const subtitle = `${m.cpu}, ${m.cores} cores (shared); Envoy 1.40 --concurrency 1 on its own core; ${s.rounds} interleaved rounds; ${report.date.slice(0, 10)}`;
  report.markdown = [
    `Envoy CPU per request (closed loop, ${s.connections} connections, ${s.closedSeconds} s per run; median over ${s.rounds} rounds, min–max; added = over no filter in the same round):`, "",
    compactTable(summary, s.modes), "",
    "Every figure, both modes (× no filter = ratio to the no-filter Envoy of the same round, median over rounds):", "",
    cpuTable(summary, s.modes), "",
    `Latency, open loop (median over rounds of each run's percentile; ${s.openSeconds} s per rate):`, "",
    latencyTable(summary, s.modes), "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; ${m.envoy}; ${m.pinning}. Load average ${m.loadavgAtStart} at start, ${m.loadavgAtEnd} at the end — ${m.note}.`,
  ].join("\n");
  const rel = (f: string) => relative(projectRoot, f);
  writeFileSync(files.json, JSON.stringify({ ...report, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, rel(v)])), markdown: undefined }, null, 2) + "\n");
  writeFileSync(files.markdown, `# bench:envoy\n\n${report.markdown}\n\nMethod: ${report.method}\n`);
  writeFileSync(files.cpuChart, cpuChart(summary, s.modes, subtitle) + "\n");
  writeFileSync(files.latencyChart, latencyChart(summary, s.modes, subtitle) + "\n");
}

/** Re-renders the Markdown and charts of a saved report (after a change to the report code). */
export function rerender(jsonPath: string): BenchReport {
  const report = JSON.parse(readFileSync(jsonPath, "utf8")) as BenchReport;
  const dir = dirname(jsonPath), base = basename(jsonPath, ".json");
  const partial = base.endsWith(".partial") ? ".partial" : "";
  const stem = partial ? base.slice(0, -partial.length) : base;
  report.files = { json: jsonPath, markdown: join(dir, `${base}.md`), cpuChart: join(dir, `${stem}-cpu${partial}.svg`), latencyChart: join(dir, `${stem}-latency${partial}.svg`) };
  writeReport(report);
  return report;
}

export async function benchEnvoy(run: BenchRun): Promise<BenchReport> {
  const log = run.log ?? ((m: string) => console.log(m));
  const s = run.settings;
  if (!envoyInstall()) throw new Error("Envoy is not set up: run `npm run setup:envoy` first");
  const wanted = VARIANTS.filter((v) => !run.only || v.id === "none" || run.only.includes(v.id));
  if (wanted.some((v) => v.filters.some((f) => isWasmFilter(f) && !f.module.startsWith("build/bench/") && !existsSync(modulePath(f.module))))) {
    log("building the modules (npm run build) …");
    await build();
  }
  // The benchmark's own modules (bench/envoy/wasm/) are rebuilt every run: seconds, never stale.
  buildBenchModules(wanted.flatMap((v) => v.filters.filter(isWasmFilter)), log);
  ensureApt(["wrk"], log);
  const vegeta = run.noOpenLoop ? null : ensureVegeta(log);
  const skipped: { variant: string; reason: string }[] = [];
  const variants: Variant[] = [];
  for (const v of wanted) {
    if (v.peer) {
      log(`peer ${v.peer}: building or reusing …`);
      const p = ensurePeer(v.peer, log);
      if (!p.ok) { skipped.push({ variant: v.id, reason: p.reason ?? "unknown" }); log(`peer ${v.peer}: not built — ${p.reason?.split("\n")[0]}`); continue; }
    }
    variants.push(v);
  }
  const perVariant = s.modes.length * (s.warmupSeconds + s.closedSeconds + (vegeta ? s.rates.length * s.openSeconds : 0)) + 1.5;
  log(`bench:envoy: ${variants.length} variants × ${s.rounds} rounds × ${s.modes.join(" + ")}; about ${Math.ceil((perVariant * variants.length * s.rounds) / 60)} min`);
  const m = machine();
  const samples = await runRounds(variants, s, { vegeta, wrk: "wrk" }, log);
  const summary = summarise(variants, samples, s.modes);
  for (const k of skipped) {
    const v = VARIANTS.find((x) => x.id === k.variant)!;
    summary.push({ id: v.id, label: v.label, kind: v.kind, equivalentOf: v.equivalentOf, rounds: 0, errors: [k.reason.split("\n")[0]], rssBytes: { median: NaN, min: NaN, max: NaN, q1: NaN, q3: NaN, n: 0 }, wasmVms: 0, linearMemoryBytes: 0, modes: {} });
  }
  m.loadavgAtEnd = loadavg().map((l) => l.toFixed(2)).join(" ");
  mkdirSync(run.outDir, { recursive: true });
  const file = (suffix: string, ext: string) => join(run.outDir, `${run.baseName}${suffix}${run.partial ? ".partial" : ""}.${ext}`);
  const files = { json: file("", "json"), markdown: file("", "md"), cpuChart: file("-cpu", "svg"), latencyChart: file("-latency", "svg") };
  const report: BenchReport = { benchmark: "bench:envoy", date: new Date().toISOString(), machine: m, method: METHOD, settings: s, skipped, variants: summary, samples, files, markdown: "" };
  writeReport(report);
  return report;
}
