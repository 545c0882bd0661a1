// The chain module (trace-id → tagging → rate-limit in one module, one VM per worker) in real Envoy:
// one filter slot keeps the trace, routes the lane, limits exactly across two workers, its 429 carries
// the trace id and the lane, each filter's metrics are Envoy stats under their usual names, a bad
// section keeps Envoy from starting with the filter's own reason, and the global rules ask the real
// envoyproxy/ratelimit service (with Redis) through the chain's root.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectEnvoyToFail, startEnvoy, startStack, startUpstream, request, type Envoy, type Stack, type Upstream } from "./lib/index.js";
import { startRedis, startRateLimitService, type Redis, type RateLimitService } from "../../src/ratelimit/index.js";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const LIMIT = 5;
const SECTIONS = {
  traceId: { mode: "propagate", emit: ["w3c"], requestIdHeader: "x-request-id", echoTraceIdHeader: "x-trace-id" },
  tagging: {
    header: "x-mesh-tag", baggageKey: "mesh-tag", responseHeader: "x-mesh-tag", defaultTag: "stable",
    rules: [{ name: "uid-mod-100", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } }],
  },
  rateLimit: { rules: [{ name: "per-key", key: [{ source: "header", name: "x-api-key" }], tokens: LIMIT, interval: "1h" }] },
};

describe("chain module in Envoy (two workers)", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["gray", "stable"], concurrency: 2,
      routes: [{ headers: { "x-mesh-tag": "gray" }, cluster: "gray" }, { prefix: "/", cluster: "stable" }],
      filters: [{ module: "chain", config: SECTIONS }],
    });
  });
  after(() => stack?.stop());

  test("one filter slot: the trace is kept and echoed, the lane routes and is echoed", async () => {
    const res = await stack.request("/orders", { headers: { "user-id": "120", traceparent: TP } });
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-upstream"], "gray");
    assert.equal(res.headers["x-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(res.headers["x-mesh-tag"], "gray");
    const seen = stack.upstreams.gray.last()!;
    assert.equal(seen.headers.traceparent, TP);
    assert.equal(seen.headers.baggage, "mesh-tag=gray");
    assert.match(String(seen.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    const other = await stack.request("/orders", { headers: { "user-id": "121" } });
    assert.equal(other.headers["x-upstream"], "stable");
    assert.match(String(stack.upstreams.stable.last()!.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/, "a new trace is started");
  });

  test(`a key's limit of ${LIMIT} is exact across both workers; the 429 carries the trace id and the lane`, async () => {
    const results = await Promise.all(Array.from({ length: 4 * LIMIT }, () =>
      stack.request("/limited", { headers: { "x-api-key": "shared", traceparent: TP } })));
    const admitted = results.filter((r) => r.status === 200);
    assert.equal(admitted.length, LIMIT);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(limited.length, 3 * LIMIT);
    for (const r of limited) {
      assert.equal(r.headers["x-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736", "the local reply passes back through trace-id");
      assert.equal(r.headers["x-mesh-tag"], "stable", "and through tagging");
      assert.equal(r.headers["x-ratelimit-limit"], String(LIMIT));
    }
  });

  test("each filter's metrics are Envoy stats under the names its own module uses", async () => {
    const stats = await stack.envoy.stats("wasmcustom");
    const get = (k: string) => stats[`wasmcustom.${k}`] ?? 0;
    assert.ok(get("trace_id.traces_propagated") >= 4 * LIMIT + 1, JSON.stringify(stats));
    assert.ok(get("trace_id.traces_started") >= 1);
    assert.ok(get("tagging.requests.outcome.assigned") >= 1);
    assert.ok(get("tagging.requests.outcome.default") >= 4 * LIMIT);
    assert.equal(get("ratelimit.per-key.allowed"), LIMIT);
    assert.equal(get("ratelimit.per-key.limited"), 3 * LIMIT);
  });
});

describe("chain module: configurations Envoy refuses", () => {
  const upstreams = { stable: { port: 9 } };
  test("an unknown section is refused with its name and the closest section", async () => {
    const { log } = await expectEnvoyToFail({ upstreams, filters: [{ module: "chain", config: { traceid: {} } }] });
    assert.match(log, /chain: traceid: unknown section; did you mean "traceId"\? \(sections: traceId, tagging, rateLimit\)/);
    assert.match(log, /Unable to create Wasm plugin/);
  });
  test("a bad section is refused with the filter's own reason, then the section's name", async () => {
    const { log } = await expectEnvoyToFail({ upstreams, filters: [{ module: "chain", config: { tagging: SECTIONS.tagging, rateLimit: {} } }] });
    assert.match(log, /rate-limit: rules: is required/);
    assert.match(log, /chain: rateLimit: section refused \(reason above\)/);
  });
});

describe("chain module: global rules against envoyproxy/ratelimit and Redis", () => {
  const N = 3;
  let redis: Redis;
  let service: RateLimitService;
  let web: Upstream;
  let envoy: Envoy;
  before(async () => {
    redis = await startRedis();
    service = await startRateLimitService({
      redis: redis.address,
      config: { edge: `domain: edge\ndescriptors:\n  - key: client\n    rate_limit: {unit: hour, requests_per_unit: ${N}}\n` },
    });
    web = await startUpstream("web");
    envoy = await startEnvoy({
      upstreams: { web, ratelimit: { port: service.grpcPort, http2: true } }, concurrency: 2,
      routes: [{ prefix: "/", cluster: "web" }],
      filters: [{
        module: "chain",
        config: {
          traceId: SECTIONS.traceId, tagging: SECTIONS.tagging,
          rateLimit: { global: { cluster: "ratelimit", domain: "edge", timeout: "2s", failOpen: false, rules: [{ name: "per-client", descriptor: [{ key: "client", source: "header", name: "x-client" }] }] } },
        },
      }],
    });
  });
  after(async () => {
    await envoy?.stop();
    await web?.stop();
    await service?.dispose();
    await redis?.stop();
  });

  test(`the service's limit of ${N} per client holds; admitted requests carry the other filters' work`, async () => {
    const client = `c-${Date.now()}`;
    const statuses: number[] = [];
    const limited = [];
    for (let i = 0; i < N + 2; i++) {
      const r = await request(envoy.url, "/api", { headers: { "x-client": client, "user-id": "120", traceparent: TP } });
      statuses.push(r.status);
      if (r.status === 429) limited.push(r);
    }
    assert.deepEqual(statuses, [...Array(N).fill(200), 429, 429]);
    for (const r of limited) assert.equal(r.headers["x-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    const seen = web.last()!;
    assert.equal(seen.headers["x-mesh-tag"], "gray");
    assert.equal(seen.headers.traceparent, TP);
    const stats = await envoy.stats("wasmcustom.ratelimit.global");
    assert.equal((stats["wasmcustom.ratelimit.global.ok"] ?? 0) + (stats["wasmcustom.ratelimit.global.over_limit"] ?? 0), N + 2);
  });
});
