// The soak: the Wasm chain (trace-id + rate-limit + tagging) at a steady open-loop rate for a bounded
// time, with Envoy's RSS, its Wasm VM count and every VM's linear memory sampled over the run. Traffic
// rotates over many users, API keys and trace headers so the filters' per-key state (rate-limit
// buckets, tags) is exercised, not one hot path. The verdict is "flat" when no VM's linear memory
// grew after the warm-up and RSS grew less than the tolerance.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { coreLayout, linearMemories, rssBytes, cpuMicros } from "./proc.js";
import { startUpstreamEnvoy, startVariant } from "./run.js";
import { UPSTREAM_PATH, VARIANTS } from "./variants.js";

export interface SoakSettings {
  seconds: number;
  rate: number;
  /** Seconds between samples. */
  interval: number;
  /** Samples before this share of the run are warm-up (V8 tier-up, first buckets): the verdict starts after it. */
  warmupShare: number;
  /** RSS growth after warm-up still called flat, bytes. */
  rssToleranceBytes: number;
  /** Distinct users / API keys in the traffic. */
  keys: number;
  /**
   * vegeta's workers (each one request at a time, on its own connection): without a bound a slow
   * Envoy makes the generator open ever more connections, and Envoy's memory then measures that.
   */
  maxConnections: number;
}

export const SOAK_DEFAULT: SoakSettings = { seconds: 180, rate: 500, interval: 5, warmupShare: 0.2, rssToleranceBytes: 4 << 20, keys: 500, maxConnections: 64 };

export interface SoakSample {
  t: number;
  rssBytes: number;
  wasmVms: number;
  /** Each VM's linear memory size by its address, bytes. */
  linearMemory: Record<string, number>;
  envoyCpuSeconds: number;
  /** Requests and downstream connections open at the sample (a VM's heap grows with the streams alive at once). */
  activeRequests: number;
  activeConnections: number;
}

export interface SoakReport {
  benchmark: string;
  date: string;
  variant: string;
  settings: SoakSettings;
  requests: number;
  success: number;
  statusCodes: Record<string, number>;
  /** vegeta's distinct errors (first few). */
  errors: string[];
  samples: SoakSample[];
  verdict: {
    flat: boolean;
    rssAfterWarmupBytes: number;
    rssEndBytes: number;
    rssGrowthBytes: number;
    /** Least-squares slope of RSS after warm-up, bytes per minute. */
    rssSlopeBytesPerMinute: number;
    linearMemory: { vm: string; afterWarmupBytes: number; endBytes: number }[];
    /** Most requests in flight at any sample before / after the warm-up: heaps grow with concurrency, not only with leaks. */
    maxActiveRequestsWarmup: number;
    maxActiveRequestsAfter: number;
    summary: string;
  };
}

/** vegeta targets: `keys` users and API keys in turn; every third request carries a valid traceparent. */
export function soakTargets(url: string, keys: number): string {
  const out: string[] = [];
  for (let i = 0; i < keys; i++) {
    out.push(`GET ${url}`, `user-id: ${1000 + i}`, `x-api-key: key-${i}`);
    if (i % 3 === 0) out.push(`traceparent: 00-${(i + 1).toString(16).padStart(32, "0")}-${(i + 7).toString(16).padStart(16, "0")}-01`);
    out.push("");
  }
  return out.join("\n");
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den ? num / den : 0;
}

function attack(vegeta: string, targetsFile: string, s: SoakSettings, cpu: string | undefined, resultsFile: string) {
  const args = ["attack", `-rate=${s.rate}/1s`, `-duration=${s.seconds}s`, `-targets=${targetsFile}`, "-timeout=5s", "-keepalive=true",
    `-max-workers=${s.maxConnections}`, `-max-connections=${s.maxConnections}`, `-output=${resultsFile}`];
  const [cmd, full] = cpu ? ["taskset", ["-c", cpu, vegeta, ...args]] : [vegeta, args];
  const child = spawn(cmd, full, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (c) => { err += c; });
  const done = new Promise<void>((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`vegeta attack exited with ${code}: ${err.trim()}`)))));
  return { child, done };
}

interface AttackTotals { requests: number; success: number; statusCodes: Record<string, number>; errors: string[] }

function report(vegeta: string, resultsFile: string): Promise<AttackTotals> {
  return new Promise((resolve, reject) => {
    const child = spawn(vegeta, ["report", "-type=json", resultsFile], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => { out += c; });
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`vegeta report exited with ${code}`));
      const r = JSON.parse(out) as { requests: number; success: number; status_codes?: Record<string, number>; errors?: string[] };
      resolve({ requests: r.requests, success: r.success, statusCodes: r.status_codes ?? {}, errors: (r.errors ?? []).slice(0, 5) });
    });
  });
}

export async function soak(s: SoakSettings, vegeta: string, log: (m: string) => void): Promise<SoakReport> {
  const chain = VARIANTS.find((v) => v.id === "wasm-chain")!;
  const layout = coreLayout();
  const gen = layout.pinned ? layout.generator : undefined;
  const upstream = await startUpstreamEnvoy(gen ?? null);
  const dir = mkdtempSync(join(tmpdir(), "soak-"));
  const samples: SoakSample[] = [];
  let totals: AttackTotals = { requests: 0, success: 0, statusCodes: {}, errors: [] };
  try {
    const envoy = await startVariant(chain, upstream.port, layout.pinned ? layout.envoy : null);
    try {
      const targets = join(dir, "targets.txt"), results = join(dir, "results.bin");
      writeFileSync(targets, soakTargets(`${envoy.url}${UPSTREAM_PATH}`, s.keys));
      const started = Date.now();
      const sample = async () => {
        const t = (Date.now() - started) / 1000;
        const mem = Object.fromEntries(linearMemories(envoy.pid).map((m) => [m.at, m.sizeBytes]));
        // A starved admin thread (a busy shared machine) costs a sample's counters, not the soak.
        const stats = await envoy.stats("").catch(() => ({} as Record<string, number>));
        const vms = stats["wasm.wasm_vm_count"] ?? Object.keys(mem).length;
        const x: SoakSample = {
          t, rssBytes: rssBytes(envoy.pid), wasmVms: vms, linearMemory: mem, envoyCpuSeconds: cpuMicros(envoy.pid) / 1e6,
          activeRequests: stats["http.ingress_http.downstream_rq_active"] ?? NaN, activeConnections: stats["http.ingress_http.downstream_cx_active"] ?? NaN,
        };
        samples.push(x);
        const lin = Object.values(mem).reduce((a, b) => a + b, 0);
        log(`soak ${t.toFixed(0).padStart(4)} s / ${s.seconds} s: RSS ${(x.rssBytes / 2 ** 20).toFixed(1)} MiB, ${vms} VMs, linear memory ${(lin / 1024).toFixed(0)} KiB in total, ${x.activeRequests} requests in flight on ${x.activeConnections} connections`);
      };
      await sample();
      const a = attack(vegeta, targets, s, gen, results);
      let finished = false;
      a.done.finally(() => { finished = true; }).catch(() => {});
      while (!finished) {
        await Promise.race([a.done.catch(() => {}), new Promise((r) => setTimeout(r, s.interval * 1000))]);
        if (!finished) await sample();
      }
      await a.done;
      await sample();
      totals = await report(vegeta, results);
    } finally {
      await envoy.stop();
    }
  } finally {
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const from = samples.findIndex((x) => x.t >= s.seconds * s.warmupShare);
  const after = samples.slice(from < 0 ? samples.length - 1 : from);
  const first = after[0], last = samples[samples.length - 1];
  const vms = [...new Set(samples.flatMap((x) => Object.keys(x.linearMemory)))].sort();
  const linear = vms.map((vm) => ({ vm, afterWarmupBytes: first.linearMemory[vm] ?? 0, endBytes: last.linearMemory[vm] ?? 0 }));
  const grownVms = linear.filter((l) => l.endBytes > l.afterWarmupBytes);
  const rssGrowth = last.rssBytes - first.rssBytes;
  const rssSlope = slope(after.map((x) => x.t / 60), after.map((x) => x.rssBytes));
  const before = samples.slice(0, Math.max(1, from));
  const maxActive = (xs: SoakSample[]) => Math.max(0, ...xs.map((x) => x.activeRequests).filter((v) => Number.isFinite(v)));
  const maxActiveRequestsWarmup = maxActive(before);
  const maxActiveRequestsAfter = maxActive(after);
  const flat = !grownVms.length && rssGrowth <= s.rssToleranceBytes && totals.success === 1;
  const codes = Object.entries(totals.statusCodes).map(([c, n]) => `${c}: ${n}`).join(", ");
  const summary = `${flat ? "flat" : "NOT flat"}: ${totals.requests.toLocaleString("en")} requests (${(totals.success * 100).toFixed(2)} % 2xx; ${codes}${totals.errors.length ? `; errors: ${totals.errors.join("; ")}` : ""}) in ${s.seconds} s at ${s.rate}/s; `
    + `RSS ${(first.rssBytes / 2 ** 20).toFixed(1)} → ${(last.rssBytes / 2 ** 20).toFixed(1)} MiB after warm-up (${rssGrowth >= 0 ? "+" : ""}${(rssGrowth / 1024).toFixed(0)} KiB, slope ${(rssSlope / 1024).toFixed(0)} KiB/min); `
    + `${vms.length} VM linear memories ${grownVms.length ? `— ${grownVms.length} grew: ${grownVms.map((g) => `${g.afterWarmupBytes / 1024}→${g.endBytes / 1024} KiB`).join(", ")}` : `unchanged after warm-up (${[...new Set(linear.map((l) => l.endBytes / 1024))].join(", ")} KiB each)`}; `
    + `at most ${maxActiveRequestsWarmup} requests in flight at a sample during warm-up, ${maxActiveRequestsAfter} after`;
  return {
    benchmark: "soak", date: new Date().toISOString(), variant: chain.label, settings: s, requests: totals.requests, success: totals.success, statusCodes: totals.statusCodes, errors: totals.errors, samples,
    verdict: { flat, rssAfterWarmupBytes: first.rssBytes, rssEndBytes: last.rssBytes, rssGrowthBytes: rssGrowth, rssSlopeBytesPerMinute: rssSlope, linearMemory: linear, maxActiveRequestsWarmup, maxActiveRequestsAfter, summary },
  };
}

/** RSS and total linear memory over time. */
export function soakChart(r: SoakReport): string {
  const W = 640, H = 300, left = 60, right = 70, top = 50, bottom = 40;
  const tMax = Math.max(1, ...r.samples.map((x) => x.t));
  const rss = r.samples.map((x) => x.rssBytes / 2 ** 20);
  const lin = r.samples.map((x) => Object.values(x.linearMemory).reduce((a, b) => a + b, 0) / 1024);
  const rMax = Math.max(1, ...rss) * 1.15, lMax = Math.max(64, ...lin) * 1.15;
  const x = (t: number) => left + ((W - left - right) * t) / tMax;
  const yR = (v: number) => H - bottom - ((H - top - bottom) * v) / rMax;
  const yL = (v: number) => H - bottom - ((H - top - bottom) * v) / lMax;
  const path = (ys: number[], y: (v: number) => number) => r.samples.map((s, i) => `${i ? "L" : "M"}${x(s.t).toFixed(1)},${y(ys[i]).toFixed(1)}`).join(" ");
  const warm = r.settings.seconds * r.settings.warmupShare;
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Soak: ${r.variant}, ${r.settings.rate}/s for ${r.settings.seconds} s</text>`,
    `<text x="10" y="34">${r.verdict.flat ? "flat" : "NOT flat"} — blue: Envoy RSS (MiB, left axis); orange: linear memory of all ${Object.keys(r.samples.at(-1)?.linearMemory ?? {}).length} VMs (KiB, right axis); grey: warm-up</text>`,
    `<rect x="${left}" y="${top}" width="${(x(warm) - left).toFixed(1)}" height="${H - top - bottom}" fill="#f0f0f0"/>`,
    `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="black"/>`,
    `<text x="${left}" y="${H - bottom + 15}">0 s</text><text x="${W - right}" y="${H - bottom + 15}" text-anchor="end">${tMax.toFixed(0)} s</text>`,
    `<text x="${left - 5}" y="${yR(rMax / 1.15) + 4}" text-anchor="end" fill="#4e79a7">${(rMax / 1.15).toFixed(0)}</text><text x="${left - 5}" y="${H - bottom}" text-anchor="end" fill="#4e79a7">0</text>`,
    `<text x="${W - right + 5}" y="${yL(lMax / 1.15) + 4}" fill="#f28e2b">${(lMax / 1.15).toFixed(0)}</text><text x="${W - right + 5}" y="${H - bottom}" fill="#f28e2b">0</text>`,
    `<path d="${path(rss, yR)}" fill="none" stroke="#4e79a7" stroke-width="2"/>`,
    `<path d="${path(lin, yL)}" fill="none" stroke="#f28e2b" stroke-width="2" stroke-dasharray="5,3"/>`,
    "</svg>"].join("\n");
}

export function writeSoak(r: SoakReport, dir: string, base = "soak"): { json: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, `${base}.json`), svg: join(dir, `${base}.svg`) };
  writeFileSync(files.json, JSON.stringify(r, null, 2) + "\n");
  writeFileSync(files.svg, soakChart(r) + "\n");
  return files;
}
