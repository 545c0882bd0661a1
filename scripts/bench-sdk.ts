#!/usr/bin/env node
// `npm run bench:sdk`: what a request costs in each compiled module, run in the Node test host
// (src/host): one request lifecycle (new stream → request headers → response headers, or the filter's
// local reply → log/done/delete) with 0, 100 and 1,000 other live streams, two figures per case:
//   total  — ns of process CPU time per lifecycle in the test host (host + module), median of ~5 ms batches;
//   module — ns per lifecycle spent in the module's own code (SDK + filter): total × the share of V8
//            CPU-profile samples inside its wasm functions (not the host's JS, not the JS↔wasm
//            transitions), profiled in a separate pass so the profiler does not distort `total`.
// Plus the time to instantiate and start the VMs. The add-header example also runs as peers on
// @solo-io/proxy-runtime 0.1.8 and @gcoredev/proxy-wasm-sdk-as 1.2.3 (bench/peers/*, built here on
// first use); ratios against this SDK are given for both figures.
// Writes bench/results/bench-sdk.json and bench/results/bench-sdk.svg, prints a Markdown table.
//   npm run bench:sdk                  all cases
//   npm run bench:sdk -- add-header    only cases whose name (or SDK) contains "add-header"
//
// Adding a case: every build/<name>.wasm is picked up with the demo's configuration for it (or none);
// list it in CASES to give it a config or request of its own — one line.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";
import { ProxyHost } from "../src/host/index.js";
import { DEMO_FILTERS } from "../src/envoy/demo.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUR_SDK = "proxy-wasm-as";

interface BenchCase {
  name: string;
  sdk: string;
  wasm: string | Uint8Array;
  rootId: string;
  config?: unknown;
  request?: Record<string, string>;
  response?: Record<string, string>;
  /** Cases with the same group are peers: ratios are reported against this SDK's case. */
  group?: string;
  /** Worker VMs sharing data (requests go round-robin over them); default 1. */
  vms?: number;
  /** When set, the bench checks that every (true) or no (false) request got the filter's local reply. */
  expectLocalReply?: boolean;
}

const REQUEST = { ":method": "GET", ":path": "/api/items?id=7", ":authority": "example.com", ":scheme": "http", "user-agent": "bench", "x-api-key": "k1" };
const RESPONSE = { ":status": "200", "content-type": "application/json", "content-length": "2" };
const LIVE = [0, 100, 1000];

/** The tagging filter with ten rules over different sources; the last is user-id % 100 == 20. */
const TAGGING_10 = {
  rules: [
    { tag: "gray", match: { source: "header", name: "x-canary", operator: "equals", value: "1" } },
    { tag: "gray", match: { source: "cookie", name: "lane", operator: "equals", value: "gray" } },
    { tag: "gray", match: { source: "query", name: "lane", operator: "in", values: ["gray", "beta"] } },
    { tag: "gray", match: { source: "path", operator: "prefix", value: "/beta/" } },
    { tag: "gray", match: { source: "method", operator: "equals", value: "PURGE" } },
    { tag: "gray", match: { source: "authority", operator: "suffix", value: ".internal" } },
    { tag: "gray", match: { source: "sourceIp", operator: "cidr", values: ["10.99.0.0/16", "fd00::/8"] } },
    { tag: "gray", match: { all: [{ source: "header", name: "user-agent", operator: "contains", value: "canary" }, { not: { source: "header", name: "x-prod", operator: "present" } }] } },
    { tag: "gray", match: { source: "header", name: "x-user-id", operator: "percentage", percent: 0.5, salt: "exp" } },
    { tag: "gray", match: { source: "header", name: "x-user-id", operator: "modulo", divisor: 100, remainder: 20 } },
  ],
};

/** Rate-limit rules over different sources; `drained`: the last one admits nothing after the first request. */
function RATE_LIMIT(n: number, drained: boolean): unknown {
  const big = { tokens: 1_000_000_000, interval: "1s" };
  const rules = [
    { name: "per-key", key: [{ source: "header", name: "x-api-key" }], ...big },
    { name: "per-ip", key: [{ source: "sourceIp" }], ...big },
    { name: "api", match: { source: "path", operator: "prefix", value: "/api/" }, key: [{ source: "method" }, { source: "authority" }], ...big },
    { name: "per-ua", key: [{ source: "header", name: "user-agent" }], ...big },
    { name: "global", ...big },
  ].slice(5 - n);
  if (drained) Object.assign(rules[rules.length - 1], { tokens: 1, interval: "1h" });
  return { rules, rateLimitHeaders: "limited" };
}

const PEERS = [
  { dir: "bench/peers/proxy-runtime", sdk: "@solo-io/proxy-runtime 0.1.8" },
  { dir: "bench/peers/gcore", sdk: "@gcoredev/proxy-wasm-sdk-as 1.2.3" },
];

/** Explicit cases (one line each). proxy-runtime 0.1.8 traps on an empty configuration, so all three get one. */
const CASES: BenchCase[] = [
  { name: "add-header", sdk: OUR_SDK, wasm: "build/add-header.wasm", rootId: "add_header", config: "hello", group: "add-header" },
  ...PEERS.map((p) => ({ name: "add-header", sdk: p.sdk, wasm: `${p.dir}/build/add-header.wasm`, rootId: "add_header", config: "hello", group: "add-header" })),
  // Rate limiting: admitted = buckets the bench never drains (read + CAS write per rule); rejected =
  // the last rule's bucket is empty (one read, a local 429). 4 VMs take turns on the same buckets.
  ...[1, 4].flatMap((vms) => [
    { name: `rate-limit: 1 rule, admitted, ${vms} VM`, config: RATE_LIMIT(1, false) },
    { name: `rate-limit: 1 rule, rejected, ${vms} VM`, config: RATE_LIMIT(1, true) },
    { name: `rate-limit: 5 rules, admitted, ${vms} VM`, config: RATE_LIMIT(5, false) },
    { name: `rate-limit: 5 rules, rejected by the 5th, ${vms} VM`, config: RATE_LIMIT(5, true) },
  ].map((c) => ({ ...c, sdk: OUR_SDK, wasm: "build/rate-limit.wasm", rootId: "rate_limit", vms, expectLocalReply: c.name.includes("rejected") }))),
  // trace-id with its defaults: no incoming trace (a new id is generated) and a valid W3C traceparent (kept).
  { name: "trace-id: no incoming header", sdk: OUR_SDK, wasm: "build/trace-id.wasm", rootId: "trace_id", config: {} },
  { name: "trace-id: valid traceparent", sdk: OUR_SDK, wasm: "build/trace-id.wasm", rootId: "trace_id", config: {}, request: { ...REQUEST, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
  { name: "trace-id: traceparent + tracestate + x-request-id", sdk: OUR_SDK, wasm: "build/trace-id.wasm", rootId: "trace_id", config: {}, request: { ...REQUEST, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "x-request-id": "5b3c2d1e-0f4a-4b6c-8d7e-9f0a1b2c3d4e" } },
  { name: "trace-id: x-b3-* headers", sdk: OUR_SDK, wasm: "build/trace-id.wasm", rootId: "trace_id", config: {}, request: { ...REQUEST, "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1", "x-b3-parentspanid": "05e3ac9a4f6e3b90", "x-b3-sampled": "1" } },
  { name: "tagging: 10 rules, miss all", sdk: OUR_SDK, wasm: "build/tagging.wasm", rootId: "tagging", config: TAGGING_10, request: { ...REQUEST, "x-user-id": "5" } },
  { name: "tagging: 10 rules, hit first", sdk: OUR_SDK, wasm: "build/tagging.wasm", rootId: "tagging", config: TAGGING_10, request: { ...REQUEST, "x-canary": "1" } },
  { name: "tagging: 10 rules, hit last", sdk: OUR_SDK, wasm: "build/tagging.wasm", rootId: "tagging", config: TAGGING_10, request: { ...REQUEST, "x-user-id": "120" } },
  { name: "single-headers: 2 names, whole map read", sdk: OUR_SDK, wasm: "build/single-headers.wasm", rootId: "single_headers", config: { headers: ["x-mesh-tag", "traceparent"] }, request: { ...REQUEST, "x-mesh-tag": "gray" } },
];
/** Modules that are test fixtures, not filters. */
const SKIP = new Set(["abi-probe", "trap-on-header"]);

/** The host's own floor: a module that exports the ABI marker and nothing else to call. */
function floorModule(): Uint8Array {
  const m = binaryen.parseText(`(module (memory (export "memory") 1) (global $h (mut i32) (i32.const 1024))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (global.get $h)))`);
  try { return m.emitBinary(); } finally { m.dispose(); }
}

function allCases(): BenchCase[] {
  // A module with explicit cases is not added again under its own name.
  const listed = new Set(CASES.filter((c) => c.sdk === OUR_SDK && typeof c.wasm === "string").map((c) => (c.wasm as string).replace(/^build\/|\.wasm$/g, "")));
  const auto: BenchCase[] = [];
  const build = join(root, "build");
  for (const f of existsSync(build) ? readdirSync(build).sort() : []) {
    const name = f.replace(/\.wasm$/, "");
    if (!f.endsWith(".wasm") || listed.has(name) || SKIP.has(name)) continue;
    const demo = DEMO_FILTERS.find((d) => d.module === name);
    auto.push({ name, sdk: OUR_SDK, wasm: `build/${name}.wasm`, rootId: demo?.rootId ?? name.replace(/-/g, "_"), config: demo?.config });
  }
  return [{ name: "(host floor: empty module)", sdk: "-", wasm: floorModule(), rootId: "" }, ...CASES, ...auto];
}

/** npm itself: under `npm run`, PATH starts with node_modules/.bin, where a dependency's old npm 6 sits. */
function npm(args: string[], cwd: string): void {
  const cli = process.env.npm_execpath;
  if (cli && cli.endsWith(".js")) execFileSync(process.execPath, [cli, ...args], { cwd, stdio: "inherit" });
  else execFileSync("npm", args, { cwd, stdio: "inherit" });
}

function ensurePeers(): void {
  for (const p of PEERS) {
    const dir = join(root, p.dir);
    if (existsSync(join(dir, "build/add-header.wasm"))) continue;
    console.log(`peer ${p.sdk}: installing (npm ci in ${p.dir}) …`);
    npm(["ci", "--no-audit", "--no-fund"], dir);
    console.log(`peer ${p.sdk}: compiling add-header …`);
    npm(["run", "build"], dir);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time of this process (user + system, all threads), ns: other processes' load does not add to it. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * Batches aim at this much CPU each: long enough to hold the GC work their allocations cause (the
 * median batch then carries its share) and for the µs clock to be exact to 0.02 %.
 */
const BATCH_CPU_NS = 5e6;
/** Per case and live-stream count: timing runs for this much CPU (at least MIN_BATCHES batches), then profiling as long. */
const TIMING_CPU_NS = 400e6;
const PROFILE_CPU_NS = 300e6;
const MIN_BATCHES = 7;
/** V8 profiler sampling interval, µs. */
const SAMPLE_US = 50;

async function instantiateUs(c: BenchCase, module: WebAssembly.Module): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 33; i++) {
    const t = process.hrtime.bigint();
    await ProxyHost.create({ wasm: module, rootId: c.rootId, pluginConfig: c.config, vms: c.vms });
    const dt = Number(process.hrtime.bigint() - t) / 1000;
    if (i >= 3) times.push(dt);
  }
  return median(times);
}

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples?: number[];
}

/**
 * Share of busy samples executing the module's own code: wasm functions, without the JS↔wasm
 * wrappers. Host JS, the host's GC and native code reached from it count as host; idle and
 * unattributed "(program)" samples count as neither.
 */
function moduleShare(profile: Profile): { share: number; samples: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let busy = 0, wasm = 0;
  for (const id of profile.samples ?? []) {
    const f = byId.get(id);
    if (!f || f.functionName === "(idle)" || f.functionName === "(program)") continue;
    busy++;
    if (f.url.startsWith("wasm://") && !/^(wasm-to-js|js-to-wasm)/.test(f.functionName)) wasm++;
  }
  return { share: busy ? wasm / busy : 0, samples: busy };
}

interface Measured {
  /** Median batch, ns of CPU per lifecycle. */
  ns: number;
  fastest: number;
  batchSize: number;
  batches: number;
  moduleShare: number;
  profileSamples: number;
  localReplyShare: number;
  memGrowthPerKReq: number;
}

async function measure(c: BenchCase, module: WebAssembly.Module, live: number, session: Session): Promise<Measured> {
  const host = await ProxyHost.create({ wasm: module, rootId: c.rootId, pluginConfig: c.config, vms: c.vms });
  if (!host.configured) throw new Error("on_configure refused the configuration (give the case a config)");
  const req = c.request ?? REQUEST, resp = c.response ?? RESPONSE;
  const held = [];
  for (let i = 0; i < live; i++) {
    const s = host.newHttpStream();
    s.sendRequestHeaders(req, { endOfStream: true });
    held.push(s);
  }
  let local = 0;
  const one = () => {
    const s = host.newHttpStream();
    const r = s.sendRequestHeaders(req, { endOfStream: true });
    if (r.localResponse) local++;
    else s.sendResponseHeaders(resp, { endOfStream: true });
    s.complete();
  };
  for (let i = 0; i < 3000; i++) one(); // past V8's tier-up (and drains the buckets of "rejected" cases)
  if (host.traps.length) throw new Error(`trapped: ${host.traps[0].message}`);
  const mem = () => host.vms[0].memory.memory?.buffer.byteLength ?? 0;
  const mem0 = mem();

  // Batch size from ~20 ms of lifecycles, so one slow start (a GC, a late tier-up) does not skew it.
  let t = cpuNs(), n = 0;
  while (cpuNs() - t < 20e6) { for (let i = 0; i < 20; i++) one(); n += 20; }
  const batchSize = Math.max(10, Math.round(BATCH_CPU_NS / ((cpuNs() - t) / n)));
  const batches: number[] = [];
  local = 0;
  let done = 0;
  const start = cpuNs();
  while (batches.length < MIN_BATCHES || (cpuNs() - start < TIMING_CPU_NS && batches.length < 1000)) {
    t = cpuNs();
    for (let i = 0; i < batchSize; i++) one();
    batches.push((cpuNs() - t) / batchSize);
    done += batchSize;
  }
  const localReplyShare = local / done;
  const memGrowthPerKReq = ((mem() - mem0) / done) * 1000;

  // The module's share, from a separate profiled pass (the profiler's own cost stays out of `ns`).
  await session.post("Profiler.setSamplingInterval", { interval: SAMPLE_US });
  await session.post("Profiler.start");
  const pstart = cpuNs();
  while (cpuNs() - pstart < PROFILE_CPU_NS) for (let i = 0; i < batchSize; i++) one();
  const { profile } = await session.post("Profiler.stop");
  const m = moduleShare(profile as Profile);
  held.forEach((s) => s.complete());
  return { ns: median(batches), fastest: Math.min(...batches), batchSize, batches: batches.length, moduleShare: m.share, profileSamples: m.samples, localReplyShare, memGrowthPerKReq };
}

interface Row {
  case: string;
  sdk: string;
  group?: string;
  wasmBytes: number;
  instantiateUs: number;
  /** By number of other live streams: median batch, ns of CPU per lifecycle in the test host. */
  nsPerRequest: Record<string, number>;
  nsPerRequestFastest: Record<string, number>;
  /** ns per lifecycle in the module's own code = nsPerRequest × moduleShare. */
  moduleNsPerRequest: Record<string, number>;
  moduleShare: Record<string, number>;
  profileSamples: Record<string, number>;
  batchSize: Record<string, number>;
  /** Share of lifecycles the filter answered itself (a local reply instead of the upstream response). */
  localReplyShare: number;
  memoryGrowthBytesPer1kRequests: number;
  error?: string;
}

function svgChart(rows: Row[]): string {
  const ok = rows.filter((r) => !r.error);
  // Room for the longest "case — sdk" label (about 6.5 px per character at the label font size).
  const longest = Math.max(...ok.map((r) => `${r.case} — ${r.sdk}`.length));
  const left = Math.max(330, Math.ceil(longest * 6.5) + 16);
  const W = left + 670, barH = 9, gap = 10, top = 58;
  // The axis ends a little past the slowest case with no other live streams; longer bars (the peers
  // with many live streams) are cut, marked with a break, and keep their numbers.
  const max = 1.15 * Math.max(...ok.map((r) => r.nsPerRequest[String(LIVE[0])]));
  const scale = (v: number) => ((W - left - 150) * Math.min(v, max)) / max;
  const light = ["#a0cbe8", "#ffbe7d", "#ff9d9a"];
  const dark = ["#4e79a7", "#f28e2b", "#e15759"];
  const H = top + ok.length * (barH * LIVE.length + gap) + 20;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">ns of CPU per request lifecycle in the Node test host (lower is better)</text>`,
    `<text x="10" y="34">whole bar: total (host + module); dark part: in the module's own code (SDK + filter). Labels: total (module).</text>`];
  LIVE.forEach((l, i) => out.push(`<rect x="${left + i * 170}" y="42" width="10" height="10" fill="${dark[i]}"/><rect x="${left + i * 170 + 10}" y="42" width="10" height="10" fill="${light[i]}"/><text x="${left + i * 170 + 24}" y="51">${l} other live streams</text>`));
  ok.forEach((r, k) => {
    const y0 = top + k * (barH * LIVE.length + gap);
    out.push(`<text x="${left - 6}" y="${y0 + barH * 2}" text-anchor="end">${esc(`${r.case} — ${r.sdk}`)}</text>`);
    LIVE.forEach((l, i) => {
      const v = r.nsPerRequest[String(l)], m = r.moduleNsPerRequest[String(l)];
      const y = y0 + i * barH;
      out.push(`<rect x="${left}" y="${y}" width="${scale(v).toFixed(1)}" height="${barH - 1}" fill="${light[i]}"/>`);
      out.push(`<rect x="${left}" y="${y}" width="${scale(m).toFixed(1)}" height="${barH - 1}" fill="${dark[i]}"/>`);
      if (v > max) out.push(`<rect x="${left + scale(v) - 14}" y="${y}" width="4" height="${barH - 1}" fill="white"/>`);
      out.push(`<text x="${left + scale(v) + 4}" y="${y + barH - 1}" font-size="9">${fmt(v)} (${fmt(m)})${v > max ? " (bar cut)" : ""}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) => Math.round(v).toLocaleString("en");

const METHOD = `total = process CPU time (user+system, so other processes' load does not count) per lifecycle, median of ≥${MIN_BATCHES} batches of ~${BATCH_CPU_NS / 1e6} ms CPU `
  + `(~${TIMING_CPU_NS / 1e6} ms CPU per figure, after 3000 warm-up lifecycles; nsPerRequestFastest = the fastest batch); `
  + `module = total × share of V8 CPU-profile samples (${SAMPLE_US} µs interval, ~${PROFILE_CPU_NS / 1e6} ms CPU, a separate pass) in the module's wasm functions, `
  + `excluding JS↔wasm wrappers, host JS and GC; instantiate = median wall time of 30 ProxyHost.create on a compiled module`;

function markdownTable(rows: Row[]): string {
  const ours = new Map(rows.filter((r) => r.group && r.sdk === OUR_SDK && !r.error).map((r) => [r.group!, r]));
  const three = (f: (l: string) => string) => LIVE.map((l) => f(String(l))).join(" / ");
  const head = ["case", "SDK", `total ns/req (${LIVE.join(" / ")} live)`, `in module ns/req (${LIVE.join(" / ")} live)`,
    "instantiate µs", "mem +B/1k req", "total vs this SDK", "module vs this SDK"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((h, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) {
    if (r.error) { lines.push(`| ${r.case} | ${r.sdk} | skipped: ${r.error.slice(0, 60)} | | | | | |`); continue; }
    const base = r.group ? ours.get(r.group) : undefined;
    const ratio = (a: Record<string, number>, b: Record<string, number>) => three((l) => (a[l] / b[l]).toFixed(2) + "×");
    lines.push(`| ${[r.case, r.sdk, three((l) => fmt(r.nsPerRequest[l])), three((l) => fmt(r.moduleNsPerRequest[l])),
      fmt(r.instantiateUs), fmt(r.memoryGrowthBytesPer1kRequests),
      base && base !== r ? ratio(r.nsPerRequest, base.nsPerRequest) : "", base && base !== r ? ratio(r.moduleNsPerRequest, base.moduleNsPerRequest) : ""].join(" | ")} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? "";
  ensurePeers();
  const cases = allCases().filter((c) => c.name.includes(filter) || c.sdk.includes(filter));
  console.log(`method: ${METHOD}\n`);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  const rows: Row[] = [];
  for (const [i, c] of cases.entries()) {
    process.stdout.write(`[${i + 1}/${cases.length}] ${c.name} (${c.sdk}) … `);
    const bytes = typeof c.wasm === "string" ? readFileSync(join(root, c.wasm)) : c.wasm;
    const row: Row = {
      case: c.name, sdk: c.sdk, group: c.group, wasmBytes: bytes.length, instantiateUs: 0, nsPerRequest: {}, nsPerRequestFastest: {},
      moduleNsPerRequest: {}, moduleShare: {}, profileSamples: {}, batchSize: {}, localReplyShare: 0, memoryGrowthBytesPer1kRequests: 0,
    };
    try {
      const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      row.instantiateUs = await instantiateUs(c, module);
      for (const l of LIVE) {
        const r = await measure(c, module, l, session);
        const k = String(l);
        row.nsPerRequest[k] = r.ns;
        row.nsPerRequestFastest[k] = r.fastest;
        row.moduleShare[k] = r.moduleShare;
        row.moduleNsPerRequest[k] = r.ns * r.moduleShare;
        row.profileSamples[k] = r.profileSamples;
        row.batchSize[k] = r.batchSize;
        if (l === 0) {
          row.memoryGrowthBytesPer1kRequests = r.memGrowthPerKReq;
          row.localReplyShare = r.localReplyShare;
        }
      }
      if (c.expectLocalReply !== undefined && (row.localReplyShare === 1) !== c.expectLocalReply) {
        throw new Error(`expected ${c.expectLocalReply ? "every" : "no"} request to get a local reply; got ${(row.localReplyShare * 100).toFixed(1)} %`);
      }
      console.log(LIVE.map((l) => `${fmt(row.nsPerRequest[String(l)])} (${fmt(row.moduleNsPerRequest[String(l)])})`).join(" / ") + " ns total (in module)");
    } catch (e) {
      row.error = (e as Error).message;
      console.log(`skipped: ${row.error}`);
    }
    rows.push(row);
  }
  session.disconnect();

  console.log(`\n${markdownTable(rows)}\n`);
  console.log(`Timing: process CPU time, median batch (see method above). Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}.`);

  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const result = {
    benchmark: "sdk microbenchmark: one request lifecycle in the Node test host, total and in the module",
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    request: REQUEST,
    response: RESPONSE,
    liveStreams: LIVE,
    method: METHOD,
    rows,
  };
  // A run over a subset of cases leaves the committed full results alone.
  const file = filter ? "bench-sdk.partial" : "bench-sdk";
  writeFileSync(join(dir, `${file}.json`), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(dir, `${file}.svg`), svgChart(rows) + "\n");
  console.log(`wrote bench/results/${file}.json and bench/results/${file}.svg`);
}

main().catch((e) => { console.error(e); process.exit(1); });
