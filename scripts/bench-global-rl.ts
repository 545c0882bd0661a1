// `npm run bench:global-rl`: the latency a global rate-limit check adds to a request, for the rate-limit
// filter (Wasm, proxy_grpc_call) and for Envoy's own envoy.filters.http.ratelimit, against the same
// envoyproxy/ratelimit service, Redis and descriptor, in one run.
//
// Two Envoy 1.40 instances (--concurrency 2) in front of one upstream: "wasm" (the filter, one global
// rule matching /check) and "native" (Envoy's filter, a generic_key action on the /check route). Each
// Envoy is its own baseline: /free takes the same filter chain without a check (the rule does not
// match; the route has no rate_limits). Requests are sequential, on one keep-alive connection per
// Envoy, interleaved request by request (wasm /check, wasm /free, native /check, native /free, …), so
// load from other processes on a shared machine hits all four alike. The limit is far above the
// request count: every check is a real service round trip that admits.
// Added latency = percentiles over requests of (/check − the /free request measured next to it on the
// same Envoy). Writes bench/results/bench-global-rl.{json,md,svg}.
//
//   npm run bench:global-rl -- [requests per case, default 3000] [rounds, default 10]
// Needs `node scripts/setup-ratelimit.mjs` (Redis, envoyproxy/ratelimit) and `npm run build`.
import { Agent, request as httpRequest } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEnvoy, startUpstream, envoyInstall, nativeRateLimitFilter, type Envoy } from "../src/envoy/index.js";
import { startRedis, startRateLimitService } from "../src/ratelimit/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const TOTAL = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 10);
const WARMUP = 200;
const TIMEOUT_MS = 1000;
const SERVICE_CONFIG = `domain: bench
descriptors:
  - key: generic_key
    value: bench
    rate_limit: {unit: hour, requests_per_unit: 100000000}
`;

type Impl = "wasm" | "native";
type Case = "wasmCheck" | "wasmFree" | "nativeCheck" | "nativeFree";
const CASES: { name: Case; impl: Impl; path: string }[] = [
  { name: "wasmCheck", impl: "wasm", path: "/check" },
  { name: "wasmFree", impl: "wasm", path: "/free" },
  { name: "nativeCheck", impl: "native", path: "/check" },
  { name: "nativeFree", impl: "native", path: "/free" },
];

/** One GET on a keep-alive agent; resolves with its latency in µs (rejects on a status other than 200). */
function timedGet(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = httpRequest({ host: "127.0.0.1", port, path, agent }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} from :${port}${path}`));
        else resolve(Number(process.hrtime.bigint() - t0) / 1000);
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function svg(rows: { name: string; p50: number; p99: number }[]): string {
  const W = 560, H = 260, left = 70, bottom = 40, top = 30;
  const max = Math.max(1, ...rows.map((r) => r.p99)) * 1.1;
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const band = (W - left - 20) / rows.length;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">Latency a global rate-limit check adds (µs, sequential, paired)</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${W - 10}" y2="${y(0)}" stroke="#333"/>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max / 4) * t;
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`,
      `<line x1="${left}" y1="${y(v)}" x2="${W - 10}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  rows.forEach((raw, i) => {
    const r = { ...raw, p50: Math.max(0, raw.p50), p99: Math.max(0, raw.p99) }; // bars start at 0
    const x = left + i * band + band * 0.15;
    const w = band * 0.33;
    out.push(`<rect x="${x}" y="${y(r.p50)}" width="${w}" height="${y(0) - y(r.p50)}" fill="#4a7ebb"/>`,
      `<rect x="${x + w + 4}" y="${y(r.p99)}" width="${w}" height="${y(0) - y(r.p99)}" fill="#e08a3c"/>`,
      `<text x="${x + w / 2}" y="${y(r.p50) - 4}" text-anchor="middle">${Math.round(r.p50)}</text>`,
      `<text x="${x + w * 1.5 + 4}" y="${y(r.p99) - 4}" text-anchor="middle">${Math.round(r.p99)}</text>`,
      `<text x="${x + w + 2}" y="${H - bottom + 16}" text-anchor="middle">${r.name}</text>`);
  });
  out.push(`<rect x="${left + 10}" y="${top}" width="10" height="10" fill="#4a7ebb"/><text x="${left + 24}" y="${top + 9}">p50</text>`,
    `<rect x="${left + 60}" y="${top}" width="10" height="10" fill="#e08a3c"/><text x="${left + 74}" y="${top + 9}">p99</text>`, "</svg>");
  return out.join("\n");
}

async function main() {
  const perRound = Math.ceil(TOTAL / ROUNDS);
  console.log(`bench:global-rl: ${perRound * ROUNDS} sequential requests per case in ${ROUNDS} rounds (+${WARMUP} warm-up)`);
  const redis = await startRedis();
  const service = await startRateLimitService({ redis: redis.address, config: { bench: SERVICE_CONFIG } });
  const web = await startUpstream("web");
  const envoys: Partial<Record<Impl, Envoy>> = {};
  try {
    const upstreams = { web, ratelimit: { port: service.grpcPort, http2: true } };
    envoys.wasm = await startEnvoy({
      upstreams, concurrency: 2,
      filters: [{ module: "rate-limit", config: { global: { cluster: "ratelimit", domain: "bench", timeout: `${TIMEOUT_MS}ms`, rules: [
        { name: "bench", match: { source: "path", operator: "prefix", value: "/check" }, descriptor: [{ value: "bench" }] },
      ] } } }],
    });
    envoys.native = await startEnvoy({
      upstreams, concurrency: 2,
      filters: [nativeRateLimitFilter({ domain: "bench", cluster: "ratelimit", timeoutMs: TIMEOUT_MS })],
      routes: [
        { prefix: "/check", cluster: "web", rateLimits: [{ actions: [{ generic_key: { descriptor_value: "bench" } }] }] },
        { prefix: "/", cluster: "web" },
      ],
    });
    const agents = { wasm: new Agent({ keepAlive: true, maxSockets: 1 }), native: new Agent({ keepAlive: true, maxSockets: 1 }) };
    const samples = Object.fromEntries(CASES.map((c) => [c.name, [] as number[]])) as Record<Case, number[]>;
    const step = async (keep: boolean) => {
      for (const c of CASES) {
        const v = await timedGet(agents[c.impl], envoys[c.impl]!.port, c.path);
        if (keep) samples[c.name].push(v);
      }
    };
    for (let i = 0; i < WARMUP; i++) await step(false);
    const t0 = Date.now();
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < perRound; i++) await step(true);
      process.stdout.write(`\r  round ${r + 1}/${ROUNDS} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    process.stdout.write("\n");
    agents.wasm.destroy();
    agents.native.destroy();

    const stat = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
    };
    const latency = Object.fromEntries(CASES.map((c) => [c.name, stat(samples[c.name])])) as Record<Case, ReturnType<typeof stat>>;
    const added = (check: Case, free: Case) => {
      const d = samples[check].map((v, i) => v - samples[free][i]).sort((x, y) => x - y);
      return { p50: pct(d, 50), p90: pct(d, 90), p99: pct(d, 99) };
    };
    const addedWasm = added("wasmCheck", "wasmFree");
    const addedNative = added("nativeCheck", "nativeFree");
    const ratio = { p50: addedWasm.p50 / addedNative.p50, p99: addedWasm.p99 / addedNative.p99 };
    const totalRatio = { p50: latency.wasmCheck.p50 / latency.nativeCheck.p50, p99: latency.wasmCheck.p99 / latency.nativeCheck.p99 };
    // Both filters really asked the service for every measured and warm-up /check request.
    await service.settle();
    const hits = await service.counter("bench", "generic_key_bench", "total_hits");
    const wasmOk = (await envoys.wasm.stats("wasmcustom.ratelimit.global.ok"))["wasmcustom.ratelimit.global.ok"] ?? 0;
    const result = {
      date: new Date().toISOString(),
      envoy: envoyInstall()?.version ?? "?",
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
      requestsPerCase: perRound * ROUNDS, rounds: ROUNDS, warmup: WARMUP,
      latencyUs: latency,
      addedUs: { wasm: addedWasm, native: addedNative },
      ratioWasmToNative: { added: ratio, checkedRequest: totalRatio },
      loadAverage: loadavg()[0],
      serviceHits: hits,
      wasmGlobalOk: wasmOk,
      target: "added latency within 1.2× of native",
    };
    const fmt = (v: number) => v.toFixed(0);
    const row = (label: string, c: Case) => `| ${label} | ${fmt(latency[c].p50)} | ${fmt(latency[c].p90)} | ${fmt(latency[c].p99)} |`;
    const md = [
      `# Global rate-limit check: added latency, the Wasm filter vs Envoy's ratelimit filter`,
      ``,
      `${result.date}, Envoy ${result.envoy} (--concurrency 2), ${result.machine}; envoyproxy/ratelimit + Redis on loopback;`,
      `${result.requestsPerCase} sequential requests per case on one keep-alive connection per Envoy, interleaved request by request; load average ${result.loadAverage.toFixed(1)} at the end.`,
      `Command: \`npm run bench:global-rl -- ${TOTAL} ${ROUNDS}\`.`,
      ``,
      `| request | p50 µs | p90 µs | p99 µs |`,
      `|---|---:|---:|---:|`,
      row("wasm filter, /check (global check)", "wasmCheck"),
      row("wasm filter, /free (same chain, no check)", "wasmFree"),
      row("Envoy ratelimit, /check (global check)", "nativeCheck"),
      row("Envoy ratelimit, /free (same chain, no check)", "nativeFree"),
      ``,
      `| added by the check (/check − /free next to it) | p50 µs | p90 µs | p99 µs |`,
      `|---|---:|---:|---:|`,
      `| wasm filter | ${fmt(addedWasm.p50)} | ${fmt(addedWasm.p90)} | ${fmt(addedWasm.p99)} |`,
      `| Envoy ratelimit | ${fmt(addedNative.p50)} | ${fmt(addedNative.p90)} | ${fmt(addedNative.p99)} |`,
      ``,
      `Added latency, wasm / native: **p50 ${ratio.p50.toFixed(2)}×, p99 ${ratio.p99.toFixed(2)}×** (target ≤ 1.2×); checked requests, wasm / native: p50 ${totalRatio.p50.toFixed(2)}×, p99 ${totalRatio.p99.toFixed(2)}×.`,
      `The service counted ${hits} checks (both filters, warm-up included); the Wasm filter counted ${wasmOk} OK answers.`,
      ``,
    ].join("\n");
    const dir = join(root, "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "bench-global-rl.json"), JSON.stringify(result, null, 2) + "\n");
    writeFileSync(join(dir, "bench-global-rl.md"), md);
    writeFileSync(join(dir, "bench-global-rl.svg"), svg([
      { name: "wasm filter", p50: addedWasm.p50, p99: addedWasm.p99 }, { name: "Envoy ratelimit", p50: addedNative.p50, p99: addedNative.p99 },
    ]) + "\n");
    console.log(md);
    console.log("wrote bench/results/bench-global-rl.{json,md,svg}");
  } finally {
    for (const e of Object.values(envoys)) await e?.stop();
    await web.stop();
    await service.dispose();
    await redis.stop();
  }
}

main().catch((e) => { console.error(`bench:global-rl: ${e.stack ?? e}`); process.exit(1); });
