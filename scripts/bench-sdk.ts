#!/usr/bin/env node
// `npm run bench:sdk`: what one request lifecycle costs in each compiled module, run in the Node test
// host (src/host): ns per request (new stream → request headers → response headers → log/done/delete)
// with 0, 100 and 1,000 other live streams, and the time to instantiate and start a VM. The add-header
// example runs as peers on this SDK, on @solo-io/proxy-runtime 0.1.8 and on
// @gcoredev/proxy-wasm-sdk-as 1.2.3 (bench/peers/*, built here on first use).
// Writes bench/results/bench-sdk.json and bench/results/bench-sdk.svg, prints a table.
//   npm run bench:sdk                  all cases
//   npm run bench:sdk -- add-header    only cases whose name contains "add-header"
//
// Adding a case: every build/<name>.wasm is picked up with the demo's configuration for it (or none);
// list it in CASES to give it a config or request of its own — one line.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
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
  ].map((c) => ({ ...c, sdk: OUR_SDK, wasm: "build/rate-limit.wasm", rootId: "rate_limit", vms }))),
  { name: "tagging: 10 rules, miss all", sdk: OUR_SDK, wasm: "build/tagging.wasm", rootId: "tagging", config: TAGGING_10, request: { ...REQUEST, "x-user-id": "5" } },
  { name: "tagging: 10 rules, hit first", sdk: OUR_SDK, wasm: "build/tagging.wasm", rootId: "tagging", config: TAGGING_10, request: { ...REQUEST, "x-canary": "1" } },
  { name: "tagging: 10 rules, hit last", sdk: OUR_SDK, wasm: "build/tagging.wasm", rootId: "tagging", config: TAGGING_10, request: { ...REQUEST, "x-user-id": "120" } },
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
  const listed = new Set(CASES.filter((c) => c.sdk === OUR_SDK).map((c) => c.name));
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

function ensurePeers(): void {
  for (const p of PEERS) {
    const dir = join(root, p.dir);
    if (existsSync(join(dir, "build/add-header.wasm"))) continue;
    console.log(`peer ${p.sdk}: installing (npm ci in ${p.dir}) …`);
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
    console.log(`peer ${p.sdk}: compiling add-header …`);
    execFileSync("npm", ["run", "build"], { cwd: dir, stdio: "inherit" });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

async function perRequestNs(c: BenchCase, module: WebAssembly.Module, live: number): Promise<{ ns: number; median: number; memGrowthPerKReq: number }> {
  const host = await ProxyHost.create({ wasm: module, rootId: c.rootId, pluginConfig: c.config, vms: c.vms });
  if (!host.configured) throw new Error("on_configure refused the configuration (give the case a config)");
  const req = c.request ?? REQUEST, resp = c.response ?? RESPONSE;
  const held = [];
  for (let i = 0; i < live; i++) {
    const s = host.newHttpStream();
    s.sendRequestHeaders(req, { endOfStream: true });
    held.push(s);
  }
  const one = () => {
    const s = host.newHttpStream();
    const r = s.sendRequestHeaders(req, { endOfStream: true });
    if (!r.localResponse) s.sendResponseHeaders(resp, { endOfStream: true });
    s.complete();
  };
  for (let i = 0; i < 3000; i++) one(); // past V8's tier-up
  if (host.traps.length) throw new Error(`trapped: ${host.traps[0].message}`);
  const mem = () => host.vms[0].memory.memory?.buffer.byteLength ?? 0;
  const mem0 = mem();
  const batches: number[] = [];
  let done = 0;
  const start = process.hrtime.bigint();
  while (batches.length < 5 || (Number(process.hrtime.bigint() - start) < 400e6 && batches.length < 200)) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) one();
    batches.push(Number(process.hrtime.bigint() - t) / 200);
    done += 200;
  }
  // The fastest batch: on a shared machine other processes only ever add time, so the minimum is the
  // most repeatable figure; the median is kept in the JSON too.
  return { ns: Math.min(...batches), median: median(batches), memGrowthPerKReq: ((mem() - mem0) / done) * 1000 };
}

interface Row {
  case: string;
  sdk: string;
  group?: string;
  wasmBytes: number;
  instantiateUs: number;
  /** Fastest batch, ns per lifecycle, by number of other live streams. */
  nsPerRequest: Record<string, number>;
  nsPerRequestMedian: Record<string, number>;
  memoryGrowthBytesPer1kRequests: number;
  error?: string;
}

function svgChart(rows: Row[]): string {
  const ok = rows.filter((r) => !r.error);
  const W = 980, barH = 9, gap = 10, left = 330, top = 40;
  const max = Math.max(...ok.flatMap((r) => Object.values(r.nsPerRequest)));
  const scale = (v: number) => ((W - left - 120) * v) / max;
  const colors = ["#4e79a7", "#f28e2b", "#e15759"];
  const H = top + ok.length * (barH * LIVE.length + gap) + 40;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">ns per request lifecycle in the Node test host (lower is better)</text>`];
  LIVE.forEach((l, i) => out.push(`<rect x="${left + i * 150}" y="26" width="10" height="10" fill="${colors[i]}"/><text x="${left + i * 150 + 14}" y="35">${l} other live streams</text>`));
  ok.forEach((r, k) => {
    const y0 = top + k * (barH * LIVE.length + gap);
    out.push(`<text x="${left - 6}" y="${y0 + barH * 2}" text-anchor="end">${esc(`${r.case} — ${r.sdk}`)}</text>`);
    LIVE.forEach((l, i) => {
      const v = r.nsPerRequest[String(l)];
      out.push(`<rect x="${left}" y="${y0 + i * barH}" width="${scale(v).toFixed(1)}" height="${barH - 1}" fill="${colors[i]}"/>`);
      out.push(`<text x="${left + scale(v) + 4}" y="${y0 + i * barH + barH - 1}" font-size="9">${Math.round(v).toLocaleString("en")}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

async function main(): Promise<void> {
  const filter = process.argv[2] ?? "";
  ensurePeers();
  const cases = allCases().filter((c) => c.name.includes(filter) || c.sdk.includes(filter));
  const rows: Row[] = [];
  for (const [i, c] of cases.entries()) {
    process.stdout.write(`[${i + 1}/${cases.length}] ${c.name} (${c.sdk}) … `);
    const bytes = typeof c.wasm === "string" ? readFileSync(join(root, c.wasm)) : c.wasm;
    const row: Row = { case: c.name, sdk: c.sdk, group: c.group, wasmBytes: bytes.length, instantiateUs: 0, nsPerRequest: {}, nsPerRequestMedian: {}, memoryGrowthBytesPer1kRequests: 0 };
    try {
      const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      row.instantiateUs = await instantiateUs(c, module);
      for (const l of LIVE) {
        const r = await perRequestNs(c, module, l);
        row.nsPerRequest[String(l)] = r.ns;
        row.nsPerRequestMedian[String(l)] = r.median;
        if (l === 0) row.memoryGrowthBytesPer1kRequests = r.memGrowthPerKReq;
      }
      console.log(LIVE.map((l) => `${Math.round(row.nsPerRequest[String(l)])}`).join(" / ") + " ns");
    } catch (e) {
      row.error = (e as Error).message;
      console.log(`skipped: ${row.error}`);
    }
    rows.push(row);
  }

  const ours = new Map(rows.filter((r) => r.group && r.sdk === OUR_SDK && !r.error).map((r) => [r.group!, r]));
  const table = rows.map((r) => {
    const base = r.group ? ours.get(r.group) : undefined;
    const ratio = (l: number) => (base && !r.error ? (r.nsPerRequest[String(l)] / base.nsPerRequest[String(l)]).toFixed(2) + "×" : "");
    return {
      case: r.case, sdk: r.sdk,
      ...Object.fromEntries(LIVE.map((l) => [`ns/req @${l} live`, r.error ? "—" : Math.round(r.nsPerRequest[String(l)])])),
      "instantiate µs": r.error ? "—" : Math.round(r.instantiateUs),
      "mem +B/1k req": r.error ? "—" : Math.round(r.memoryGrowthBytesPer1kRequests),
      "vs this SDK (0/100/1000)": base && r !== base ? LIVE.map(ratio).join(" ") : "",
      ...(r.error ? { note: r.error.slice(0, 60) } : {}),
    };
  });
  console.table(table);

  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const result = {
    benchmark: "sdk microbenchmark: one request lifecycle in the Node test host",
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    request: REQUEST,
    response: RESPONSE,
    liveStreams: LIVE,
    method: "nsPerRequest = fastest of the batches of 200 lifecycles (nsPerRequestMedian = their median) (≥5 batches, ~0.4 s) after 3000 warm-up; instantiate = median of 30 ProxyHost.create on a compiled module",
    rows,
  };
  writeFileSync(join(dir, "bench-sdk.json"), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(dir, "bench-sdk.svg"), svgChart(rows) + "\n");
  console.log(`\nwrote bench/results/bench-sdk.json and bench/results/bench-sdk.svg`);
}

main().catch((e) => { console.error(e); process.exit(1); });
