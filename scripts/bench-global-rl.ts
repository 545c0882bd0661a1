// `npm run bench:global-rl`: the latency a global rate-limit check adds to a request, for the rate-limit
// filter (Wasm, proxy_grpc_call) and for Envoy's own envoy.filters.http.ratelimit, against the same
// envoyproxy/ratelimit service, Redis and descriptor, in one run.
//
// Three Envoy 1.40 instances (--concurrency 2) in front of one upstream: "none" (no rate limiting, the
// baseline), "wasm" (the filter with one global rule) and "native" (Envoy's filter with a route
// generic_key action). Requests are sequential, on one keep-alive connection per Envoy, interleaved
// request by request (none, wasm, native, none, …) so load from other processes on a shared machine
// hits all three alike; the limit is far above the request count, so every check is a real service
// round trip that admits.
// Added latency = percentile(with check) − percentile(none). Writes bench/results/bench-global-rl.{json,md,svg}.
//
//   npm run bench:global-rl -- [requests per Envoy, default 3000] [rounds, default 10]
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

type Name = "none" | "wasm" | "native";
const NAMES: Name[] = ["wasm", "native", "none"];

/** One GET on a keep-alive agent; resolves with its latency in µs (rejects on a status other than 200). */
function timedGet(agent: Agent, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = httpRequest({ host: "127.0.0.1", port, path: "/bench", agent }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} from :${port}`));
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
  const max = Math.max(...rows.map((r) => r.p99)) * 1.1;
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const band = (W - left - 20) / rows.length;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">Latency a global rate-limit check adds (µs, sequential)</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${W - 10}" y2="${y(0)}" stroke="#333"/>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max / 4) * t;
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`,
      `<line x1="${left}" y1="${y(v)}" x2="${W - 10}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  rows.forEach((r, i) => {
    const x = left + i * band + band * 0.15;
    const w = band * 0.33;
    out.push(`<rect x="${x}" y="${y(r.p50)}" width="${w}" height="${y(0) - y(r.p50)}" fill="#4a7ebb"/>`,
      `<rect x="${x + w + 4}" y="${y(r.p99)}" width="${w}" height="${y(0) - y(r.p99)}" fill="#e08a3c"/>`,
      `<text x="${x + w / 2}" y="${y(r.p50) - 4}" text-anchor="middle">${Math.round(r.p50)}</text>`,
      `<text x="${x + w * 1.5 + 4}" y="${y(r.p99) - 4}" text-anchor="middle">${Math.round(r.p99)}</text>`,
      `<text x="${x + w + 2}" y="${H - bottom + 16}" text-anchor="middle">${r.name}</text>`);
  });
  out.push(`<rect x="${W - 150}" y="${top}" width="10" height="10" fill="#4a7ebb"/><text x="${W - 136}" y="${top + 9}">added p50</text>`,
    `<rect x="${W - 80}" y="${top}" width="10" height="10" fill="#e08a3c"/><text x="${W - 66}" y="${top + 9}">added p99</text>`, "</svg>");
  return out.join("\n");
}

async function main() {
  const perRound = Math.ceil(TOTAL / ROUNDS);
  console.log(`bench:global-rl: ${perRound * ROUNDS} sequential requests per Envoy in ${ROUNDS} rounds (+${WARMUP} warm-up)`);
  const redis = await startRedis();
  const service = await startRateLimitService({ redis: redis.address, config: { bench: SERVICE_CONFIG } });
  const web = await startUpstream("web");
  const envoys: Partial<Record<Name, Envoy>> = {};
  try {
    const upstreams = { web, ratelimit: { port: service.grpcPort, http2: true } };
    envoys.none = await startEnvoy({ upstreams, concurrency: 2, filters: [] });
    envoys.wasm = await startEnvoy({
      upstreams, concurrency: 2,
      filters: [{ module: "rate-limit", config: { global: { cluster: "ratelimit", domain: "bench", timeout: `${TIMEOUT_MS}ms`, rules: [{ name: "bench", descriptor: [{ value: "bench" }] }] } } }],
    });
    envoys.native = await startEnvoy({
      upstreams, concurrency: 2, filters: [],
      nativeFilters: [nativeRateLimitFilter({ domain: "bench", cluster: "ratelimit", timeoutMs: TIMEOUT_MS })],
      routes: [{ prefix: "/", cluster: "web", rateLimits: [{ actions: [{ generic_key: { descriptor_value: "bench" } }] }] }],
    });
    const agents = Object.fromEntries(NAMES.map((n) => [n, new Agent({ keepAlive: true, maxSockets: 1 })])) as Record<Name, Agent>;
    const samples: Record<Name, number[]> = { none: [], wasm: [], native: [] };
    for (const n of NAMES) for (let i = 0; i < WARMUP; i++) await timedGet(agents[n], envoys[n]!.port);
    const t0 = Date.now();
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < perRound; i++) for (const n of NAMES) samples[n].push(await timedGet(agents[n], envoys[n]!.port));
      process.stdout.write(`\r  round ${r + 1}/${ROUNDS} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    process.stdout.write("\n");
    for (const a of Object.values(agents)) a.destroy();

    const stat = (n: Name) => {
      const s = [...samples[n]].sort((a, b) => a - b);
      return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
    };
    const total = { none: stat("none"), wasm: stat("wasm"), native: stat("native") };
    const added = (n: Name) => ({ p50: total[n].p50 - total.none.p50, p99: total[n].p99 - total.none.p99 });
    const addedWasm = added("wasm"), addedNative = added("native");
    const ratio = { p50: addedWasm.p50 / addedNative.p50, p99: addedWasm.p99 / addedNative.p99 };
    // The tail of a shared machine is noisy: the ratio of whole-request latencies is reported beside it.
    const totalRatio = { p50: total.wasm.p50 / total.native.p50, p99: total.wasm.p99 / total.native.p99 };
    // Both filters really asked the service for every measured and warm-up request.
    await service.settle();
    const hits = await service.counter("bench", "generic_key_bench", "total_hits");
    const wasmOk = (await envoys.wasm.stats("wasmcustom.ratelimit.global.ok"))["wasmcustom.ratelimit.global.ok"] ?? 0;
    const result = {
      date: new Date().toISOString(),
      envoy: envoyInstall()?.version ?? "?",
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
      requestsPerEnvoy: perRound * ROUNDS, rounds: ROUNDS, warmup: WARMUP,
      latencyUs: total,
      addedUs: { wasm: addedWasm, native: addedNative },
      ratioWasmToNative: { added: ratio, total: totalRatio },
      loadAverage: loadavg()[0],
      serviceHits: hits,
      wasmGlobalOk: wasmOk,
      target: "added latency within 1.2× of native",
    };
    const fmt = (v: number) => v.toFixed(0);
    const md = [
      `# Global rate-limit check: added latency, the Wasm filter vs Envoy's ratelimit filter`,
      ``,
      `${result.date}, Envoy ${result.envoy} (--concurrency 2), ${result.machine}; envoyproxy/ratelimit + Redis on loopback;`,
      `${result.requestsPerEnvoy} sequential requests per Envoy on one keep-alive connection, interleaved request by request; load average ${result.loadAverage.toFixed(1)} at the end.`,
      `Command: \`npm run bench:global-rl -- ${TOTAL} ${ROUNDS}\`.`,
      ``,
      `| Envoy | p50 µs | p90 µs | p99 µs | added p50 µs | added p99 µs |`,
      `|---|---:|---:|---:|---:|---:|`,
      `| none (baseline) | ${fmt(total.none.p50)} | ${fmt(total.none.p90)} | ${fmt(total.none.p99)} | – | – |`,
      `| wasm (rate-limit filter, global rule) | ${fmt(total.wasm.p50)} | ${fmt(total.wasm.p90)} | ${fmt(total.wasm.p99)} | ${fmt(addedWasm.p50)} | ${fmt(addedWasm.p99)} |`,
      `| native (envoy.filters.http.ratelimit) | ${fmt(total.native.p50)} | ${fmt(total.native.p90)} | ${fmt(total.native.p99)} | ${fmt(addedNative.p50)} | ${fmt(addedNative.p99)} |`,
      ``,
      `Added latency, wasm / native: **p50 ${ratio.p50.toFixed(2)}×, p99 ${ratio.p99.toFixed(2)}×** (target ≤ 1.2×); whole request, wasm / native: p50 ${totalRatio.p50.toFixed(2)}×, p99 ${totalRatio.p99.toFixed(2)}×.`,
      ...(addedWasm.p99 <= 0 || addedNative.p99 <= 0
        ? [`The baseline's tail is noisier than the checked Envoys' here (other processes on a shared machine), so the added p99 is not meaningful: compare the whole-request p99, where the two filters take the same path apart from the filter itself.`, ``]
        : []),
      `The service counted ${hits} checks (both filters, warm-up included); the Wasm filter counted ${wasmOk} OK answers.`,
      ``,
    ].join("\n");
    const dir = join(root, "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "bench-global-rl.json"), JSON.stringify(result, null, 2) + "\n");
    writeFileSync(join(dir, "bench-global-rl.md"), md);
    writeFileSync(join(dir, "bench-global-rl.svg"), svg([
      { name: "wasm", ...addedWasm }, { name: "native", ...addedNative },
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
