// The rate-limit filter in real Envoy 1.40 with --concurrency 2: both workers' VMs share one bucket
// through shared data, so a burst gets exactly the configured number of 200s, the rest 429 with the
// rate-limit headers; the bucket refills after the interval; and under sustained load over many
// intervals the admitted count matches the limit.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectEnvoyToFail, startStack, type ClientResponse, type Stack } from "./lib/index.js";

/** `total` requests, `parallel` at a time, each on its own connection (so both workers serve them). */
async function burst(stack: Stack, total: number, parallel: number, headers: Record<string, string> = {}): Promise<ClientResponse[]> {
  const out: ClientResponse[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      out.push(await stack.request("/", { headers }));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** Connections each Envoy worker accepted (per-worker listener stats). */
async function connectionsPerWorker(stack: Stack): Promise<number[]> {
  const stats = await stack.envoy.stats("downstream_cx_total");
  const perWorker = new Map<string, number>();
  for (const [name, value] of Object.entries(stats)) {
    const m = /^listener\.[^ ]*\.(worker_\d+)\.downstream_cx_total$/.exec(name);
    if (m && !name.startsWith("listener.admin")) perWorker.set(m[1], (perWorker.get(m[1]) ?? 0) + value);
  }
  return [...perWorker.values()];
}

describe("rate-limit in Envoy (2 workers): a burst gets exactly the configured number of 200s", () => {
  // 10 per 5 s: one token per 500 ms, so a burst that takes less than that sees no refill and the
  // count is exact; after 5 s the bucket is full again (capped at 10).
  const N = 10;
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["stable"],
      concurrency: 2,
      filters: [{
        module: "rate-limit",
        config: { rules: [{ name: "burst", tokens: N, interval: "5s" }], response: { body: "too many\n" } },
      }],
    });
  });
  after(() => stack?.stop());

  test("N admitted, the rest 429 with retry-after and x-ratelimit-*, then a refill after the interval", async () => {
    const timed = async () => {
      const t0 = Date.now();
      const rs = await burst(stack, 40, 10);
      const ms = Date.now() - t0;
      assert.ok(ms < 450, `a burst must take less than one token's refill time (500 ms) to be exact; took ${ms} ms`);
      return rs;
    };
    const first = await timed();
    const ok = first.filter((r) => r.status === 200);
    const limited = first.filter((r) => r.status === 429);
    assert.equal(ok.length, N, `admitted ${ok.length} of 40 (limit ${N})`);
    assert.equal(limited.length, 40 - N);
    const r = limited[0];
    assert.equal(r.body, "too many\n");
    assert.equal(r.headers["x-ratelimit-limit"], String(N));
    assert.equal(r.headers["x-ratelimit-remaining"], "0");
    assert.equal(r.headers["x-ratelimit-reset"], "5");
    assert.equal(r.headers["retry-after"], "1");
    assert.equal(stack.upstreams.stable.requests.length, N, "limited requests never reached the upstream");

    const workers = await connectionsPerWorker(stack);
    assert.equal(workers.length, 2);
    assert.ok(workers.every((n) => n > 0), `both workers served requests: ${workers}`);

    await new Promise((res) => setTimeout(res, 5000 + 100));
    const again = await timed();
    assert.equal(again.filter((x) => x.status === 200).length, N, "the bucket refilled to N (and no more)");

    const stats = await stack.envoy.stats("ratelimit.burst");
    const get = (suffix: string) => Object.entries(stats).find(([k]) => k.endsWith(suffix))?.[1];
    assert.equal(get("ratelimit.burst.allowed"), 2 * N);
    assert.equal(get("ratelimit.burst.limited"), 80 - 2 * N);
    assert.equal(get("ratelimit.burst.fail_open"), 0);
  });
});

describe("rate-limit in Envoy (2 workers): sustained load over many intervals", () => {
  const TOKENS = 50; // per second, burst 50
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["stable"],
      concurrency: 2,
      filters: [{ module: "rate-limit", config: { rules: [{ name: "steady", tokens: TOKENS, interval: "1s" }] } }],
    });
  });
  after(() => stack?.stop());

  test("admitted = burst + tokens × elapsed, within ±1 %", async () => {
    const seconds = 8;
    const start = Date.now();
    const deadline = start + seconds * 1000;
    let admitted = 0;
    let rejected = 0;
    let firstOk = 0;
    let lastSent = 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        lastSent = Date.now();
        const r = await stack.request("/");
        if (r.status === 200) { admitted++; if (!firstOk) firstOk = lastSent; }
        else if (r.status === 429) rejected++;
        else assert.fail(`unexpected status ${r.status}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // The bucket starts full (50) and gains 50 per second from the first admitted request on.
    const expected = TOKENS + TOKENS * (lastSent - firstOk) / 1000;
    const error = Math.abs(admitted - expected) / expected;
    const summary = `admitted ${admitted}, expected ${expected.toFixed(1)} (error ${(error * 100).toFixed(2)} %), rejected ${rejected}`;
    console.log(`rate-limit e2e, 2 workers, ${TOKENS}/s over ${seconds} s: ${summary}`);
    assert.ok(rejected > admitted, `demand must exceed the limit for the count to mean anything: ${summary}`);
    assert.ok(error <= 0.01, summary);
    const workers = await connectionsPerWorker(stack);
    assert.ok(workers.length === 2 && workers.every((n) => n > 0), `both workers served requests: ${workers}`);
    // Both workers updating one bucket: compare-and-swap conflicts were all resolved by retrying.
    const stats = await stack.envoy.stats("ratelimit.steady");
    const get = (suffix: string) => Object.entries(stats).find(([k]) => k.endsWith(suffix))?.[1];
    assert.equal(get("ratelimit.steady.allowed"), admitted);
    assert.equal(get("ratelimit.steady.limited"), rejected);
    assert.equal(get("ratelimit.steady.fail_open"), 0);
  });
});

describe("rate-limit in Envoy: bad configuration", () => {
  test("burst below tokens refuses the plugin with the rule and field named", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{ module: "rate-limit", config: { rules: [{ name: "a", tokens: 10, burst: 5 }] } }],
    });
    assert.match(log, /rate-limit: rules\[0\]\.burst: burst \(5\) must be at least tokens \(10\)/);
  });
});
