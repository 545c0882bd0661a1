// The chain module (build/chain.wasm: trace-id → tagging → rate-limit in one VM) in the test host:
// for the same requests it does what the three modules do one after another (each stage's output
// is the next one's input, responses back in reverse), each filter reads its own section and keeps
// its own metrics, an absent section turns a filter off, a bad section refuses the chain with the
// filter's own reason, and rate-limit's global rules pause and resume through the chain's root.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, type HttpStream } from "../../src/host/index.js";
import { testRefusals } from "./lib/refusals.js";
import { CHAIN_MEMBERS, defaultRootId } from "../../src/envoy/index.js";

const CHAIN = "build/chain.wasm";
const TRACE = { mode: "propagate", emit: ["w3c", "b3"], requestIdHeader: "x-request-id", echoTraceIdHeader: "x-trace-id" };
const TAGGING = {
  rules: [{ name: "beta", tag: "gray", match: { source: "header", name: "x-beta", operator: "equals", value: "1" } }],
  defaultTag: "stable", responseHeader: "x-mesh-tag",
};
const RATE = { rules: [{ name: "per-key", key: [{ source: "header", name: "x-api-key" }], tokens: 2, interval: "1h" }] };
const SECTIONS = { traceId: TRACE, tagging: TAGGING, rateLimit: RATE };
const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async function chain(config: unknown = SECTIONS, extra: Partial<Parameters<typeof ProxyHost.create>[0]> = {}): Promise<ProxyHost> {
  const h = await ProxyHost.create({ wasm: CHAIN, rootId: "chain", pluginConfig: config, ...extra });
  assert.ok(h.configured, `configuration refused: ${h.logMessages("error").join("; ")}`);
  return h;
}

type Headers = Record<string, string>;
interface Outcome { upstream: Headers | null; status: number; client: Headers; local: boolean }

const REQUESTS: Headers[] = [
  { traceparent: TP, "x-request-id": "r-1" },
  { traceparent: TP, "x-request-id": "r-2", "x-beta": "1" },
  { traceparent: TP, "x-request-id": "r-3", "x-api-key": "k" },
  { traceparent: TP, "x-request-id": "r-4", "x-api-key": "k", "x-beta": "1" },
  { traceparent: TP, "x-request-id": "r-5", "x-api-key": "k" }, // the third for key k: limited
  { traceparent: TP, "x-request-id": "r-6", "x-mesh-tag": "gray", baggage: "mesh-tag=gray,a=b" },
];

const request = (h: Headers): Headers => ({ ":method": "GET", ":path": "/api", ":authority": "shop", ...h });
const plain = (s: HttpStream, which: "request" | "response"): Headers =>
  Object.fromEntries((which === "request" ? s.requestHeaders : s.responseHeaders).pairs().map(([k, v]) => [k, String(v)]));

/** One request through the chain module. */
function throughChain(h: ProxyHost, headers: Headers): Outcome {
  const s = h.newHttpStream();
  s.sendRequestHeaders(request(headers), { endOfStream: true });
  if (s.localResponse) { s.complete(); return { upstream: null, status: s.localResponse.status, client: localHeaders(s), local: true }; }
  const upstream = plain(s, "request");
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  const client = plain(s, "response");
  s.complete();
  return { upstream, status: 200, client, local: false };
}

/** A local reply's headers as the client gets them (its status is compared on its own). */
const localHeaders = (s: HttpStream): Headers =>
  Object.fromEntries(Object.entries(s.localResponse!.headers).filter(([k]) => k !== ":status").map(([k, v]) => [k, String(v)]));

/**
 * The same request through the three modules one after another, as Envoy chains filters: requests
 * first to last, responses last to first; a local reply goes back through the filters before it.
 */
function throughModules(hosts: ProxyHost[], headers: Headers): Outcome {
  const streams: HttpStream[] = [];
  let req = request(headers);
  for (const h of hosts) {
    const s = h.newHttpStream();
    streams.push(s);
    s.sendRequestHeaders(req, { endOfStream: true });
    if (s.localResponse) {
      let resp: Headers = { ":status": String(s.localResponse.status), ...localHeaders(s) };
      for (let i = streams.length - 2; i >= 0; i--) {
        streams[i].sendResponseHeaders(resp, { endOfStream: true });
        resp = plain(streams[i], "response");
      }
      for (const x of streams) x.complete();
      const { ":status": _, ...client } = resp;
      return { upstream: null, status: s.localResponse.status, client: streams.length > 1 ? client : localHeaders(s), local: true };
    }
    req = plain(s, "request");
  }
  let resp: Headers = { ":status": "200" };
  for (let i = streams.length - 1; i >= 0; i--) {
    streams[i].sendResponseHeaders(resp, { endOfStream: true });
    resp = plain(streams[i], "response");
  }
  for (const x of streams) x.complete();
  return { upstream: req, status: 200, client: resp, local: false };
}

/** Runs `requests` through the chain `h` and through the three modules configured with `sections`; they must agree. */
async function sameAsModules(h: ProxyHost, sections: Record<string, unknown>, requests: Headers[]): Promise<Outcome[]> {
  const hosts = [];
  for (const { section, module } of CHAIN_MEMBERS) {
    if (sections[section]) hosts.push(await ProxyHost.create({ wasm: `build/${module}.wasm`, rootId: defaultRootId(module), pluginConfig: sections[section] }));
  }
  // Generated ids differ between runs: compare traceparent's and b3's trace id and flags, uuids by shape, the rest exactly.
  const norm = (o: Outcome) => JSON.stringify(o, (k, v) => typeof v !== "string" ? v
    : k === "traceparent" || k === "b3" ? v.replace(/-[0-9a-f]{16}-/, "-<span>-").replace(/^00-(?!4bf9|0af7)[0-9a-f]{32}/, "00-<new>")
    : k === "x-request-id" || k === "x-trace-id" ? v.replace(/^[0-9a-f-]{32,36}$/, "<id>") : v);
  const out: Outcome[] = [];
  for (const [i, r] of requests.entries()) {
    const a = throughChain(h, r);
    const b = throughModules(hosts, r);
    assert.equal(norm(a), norm(b), `request ${i}: ${JSON.stringify(r)}`);
    out.push(a);
  }
  return out;
}

describe("chain: the three filters in one module", () => {
  test("each request comes out as through trace-id, tagging and rate-limit one after another", async () => {
    const h = await chain();
    await sameAsModules(h, SECTIONS, REQUESTS);
    const limited = throughChain(h, { "x-api-key": "k" });
    assert.equal(limited.status, 429);
    // The local reply passes back through tagging and trace-id, which ran before the limiter.
    assert.equal(limited.client["x-mesh-tag"], "stable");
    assert.match(limited.client["x-trace-id"] ?? "", /^[0-9a-f]{32}$/);
  });

  // The members share one read of the request headers per callback (sdk/headerlines.ts): what an
  // earlier member wrote — replaced, removed, a repeated line made one — is what a later one reads.
  test("a later filter reads what an earlier one wrote: rules on the lane tagging set, keys on the trace trace-id made", async () => {
    const sections = {
      traceId: { mode: "propagate", emit: ["w3c"], requestIdHeader: "x-request-id" },
      tagging: { ...TAGGING, override: true },
      rateLimit: {
        rules: [
          { name: "gray-lane", match: { source: "header", name: "x-mesh-tag", operator: "equals", value: "gray" }, tokens: 1, interval: "1h" },
          { name: "per-trace", key: [{ source: "header", name: "traceparent" }], tokens: 1, interval: "1h" },
          { name: "per-request-id", key: [{ source: "header", name: "x-request-id" }], tokens: 1, interval: "1h" },
        ],
      },
    };
    const bad = "00-00000000000000000000000000000000-0000000000000000-01"; // invalid: trace-id starts a new trace
    const requests: Headers[] = [
      { "x-beta": "1", "x-request-id": "a" },                  // gray: the lane rule's one token
      { "x-beta": "1", "x-request-id": "b" },                  // gray again: 429
      { "x-mesh-tag": "gray", "x-request-id": "c" },           // a client-chosen lane tagging overrides: stable, admitted
      { "x-mesh-tag": "gray, gray", "x-request-id": "d" },
      { traceparent: bad, "x-request-id": "e" },                // a new trace each time: per-trace never runs dry
      { traceparent: bad, "x-request-id": "f" },
      { traceparent: TP, "x-request-id": "g" },                 // a kept trace: its bucket …
      { traceparent: TP, "x-request-id": "h" },                 // … is empty now
      { traceparent: [TP, TP] as unknown as string, "x-request-id": "i" }, // two lines: restarted, one line
      { "x-request-id": "" },                                    // regenerated ids: per-request-id never runs dry
      { "x-request-id": "" },
    ];
    const h = await chain(sections);
    const outcomes = await sameAsModules(h, sections, requests);
    assert.deepEqual(outcomes.map((o) => o.status), [200, 429, 200, 200, 200, 200, 200, 429, 200, 200, 200]);
  });
  test("the filters' work is all there: trace kept, lane decided and echoed, limits counted", async () => {
    const h = await chain();
    const o = throughChain(h, { traceparent: TP, "x-beta": "1", "x-api-key": "a" });
    assert.equal(o.upstream!.traceparent, TP);
    assert.match(o.upstream!.b3 ?? "", /^4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1/);
    assert.equal(o.upstream!["x-mesh-tag"], "gray");
    assert.equal(o.upstream!.baggage, "mesh-tag=gray");
    assert.equal(o.client["x-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(o.client["x-mesh-tag"], "gray");
    // Each filter's own metrics, under the names its own module uses.
    assert.equal(h.metric("trace_id.traces_propagated"), 1);
    assert.equal(h.metric("tagging.requests.outcome.assigned"), 1);
    assert.equal(h.metric("tagging.tagged.tag.gray.rule.beta"), 1);
    assert.equal(h.metric("ratelimit.per-key.allowed"), 1);
    assert.equal(h.metric("ratelimit.per-key.limited"), 0);
  });

  test("limits stay exact across worker VMs", async () => {
    const h = await chain(SECTIONS, { vms: 3 });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(throughChain(h, { "x-api-key": "shared" }).status);
    assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429]);
    assert.equal(h.metric("ratelimit.per-key.allowed"), 2);
    assert.equal(h.metric("ratelimit.per-key.limited"), 4);
  });

  test("an absent section turns its filter off", async () => {
    const h = await chain({ tagging: TAGGING });
    const o = throughChain(h, { "x-beta": "1", "x-api-key": "k" });
    assert.equal(o.upstream!["x-mesh-tag"], "gray");
    assert.equal(o.upstream!.traceparent, undefined, "no trace-id section: no traceparent");
    for (let i = 0; i < 3; i++) assert.equal(throughChain(h, { "x-api-key": "k" }).status, 200, "no rateLimit section: no limit");
    assert.equal(h.metric("trace_id.traces_started"), undefined);
  });

  test("a section is handed to its filter as written (its defaults, its strictness)", async () => {
    const h = await chain({ traceId: {} });
    const o = throughChain(h, {});
    assert.match(o.upstream!.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
    assert.equal(h.metric("trace_id.traces_started"), 1);
  });

  test("a refused reconfiguration keeps the previous one", async () => {
    const h = await chain();
    assert.equal(await h.reconfigure({ ...SECTIONS, tagging: { ...TAGGING, defaultTag: 7 } }), false);
    assert.equal(throughChain(h, {}).client["x-mesh-tag"], "stable");
    assert.equal(await h.reconfigure({ tagging: { ...TAGGING, defaultTag: "blue" } }), true);
    const o = throughChain(h, {});
    assert.equal(o.client["x-mesh-tag"], "blue");
    assert.equal(o.upstream!.traceparent, undefined);
  });
});

describe("chain: configuration errors name the section and the field", () => {
  testRefusals(CHAIN, "chain", [
    ["", "chain: configuration: no section; give one or more of traceId, tagging, rateLimit"],
    [{}, "chain: configuration: no section; give one or more of traceId, tagging, rateLimit"],
    ["[1]", "chain: configuration: expected a JSON object at offset 0"],
    ["{\"traceId\": {}", "chain: configuration: unterminated object"],
    [{ traceid: {} }, "chain: traceid: unknown section; did you mean \"traceId\"? (sections: traceId, tagging, rateLimit)"],
    ["{\"tagging\": {\"defaultTag\": \"a\"}, \"tagging\": {}}", "chain: tagging: section given twice"],
    [{ rateLimit: [] }, "chain: rateLimit: expected object, got array"],
    [{ tagging: null }, "chain: tagging: expected object, got null"],
    [{ "bad\nkey": {} }, "chain: [\"bad\\nkey\"]: unknown section"],
    // The filter's own reason first, then the chain's line naming the section.
    [{ rateLimit: {} }, "rate-limit: rules: is required"],
    [{ rateLimit: {} }, "chain: rateLimit: section refused (reason above)"],
    [{ traceId: { mode: "keep" } }, "trace-id: mode:"],
    [{ tagging: { rules: [{ name: "a", tag: "gray", match: null }] } }, "tagging: rules[0].match: expected object, got null"],
  ]);
});

describe("chain: rate-limit's global rules through the chain's root", () => {
  const GLOBAL = { cluster: "ratelimit", domain: "edge", timeout: "250ms", rules: [{ name: "api", descriptor: [{ value: "api" }] }] };
  const config = { traceId: TRACE, tagging: TAGGING, rateLimit: { global: GLOBAL } };

  test("the request waits for the service; OK resumes it with the other filters' work kept", async () => {
    const h = await chain(config, { clusters: ["ratelimit"] });
    const s = h.newHttpStream();
    const r = s.sendRequestHeaders(request({ traceparent: TP, "x-beta": "1" }), { endOfStream: true });
    assert.equal(r.action, "pause");
    assert.equal(h.grpcCalls.length, 1);
    assert.equal(h.grpcCalls[0].service, "envoy.service.ratelimit.v3.RateLimitService");
    // An empty message is a valid RateLimitResponse (overall UNKNOWN): admitted.
    h.grpcCalls[0].respond(new Uint8Array(0));
    assert.equal(s.requestPaused, false);
    assert.equal(s.localResponse, null);
    assert.equal(s.requestHeaders.get("x-mesh-tag"), "gray");
    assert.equal(s.requestHeaders.get("traceparent"), TP);
    s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    assert.equal(s.responseHeaders.get("x-trace-id"), "4bf92f3577b34da6a3ce929d0e0e4736");
    s.complete();
    assert.equal(h.metric("ratelimit.global.ok"), 1);
  });

  test("a failed call follows the failure mode; a body waits with the headers; a client that leaves cancels the call", async () => {
    const h = await chain({ tagging: TAGGING, rateLimit: { global: { ...GLOBAL, failOpen: false } } }, { clusters: ["ratelimit"] });
    const s = h.newHttpStream();
    s.sendRequestHeaders({ ":method": "POST", ":path": "/", ":authority": "shop" });
    assert.equal(s.sendRequestBody("abc", { endOfStream: true }).action, "pause");
    h.grpcCalls[0].fail(14, "unavailable");
    assert.equal(s.localResponse?.status, 500);
    assert.equal(s.localResponse?.headers["x-mesh-tag"], "stable", "the local reply passes back through tagging");
    s.complete();
    assert.equal(h.metric("ratelimit.global.fail_closed"), 1);
    const left = h.newHttpStream();
    left.sendRequestHeaders(request({}), { endOfStream: true });
    const call = h.grpcCallLog[h.grpcCallLog.length - 1];
    left.complete();
    assert.equal(call.endedByPlugin, "cancel");
    assert.equal(h.traps.length, 0);
  });
});
