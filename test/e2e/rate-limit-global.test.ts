// Global rate limiting with real components: two Envoy 1.40 instances (--concurrency 2 each) running the
// rate-limit filter, one envoyproxy/ratelimit service (built from Go source), one Redis. The limit holds
// across both Envoys exactly as the service counts it; per-key descriptors stay apart; a local rule below
// the global one answers without calling the service; a stopped service makes each Envoy follow its
// failure mode and a restarted one is used again without restarting Envoy; a slow one hits the timeout.
// Envoy's own envoy.filters.http.ratelimit, against the same service and descriptors, admits the same.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startEnvoy, startUpstream, request, nativeRateLimitFilter, type Envoy, type Upstream, type ClientResponse } from "./lib/index.js";
import { startRedis, startRateLimitService, startDelayProxy, type Redis, type RateLimitService, type DelayProxy } from "../../src/ratelimit/index.js";

const N = 20; // the global limit, per minute
const SERVICE_CONFIG = `domain: edge
descriptors:
  - key: generic_key
    value: api
    rate_limit: {unit: minute, requests_per_unit: ${N}}
  - key: client
    rate_limit: {unit: minute, requests_per_unit: 3}
  - key: generic_key
    value: mixed
    rate_limit: {unit: minute, requests_per_unit: 10}
  - key: generic_key
    value: shadow
    rate_limit: {unit: minute, requests_per_unit: 2}
  - key: generic_key
    value: heavy
    rate_limit: {unit: minute, requests_per_unit: 20}
`;
const TIMEOUT_MS = 1000; // generous: a timeout during the counted bursts would admit (or refuse) outside the service

function filterConfig(failOpen: boolean) {
  return {
    // A local rule below the global one on /mixed: 3 per minute per Envoy.
    rules: [{ name: "local", match: { source: "path", operator: "prefix", value: "/mixed" }, tokens: 3, interval: "1m" }],
    response: { headers: { "content-type": "text/plain" } },
    global: {
      cluster: "ratelimit", domain: "edge", timeout: `${TIMEOUT_MS}ms`, failOpen,
      rules: [
        { name: "api", match: { source: "path", operator: "prefix", value: "/api" }, descriptor: [{ value: "api" }] },
        { name: "per-client", match: { source: "path", operator: "prefix", value: "/keyed" }, descriptor: [{ key: "client", source: "header", name: "x-client" }] },
        { name: "mixed", match: { source: "path", operator: "prefix", value: "/mixed" }, descriptor: [{ value: "mixed" }] },
        { name: "try", match: { source: "path", operator: "prefix", value: "/shadow" }, descriptor: [{ value: "shadow" }], shadow: true },
        { name: "heavy", match: { source: "path", operator: "prefix", value: "/heavy" }, descriptor: [{ value: "heavy" }], hitsAddend: 5 },
      ],
    },
  };
}

/** Fixed one-minute windows (the service's): start a counted burst only with ≥ 15 s left in the window. */
async function awaitFreshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 200));
}

/** `total` requests, alternating between the Envoys, `parallel` at a time. */
async function spread(envoys: Envoy[], path: string, total: number, parallel = 6, headers: Record<string, string> = {}): Promise<{ res: ClientResponse; envoy: number }[]> {
  const out: { res: ClientResponse; envoy: number }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const e = i % envoys.length;
      out.push({ res: await request(envoys[e].url, path, { headers }), envoy: e });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

const wasm = async (e: Envoy, name: string) => (await e.stats(`wasmcustom.ratelimit.${name}`))[`wasmcustom.ratelimit.${name}`] ?? 0;

describe("global rate limit: two Envoys, envoyproxy/ratelimit, Redis", () => {
  let redis: Redis;
  let service: RateLimitService;
  let proxy: DelayProxy;
  let web: Upstream;
  let open: Envoy; // failOpen: true
  let closed: Envoy; // failOpen: false
  let native: Envoy | undefined;

  before(async () => {
    redis = await startRedis();
    service = await startRateLimitService({ redis: redis.address, config: { edge: SERVICE_CONFIG }, responseHeaders: true });
    // The Envoys reach the service through a proxy that can be made slow.
    proxy = await startDelayProxy({ port: service.grpcPort });
    web = await startUpstream("web");
    const upstreams = { web, ratelimit: { port: proxy.port, http2: true } };
    const common = { upstreams, concurrency: 2, routes: [{ prefix: "/", cluster: "web" }] };
    open = await startEnvoy({ ...common, filters: [{ module: "rate-limit", config: filterConfig(true) }] });
    closed = await startEnvoy({ ...common, filters: [{ module: "rate-limit", config: filterConfig(false) }] });
  });
  after(async () => {
    await native?.stop();
    await open?.stop();
    await closed?.stop();
    await web?.stop();
    await proxy?.stop();
    await service?.dispose();
    await redis?.stop();
  });

  test(`a limit of ${N} per minute holds across both Envoys, as the service and Redis count it`, async (t) => {
    await awaitFreshWindow();
    const total = 3 * N;
    const rs = await spread([open, closed], "/api/items", total);
    const admitted = rs.filter((r) => r.res.status === 200);
    const limited = rs.filter((r) => r.res.status === 429);
    assert.equal(admitted.length, N, `admitted ${admitted.length} of ${total} for a limit of ${N}`);
    assert.equal(limited.length, total - N);
    assert.ok(admitted.some((r) => r.envoy === 0) && admitted.some((r) => r.envoy === 1), "both Envoys admitted some");
    for (const { res } of limited) {
      assert.equal(res.body, "rate limited\n");
      assert.equal(res.headers["x-ratelimit-limit"], String(N));
      assert.equal(res.headers["x-ratelimit-remaining"], "0");
      const retry = Number(res.headers["retry-after"]);
      assert.ok(retry >= 1 && retry <= 60, `retry-after ${res.headers["retry-after"]}`);
      assert.equal(res.headers["ratelimit-limit"], String(N), "the service's response_headers_to_add");
    }
    await service.settle();
    assert.equal(await service.counter("edge", "generic_key_api", "total_hits"), total);
    assert.equal(await service.counter("edge", "generic_key_api", "over_limit"), total - N);
    const keys = redis.counters("edge_generic_key_api_*");
    assert.deepEqual(Object.values(keys), [total], `Redis: ${JSON.stringify(keys)}`);
    // Each Envoy's filter counted its own calls: together, one per request.
    const calls = (await wasm(open, "global.ok")) + (await wasm(open, "global.over_limit")) + (await wasm(closed, "global.ok")) + (await wasm(closed, "global.over_limit"));
    assert.equal(calls, total);
    // The call latency histogram, as Envoy's admin shows it (quantiles once a flush has happened).
    const hist = await request(open.adminUrl, "/stats?filter=global.latency_ms");
    assert.match(hist.body, /wasmcustom\.ratelimit\.global\.latency_ms: /);
    assert.equal(web.requests.filter((r) => r.path === "/api/items").length, N, "only admitted requests reached the upstream");
    for (const { res } of admitted) assert.equal(res.headers["ratelimit-limit"], String(N), "the service's headers on admitted responses too");
    t.diagnostic(`admitted ${admitted.length} of ${total} (limit ${N}: ${admitted.filter((r) => r.envoy === 0).length} via Envoy A, ${admitted.filter((r) => r.envoy === 1).length} via Envoy B); service total_hits ${total}, Redis ${JSON.stringify(keys)}`);
  });

  test("per-key descriptors keep keys apart", async () => {
    await awaitFreshWindow();
    const byKey: Record<string, number> = {};
    for (const client of ["alice", "bob"]) {
      const rs = await spread([open, closed], "/keyed", 7, 3, { "x-client": client });
      byKey[client] = rs.filter((r) => r.res.status === 200).length;
    }
    assert.deepEqual(byKey, { alice: 3, bob: 3 });
    // Redis keeps one counter per key value (the service's stats group a wildcard key under "client").
    const counts = (k: string) => Object.values(redis.counters(`edge_client_${k}_*`));
    assert.deepEqual(counts("alice"), [7]);
    assert.deepEqual(counts("bob"), [7]);
  });

  test("a local limit below the global one rejects locally, without calling the service", async () => {
    await awaitFreshWindow();
    const rs = await spread([open, closed], "/mixed", 20, 4);
    const admitted = rs.filter((r) => r.res.status === 200).length;
    assert.equal(admitted, 6, "3 per Envoy from the local buckets (the global limit is 10)");
    assert.equal((await wasm(open, "local.limited")) + (await wasm(closed, "local.limited")), 14);
    await service.settle();
    assert.equal(await service.counter("edge", "generic_key_mixed", "total_hits"), 6, "the service saw only what the local rule admitted");
  });

  test("shadow rules count and mark but never reject; hitsAddend weighs each request", async () => {
    await awaitFreshWindow();
    const shadow = await spread([open, closed], "/shadow", 5, 1);
    assert.deepEqual(shadow.map((r) => r.res.status), [200, 200, 200, 200, 200]);
    assert.equal(shadow.filter((r) => r.res.headers["x-ratelimit-shadow"] === "try").length, 3, "the 3 over the limit of 2 are marked");
    assert.equal((await wasm(open, "global.try.shadow_limited")) + (await wasm(closed, "global.try.shadow_limited")), 3);
    const heavy = await spread([open, closed], "/heavy", 6, 1);
    assert.equal(heavy.filter((r) => r.res.status === 200).length, 4, "5 hits each against a limit of 20");
    assert.deepEqual(Object.values(redis.counters("edge_generic_key_heavy_*")), [30]);
  });

  test("a request body waits for the answer and reaches the upstream whole", async () => {
    web.clear();
    // 3 MB (beyond Envoy's 1 MiB default buffer limit), sent while a slowed service keeps the call in flight.
    const body = "x".repeat(3_000_000);
    proxy.setDelay(200);
    const res = await request(open.url, "/keyed", { method: "POST", body, headers: { "x-client": "uploader" } }).finally(() => proxy.setDelay(0));
    assert.equal(res.status, 200);
    const seen = web.last();
    assert.equal(seen?.method, "POST");
    assert.equal(seen?.body.length, body.length);
  });

  test("service stopped: each Envoy follows its failure mode within the timeout; restarted: used again, Envoy untouched", async (t) => {
    const pids = [open.pid, closed.pid];
    await service.stop();
    const errorsBefore = await wasm(open, "global.error") + await wasm(open, "global.timeout");
    const decided: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      const a = await request(open.url, "/keyed", { headers: { "x-client": `down-${i}` } });
      const ms = Date.now() - t0;
      assert.equal(a.status, 200, "failOpen admits");
      assert.ok(ms < TIMEOUT_MS + 300, `decided in ${ms} ms (timeout ${TIMEOUT_MS} ms)`);
      decided.push(ms);
      const b = await request(closed.url, "/keyed", { headers: { "x-client": `down-${i}` } });
      assert.equal(b.status, 500, "failOpen false rejects with statusOnError");
    }
    assert.equal(await wasm(open, "global.fail_open"), 4);
    assert.equal(await wasm(closed, "global.fail_closed"), 4);
    assert.ok((await wasm(open, "global.error")) + (await wasm(open, "global.timeout")) - errorsBefore >= 4);

    const restarted = Date.now();
    await service.start();
    const up = Date.now() - restarted;
    await awaitFreshWindow();
    const probing = Date.now();
    // Recovery: the service decides again: a fresh key gets exactly its limit of 3, across both Envoys.
    let rs: { res: ClientResponse }[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      // The first calls after the restart may still meet Envoy's old connection: retry a probe key until the service answers.
      const probe = await request(closed.url, "/keyed", { headers: { "x-client": `probe-${attempt}` } });
      if (probe.status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const recovered = Date.now() - probing;
    rs = await spread([open, closed], "/keyed", 8, 2, { "x-client": "after-restart" });
    assert.equal(rs.filter((r) => r.res.status === 200).length, 3);
    assert.equal(rs.filter((r) => r.res.status === 429).length, 5);
    assert.deepEqual([open.pid, closed.pid], pids, "the same Envoy processes");
    t.diagnostic(`service down: fail-open admitted and fail-closed answered 500, decided in ${decided.join("/")} ms; restart took ${up} ms, the service decided again ${recovered} ms later (3 of 8 admitted for a limit of 3)`);
  });

  test("a slow service hits the timeout path", async (t) => {
    proxy.setDelay(TIMEOUT_MS * 2);
    try {
      const before = await wasm(open, "global.timeout");
      const t0 = Date.now();
      const a = await request(open.url, "/keyed", { headers: { "x-client": "slow-1" } });
      const ms = Date.now() - t0;
      assert.equal(a.status, 200, "failOpen admits after the timeout");
      assert.ok(ms >= TIMEOUT_MS - 50 && ms < TIMEOUT_MS * 2, `answered after ${ms} ms (timeout ${TIMEOUT_MS} ms, delay ${TIMEOUT_MS * 2} ms)`);
      assert.equal(await wasm(open, "global.timeout"), before + 1, JSON.stringify(await open.stats("wasmcustom.ratelimit.global")));
      const b = await request(closed.url, "/keyed", { headers: { "x-client": "slow-2" } });
      assert.equal(b.status, 500);
      t.diagnostic(`slow service (delay ${TIMEOUT_MS * 2} ms, timeout ${TIMEOUT_MS} ms): fail-open admitted after ${ms} ms`);
    } finally {
      proxy.setDelay(0);
    }
  });

  test("Envoy's own ratelimit filter, same service and descriptors, admits the same count", async () => {
    native = await startEnvoy({
      upstreams: { web, ratelimit: { port: service.grpcPort, http2: true } },
      concurrency: 2,
      filters: [nativeRateLimitFilter({ domain: "edge", cluster: "ratelimit", timeoutMs: TIMEOUT_MS })],
      routes: [{ prefix: "/api", cluster: "web", rateLimits: [{ actions: [{ generic_key: { descriptor_value: "api" } }] }] }, { prefix: "/", cluster: "web" }],
    });
    await awaitFreshWindow();
    redis.flush(); // the same descriptor starts from zero for the native filter
    const total = 3 * N;
    const rs = await spread([native], "/api/items", total);
    assert.equal(rs.filter((r) => r.res.status === 200).length, N);
    assert.equal(rs.filter((r) => r.res.status === 429).length, total - N);
    const keys = redis.counters("edge_generic_key_api_*");
    assert.deepEqual(Object.values(keys), [total]);
  });
});
