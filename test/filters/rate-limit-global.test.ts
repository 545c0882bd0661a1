// The rate-limit filter's global rules over its compiled module in the test host: the RateLimitRequest
// it sends and the RateLimitResponses it reads are checked against the reference protobuf
// implementation (Go's, through .tools/bin/rls-proto, built by scripts/setup-ratelimit.mjs), then the
// decisions: resume, 429 with headers from the answer, shadow, failure modes, timeouts, malformed
// answers (never a trap), local rules first, cancellation when the client leaves.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, type HttpStream, type GrpcCall } from "../../src/host/index.js";
import { testRefusals } from "./lib/refusals.js";

const WASM = "build/rate-limit.wasm";
const RLS_PROTO = ".tools/bin/rls-proto";

/** Runs the reference codec: JSON ⇄ binary for RateLimitRequest / RateLimitResponse. */
function rlsProto(mode: "decode-request" | "encode-request" | "decode-response" | "encode-response", input: Uint8Array | string): Buffer {
  assert.ok(existsSync(RLS_PROTO), `${RLS_PROTO} missing: run node scripts/setup-ratelimit.mjs`);
  const r = spawnSync(RLS_PROTO, [mode], { input });
  assert.equal(r.status, 0, `rls-proto ${mode}: ${r.stderr}`);
  return r.stdout;
}
const decodeRequest = (bytes: Uint8Array) => JSON.parse(rlsProto("decode-request", bytes).toString("utf8"));
const encodeResponse = (msg: unknown) => rlsProto("encode-response", JSON.stringify(msg));

async function host(config: unknown, opts: { vms?: number } = {}): Promise<ProxyHost> {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "rate_limit", pluginName: "rl", vms: opts.vms ?? 1, pluginConfig: config, clusters: ["ratelimit", "web"] });
  assert.equal(h.configured, true, `configure failed: ${h.logMessages().join("\n")}`);
  return h;
}

const GLOBAL = {
  cluster: "ratelimit", domain: "edge", timeout: "250ms",
  rules: [{ name: "api", descriptor: [{ value: "api" }] }],
};

function start(h: ProxyHost, headers: Record<string, string> = {}, ip = "10.0.0.7"): { stream: HttpStream; call: GrpcCall | undefined; paused: boolean; local: boolean } {
  const before = h.grpcCallLog.length;
  const stream = h.newHttpStream({ properties: { "source.address": `${ip}:40000` } });
  const res = stream.sendRequestHeaders({ ":method": "GET", ":path": "/v1/items?x=1", ":authority": "shop", ...headers }, { endOfStream: true });
  const call = h.grpcCallLog.length > before ? h.grpcCallLog[h.grpcCallLog.length - 1] : undefined;
  return { stream, call, paused: res.action === "pause" && !res.localResponse, local: res.localResponse !== null };
}

const over = (limit = 5, resetS = "42.2s") => ({ code: "OVER_LIMIT", current_limit: { requests_per_unit: limit, unit: "MINUTE" }, duration_until_reset: resetS });
const ok = (limit = 5, remaining = 3, resetS = "10s") => ({ code: "OK", current_limit: { requests_per_unit: limit, unit: "MINUTE" }, limit_remaining: remaining, duration_until_reset: resetS });

describe("rate-limit global: configuration errors name the field", () => {
  const cases: [unknown, string][] = [
    [{ global: { domain: "edge", rules: GLOBAL.rules } }, "rate-limit: global.cluster: is required"],
    [{ global: { cluster: "ratelimit", rules: GLOBAL.rules } }, "rate-limit: global.domain: is required"],
    [{ global: { ...GLOBAL, rules: [] } }, "rate-limit: global.rules: must not be empty"],
    [{ global: { ...GLOBAL, rules: [{ name: "a", descriptor: [] }] } }, "rate-limit: global.rules[0].descriptor: must not be empty"],
    [{ global: { ...GLOBAL, rules: [{ name: "a", descriptor: [{ key: "k", value: "v", source: "path" }] }] } }, "rate-limit: global.rules[0].descriptor[0].source: an entry has either"],
    [{ global: { ...GLOBAL, rules: [{ name: "a", descriptor: [{ source: "header", name: "x-k" }] }] } }, "rate-limit: global.rules[0].descriptor[0].key: is required"],
    [{ global: { ...GLOBAL, rules: [{ name: "a", descriptor: [{ key: "k", source: "ip" }] }] } }, "rate-limit: global.rules[0].descriptor[0].source: unknown value \"ip\""],
    [{ global: { ...GLOBAL, timeout: "0s" } }, "rate-limit: global.timeout: expected a positive duration"],
    [{ global: { ...GLOBAL, rules: [GLOBAL.rules[0], GLOBAL.rules[0]] } }, "rate-limit: global.rules[1]: name \"api\" is used by another global rule"],
    [{ global: { ...GLOBAL, failureMode: "deny" } }, "rate-limit: global.failureMode: unknown field"],
    [{}, "rate-limit: rules: is required"],
  ];
  testRefusals(WASM, "rate_limit", cases);
});

describe("rate-limit global: the request the service receives (decoded by the reference implementation)", () => {
  test("one ShouldRateLimit call with a descriptor per matching rule, values from the request, hits addends", async () => {
    const h = await host({
      global: {
        ...GLOBAL, hitsAddend: 3,
        rules: [
          { name: "api", descriptor: [{ value: "api" }] },
          { name: "per-key", descriptor: [{ key: "generic_key", value: "keys" }, { key: "api_key", source: "header", name: "x-api-key" }], hitsAddend: 2 },
          { name: "per-ip-path", descriptor: [{ key: "remote_address", source: "sourceIp" }, { key: "path", source: "path" }, { key: "method", source: "method" }] },
          { name: "posts-only", match: { source: "method", operator: "equals", value: "POST" }, descriptor: [{ value: "posts" }] },
          { name: "peek", descriptor: [{ value: "peek" }], hitsAddend: 0 },
        ],
      },
    });
    const { call, paused } = start(h, { "x-api-key": "k-ü" });
    assert.ok(call, "a gRPC call was made");
    assert.equal(paused, true, "the request waits for the answer");
    assert.equal(call.kind, "call");
    assert.equal(call.cluster, "ratelimit");
    assert.equal(call.service, "envoy.service.ratelimit.v3.RateLimitService");
    assert.equal(call.method, "ShouldRateLimit");
    assert.equal(call.timeout, 250);
    assert.deepEqual(decodeRequest(call.message!), {
      domain: "edge",
      descriptors: [
        { entries: [{ key: "generic_key", value: "api" }] },
        { entries: [{ key: "generic_key", value: "keys" }, { key: "api_key", value: "k-ü" }], hits_addend: "2" },
        { entries: [{ key: "remote_address", value: "10.0.0.7" }, { key: "path", value: "/v1/items" }, { key: "method", value: "GET" }] },
        { entries: [{ key: "generic_key", value: "peek" }], hits_addend: "0" },
      ],
      hits_addend: 3,
    });
  });

  test("a missing value skips its rule; missingKey \"unknown\" sends \"unknown\" instead", async () => {
    const h = await host({
      global: {
        ...GLOBAL,
        rules: [
          { name: "skip", descriptor: [{ key: "user", source: "header", name: "x-user" }] },
          { name: "count", descriptor: [{ key: "user", source: "header", name: "x-user" }], missingKey: "unknown" },
        ],
      },
    });
    const { call } = start(h);
    assert.deepEqual(decodeRequest(call!.message!).descriptors, [{ entries: [{ key: "user", value: "unknown" }] }]);
  });

  test("no rule applies: no call, the request goes on", async () => {
    const h = await host({ global: { ...GLOBAL, rules: [{ name: "k", descriptor: [{ key: "user", source: "header", name: "x-user" }] }] } });
    const { call, paused, local } = start(h);
    assert.equal(call, undefined);
    assert.equal(paused, false);
    assert.equal(local, false);
  });

  test("the encoder grows for large values (64 KiB header)", async () => {
    const h = await host({ global: { ...GLOBAL, rules: [{ name: "k", descriptor: [{ key: "user", source: "header", name: "x-user" }] }] } });
    const big = "u".repeat(65536);
    const { call } = start(h, { "x-user": big });
    assert.equal(decodeRequest(call!.message!).descriptors[0].entries[0].value, big);
  });
});

describe("rate-limit global: answers", () => {
  test("OK: the request resumes with request_headers_to_add; the response gets response_headers_to_add", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    call!.respond(encodeResponse({
      overall_code: "OK", statuses: [ok()],
      request_headers_to_add: [{ key: "X-RL-Checked", value: "yes" }],
      response_headers_to_add: [{ key: "RateLimit-Remaining", value: "3" }, { key: "bad name", value: "dropped" }],
    }));
    assert.equal(stream.requestPaused, false, "resumed");
    assert.equal(stream.requestHeaders.get("x-rl-checked"), "yes");
    stream.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    assert.equal(stream.responseHeaders.get("ratelimit-remaining"), "3");
    assert.equal(stream.responseHeaders.get("bad name"), undefined);
    assert.equal(stream.responseHeaders.get("x-ratelimit-limit"), undefined, "\"limited\" mode: no limit headers on admitted responses");
    assert.equal(h.metric("ratelimit.global.ok"), 1);
    assert.equal(h.metric("ratelimit.global.api.allowed"), 1);
    assert.equal(h.histogram("ratelimit.global.latency_ms").length, 1);
  });

  test("OK with rateLimitHeaders \"all\": x-ratelimit-* from the status with the fewest left", async () => {
    const h = await host({
      rateLimitHeaders: "all",
      global: { ...GLOBAL, rules: [{ name: "a", descriptor: [{ value: "a" }] }, { name: "b", descriptor: [{ value: "b" }] }] },
    });
    const { stream, call } = start(h);
    call!.respond(encodeResponse({ overall_code: "OK", statuses: [ok(100, 50, "30s"), ok(10, 2, "5.5s")] }));
    stream.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    assert.equal(stream.responseHeaders.get("x-ratelimit-limit"), "10");
    assert.equal(stream.responseHeaders.get("x-ratelimit-remaining"), "2");
    assert.equal(stream.responseHeaders.get("x-ratelimit-reset"), "6");
  });

  test("OVER_LIMIT: 429 with retry-after and x-ratelimit-* from the answer, raw_body, the service's headers", async () => {
    const h = await host({ response: { headers: { "content-type": "text/plain" } }, global: GLOBAL });
    const { stream, call } = start(h);
    call!.respond(encodeResponse({
      overall_code: "OVER_LIMIT", statuses: [over(5, "42.2s")],
      response_headers_to_add: [{ key: "RateLimit-Limit", value: "5" }],
    }));
    const r = stream.localResponse!;
    assert.ok(r, "limited");
    assert.equal(r.status, 429);
    assert.equal(r.body, "rate limited\n");
    assert.equal(r.headers["retry-after"], "43");
    assert.equal(r.headers["x-ratelimit-limit"], "5");
    assert.equal(r.headers["x-ratelimit-remaining"], "0");
    assert.equal(r.headers["x-ratelimit-reset"], "43");
    assert.equal(r.headers["ratelimit-limit"], "5");
    assert.equal(r.headers["content-type"], "text/plain");
    assert.equal(h.metric("ratelimit.global.over_limit"), 1);
    assert.equal(h.metric("ratelimit.global.api.limited"), 1);

    const h2 = await host({ global: GLOBAL });
    const s2 = start(h2);
    s2.call!.respond(encodeResponse({ overall_code: "OVER_LIMIT", statuses: [over()], raw_body: Buffer.from("slow down\n").toString("base64") }));
    assert.equal(s2.stream.localResponse!.body, "slow down\n");
  });

  test("an empty answer is a valid message (overall UNKNOWN): admitted, as Envoy does", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    call!.respond(new Uint8Array(0));
    assert.equal(stream.requestPaused, false);
    assert.equal(stream.localResponse, null);
    assert.equal(h.metric("ratelimit.global.ok"), 1);
  });

  test("a large answer (beyond the reused landing buffer) is read as well", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    const headers = Array.from({ length: 100 }, (_, i) => ({ key: `x-svc-${i}`, value: "v".repeat(40) }));
    call!.respond(encodeResponse({ overall_code: "OVER_LIMIT", statuses: [over()], response_headers_to_add: headers }));
    assert.equal(stream.localResponse?.status, 429);
    assert.equal(stream.localResponse?.headers["x-svc-99"], "v".repeat(40));
  });

  test("OVER_LIMIT without statuses still rejects (Envoy's rule), without limit headers", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    call!.respond(encodeResponse({ overall_code: "OVER_LIMIT" }));
    assert.equal(stream.localResponse?.status, 429);
    assert.equal(stream.localResponse?.headers["retry-after"], "1");
    assert.equal(stream.localResponse?.headers["x-ratelimit-limit"], undefined);
  });

  test("shadow rules: an OVER_LIMIT descriptor of a shadow rule admits and marks; an enforced one still rejects", async () => {
    const cfg = { global: { ...GLOBAL, rules: [{ name: "try", descriptor: [{ value: "try" }], shadow: true }, { name: "api", descriptor: [{ value: "api" }] }] } };
    const h = await host(cfg);
    const a = start(h);
    a.call!.respond(encodeResponse({ overall_code: "OVER_LIMIT", statuses: [over(7, "3s"), ok()] }));
    assert.equal(a.stream.localResponse, null);
    assert.equal(a.stream.requestPaused, false);
    a.stream.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    assert.equal(a.stream.responseHeaders.get("x-ratelimit-shadow"), "try");
    assert.equal(a.stream.responseHeaders.get("x-ratelimit-limit"), "7");
    assert.equal(h.metric("ratelimit.global.try.shadow_limited"), 1);

    const b = start(h);
    b.call!.respond(encodeResponse({ overall_code: "OVER_LIMIT", statuses: [over(7), over(5)] }));
    assert.equal(b.stream.localResponse?.status, 429);
    assert.equal(b.stream.localResponse?.headers["x-ratelimit-limit"], "5");

    // Top-level shadow: nothing global rejects.
    const hs = await host({ shadow: true, global: GLOBAL });
    const c = start(hs);
    c.call!.respond(encodeResponse({ overall_code: "OVER_LIMIT", statuses: [over()] }));
    assert.equal(c.stream.localResponse, null);
    assert.equal(hs.metric("ratelimit.global.api.shadow_limited"), 1);
  });
});

describe("rate-limit global: failures follow the failure mode", () => {
  test("service error (UNAVAILABLE): failOpen admits, counts error and fail_open", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    call!.fail(14, "no healthy upstream");
    assert.equal(stream.requestPaused, false);
    assert.equal(stream.localResponse, null);
    assert.equal(h.metric("ratelimit.global.error"), 1);
    assert.equal(h.metric("ratelimit.global.fail_open"), 1);
  });

  test("Envoy's way of reporting its deadline (UNAVAILABLE, \"upstream request timeout\") counts as a timeout", async () => {
    const h = await host({ global: GLOBAL });
    start(h).call!.fail(14, "upstream request timeout{response_timeout}");
    assert.equal(h.metric("ratelimit.global.timeout"), 1);
    assert.equal(h.metric("ratelimit.global.error"), 0);
    assert.equal(h.metric("ratelimit.global.fail_open"), 1);
  });

  test("timeout with failOpen false: statusOnError, counted as timeout and fail_closed", async () => {
    const h = await host({ global: { ...GLOBAL, failOpen: false, statusOnError: 503 } });
    const { stream } = start(h);
    h.tick(250);
    assert.equal(stream.localResponse?.status, 503);
    assert.equal(stream.localResponse?.details, "rate_limit_service_error");
    assert.equal(stream.localResponse?.body, "", "not the limited response's body: nothing was decided");
    assert.equal(h.metric("ratelimit.global.timeout"), 1);
    assert.equal(h.metric("ratelimit.global.fail_closed"), 1);
  });

  test("a cluster the proxy does not know: decided at once by the failure mode", async () => {
    const open = await host({ global: { ...GLOBAL, cluster: "nowhere" } });
    const a = start(open);
    assert.equal(a.paused, false);
    assert.equal(a.local, false);
    assert.equal(open.metric("ratelimit.global.error"), 1);
    const closed = await host({ global: { ...GLOBAL, cluster: "nowhere", failOpen: false } });
    assert.equal(start(closed).stream.localResponse?.status, 500);
  });

  test("malformed answers never trap: each is an error decided by the failure mode", async () => {
    const h = await host({ global: GLOBAL });
    const valid = encodeResponse({ overall_code: "OVER_LIMIT", statuses: [over()], response_headers_to_add: [{ key: "a", value: "b" }] });
    const inputs: Uint8Array[] = [];
    for (let n = 1; n < valid.length; n++) inputs.push(valid.subarray(0, n)); // every truncation
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let i = 0; i < 300; i++) inputs.push(Uint8Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
    inputs.push(Uint8Array.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])); // length far past the end
    inputs.push(Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])); // 11-byte varint
    inputs.push(Uint8Array.from([0x0b, 0x0c])); // a group
    let decided = 0;
    for (const bytes of inputs) {
      const { stream, call } = start(h);
      call!.respond(bytes);
      assert.equal(stream.requestPaused && !stream.localResponse, false, "every answer decides the request");
      decided++;
    }
    assert.equal(h.traps.length, 0);
    assert.equal(decided, inputs.length);
    assert.ok(h.metric("ratelimit.global.error") > 50, "truncated and random bytes are mostly errors");
    assert.ok(h.metric("ratelimit.global.error") + h.metric("ratelimit.global.ok") + h.metric("ratelimit.global.over_limit") === inputs.length);
  });

  test("unknown fields and wire types the filter does not use are skipped (dynamic_metadata, quota)", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    call!.respond(encodeResponse({
      overall_code: "OVER_LIMIT",
      statuses: [{ ...over(9, "1.000000001s"), quota: { requests: 3, id: "q" } }],
      dynamic_metadata: { a: 1, b: { c: [true, "x"] } },
      quota: { requests: 1, valid_until: "2030-01-01T00:00:00Z" },
    }));
    assert.equal(stream.localResponse?.status, 429);
    assert.equal(stream.localResponse?.headers["x-ratelimit-limit"], "9");
    assert.equal(stream.localResponse?.headers["retry-after"], "2");
  });
});

describe("rate-limit global: with local rules", () => {
  test("local buckets first: a request they reject never reaches the service", async () => {
    const h = await host({ rules: [{ name: "local", tokens: 2, interval: "1m" }], global: GLOBAL });
    const calls: GrpcCall[] = [];
    for (let i = 0; i < 5; i++) {
      const { call, stream } = start(h);
      if (call) { calls.push(call); call.respond(encodeResponse({ overall_code: "OK", statuses: [ok()] })); }
      else assert.equal(stream.localResponse?.status, 429);
    }
    assert.equal(calls.length, 2);
    assert.equal(h.metric("ratelimit.local.limited"), 3);
    assert.equal(h.metric("ratelimit.global.ok"), 2);
  });

  test("a client that leaves while the call is in flight cancels it", async () => {
    const h = await host({ global: GLOBAL });
    const { stream, call } = start(h);
    stream.complete();
    assert.equal(call!.endedByPlugin, "cancel");
    assert.equal(h.traps.length, 0);
  });

  test("a request body waits with the headers until the answer", async () => {
    const h = await host({ global: GLOBAL });
    const stream = h.newHttpStream();
    stream.sendRequestHeaders({ ":method": "POST", ":path": "/", ":authority": "shop" });
    const r = stream.sendRequestBody("payload", { endOfStream: true });
    assert.equal(r.action, "pause");
    h.grpcCalls[0].respond(encodeResponse({ overall_code: "OK" }));
    assert.equal(stream.requestPaused, false);
    assert.equal(stream.requestBody, "payload");
  });
});
