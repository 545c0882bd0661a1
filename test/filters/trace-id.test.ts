// The trace-id filter over its compiled module (build/trace-id.wasm) in the test host: every behaviour
// of issue #5 — W3C keep/repair/start, span mode, B3 in and out, sampling, x-request-id, the echo
// header, filter state for the access log, metrics, configuration errors, id uniqueness.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, encodeText, type HttpStream, type HeaderValue } from "../../src/host/index.js";

const WASM = "build/trace-id.wasm";
const TP_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const UUID4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACE = "0af7651916cd43dd8448eb211c80319c";

async function host(pluginConfig: unknown = "", vms = 1) {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig, vms });
  assert.ok(h.configured, `configuration refused: ${h.logMessages("error").join("; ")}`);
  return h;
}

/** Runs one request/response through the filter; returns the stream (headers as upstream/client saw them). */
function run(h: ProxyHost, headers: Record<string, HeaderValue | HeaderValue[]> = {}): HttpStream {
  const s = h.newHttpStream();
  s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "svc", ...headers }, { endOfStream: true });
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
  return s;
}

function traceparent(s: HttpStream) {
  const v = s.requestHeaders.get("traceparent");
  assert.ok(v, "the upstream request carries a traceparent");
  const m = TP_RE.exec(v);
  assert.ok(m, `traceparent is well formed: ${v}`);
  assert.notEqual(m[1], "0".repeat(32));
  assert.notEqual(m[2], "0".repeat(16));
  return { value: v, traceId: m[1], parentId: m[2], flags: parseInt(m[3], 16) };
}

describe("W3C traceparent", () => {
  test("a valid incoming traceparent and its tracestate are forwarded unchanged", async () => {
    const h = await host();
    const s = run(h, { traceparent: VALID, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" });
    assert.equal(s.requestHeaders.get("traceparent"), VALID);
    assert.equal(s.requestHeaders.get("tracestate"), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    assert.equal(s.responseHeaders.get("x-trace-id"), TRACE, "the trace id is echoed to the client");
    assert.equal(h.metric("trace_id.traces_propagated"), 1);
    assert.equal(h.metric("trace_id.traces_started"), 0);
    assert.equal(h.metric("trace_id.traces_repaired"), 0);
  });

  test("without a traceparent a new sampled trace starts, with the Level 2 random flag", async () => {
    const h = await host();
    const s = run(h);
    const tp = traceparent(s);
    assert.equal(tp.flags, 0x03, "sampled (rate 1 by default) and random");
    assert.equal(s.responseHeaders.get("x-trace-id"), tp.traceId);
    assert.equal(h.metric("trace_id.traces_started"), 1);
  });

  test("a tracestate without a traceparent is dropped", async () => {
    const h = await host();
    const s = run(h, { tracestate: "foo=1,bar=2" });
    traceparent(s);
    assert.equal(s.requestHeaders.get("tracestate"), undefined);
  });

  const invalid: Record<string, string> = {
    "empty": "",
    "extra characters after version 00": VALID + ".",
    "extra field on version 00": VALID + "-what-the-future-will-be-like",
    "version ff": "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "illegal version": ".0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "version too long": "000-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "version too short": "0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "all-zero trace-id": "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    "uppercase trace-id": "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
    "trace-id too long": "00-0af7651916cd43dd8448eb211c80319cc-b7ad6b7169203331-01",
    "trace-id too short": "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",
    "all-zero parent-id": "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    "illegal parent-id": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333.-01",
    "parent-id too long": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033311-01",
    "illegal flags": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-.1",
    "flags too long": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-011",
    "future version with a bad separator": "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.x",
  };
  for (const [name, value] of Object.entries(invalid)) {
    test(`an invalid traceparent (${name}) restarts the trace and drops tracestate`, async () => {
      const h = await host();
      const s = run(h, { traceparent: value, tracestate: "congo=t61rcWkgMzE" });
      const tp = traceparent(s);
      assert.notEqual(tp.traceId, TRACE);
      assert.equal(s.requestHeaders.get("tracestate"), undefined);
      assert.equal(h.metric("trace_id.traces_repaired"), 1);
      assert.equal(h.metric("trace_id.traces_started"), 0);
    });
  }

  test("a higher version is read by the forward-compatibility rule and forwarded as is", async () => {
    const h = await host();
    const future = "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-will-be-like";
    const s = run(h, { traceparent: future });
    assert.equal(s.requestHeaders.get("traceparent"), future);
    assert.equal(s.responseHeaders.get("x-trace-id"), TRACE);
    assert.equal(h.metric("trace_id.traces_propagated"), 1);
  });

  test("span mode: same trace, a new parent-id, flags kept (reserved bits cleared), tracestate kept", async () => {
    const h = await host({ mode: "span" });
    const s = run(h, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09", tracestate: "congo=1" });
    const tp = traceparent(s);
    assert.equal(tp.traceId, TRACE);
    assert.notEqual(tp.parentId, "b7ad6b7169203331");
    assert.equal(tp.flags, 0x01, "sampled kept, the undefined bit 0x08 cleared");
    assert.equal(s.requestHeaders.get("tracestate"), "congo=1");
  });

  test("span mode rewrites a higher version as version 00", async () => {
    const h = await host({ mode: "span" });
    const s = run(h, { traceparent: "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra" });
    const tp = traceparent(s);
    assert.equal(tp.traceId, TRACE);
    assert.notEqual(tp.parentId, "b7ad6b7169203331");
  });

  test("span mode gives each request its own parent-id", async () => {
    const h = await host({ mode: "span" });
    const a = traceparent(run(h, { traceparent: VALID }));
    const b = traceparent(run(h, { traceparent: VALID }));
    assert.notEqual(a.parentId, b.parentId);
  });

  test("header names are matched case-insensitively", async () => {
    const h = await host();
    const s = run(h, { TraceParent: VALID });
    assert.equal(s.responseHeaders.get("x-trace-id"), TRACE);
  });
});

describe("B3", () => {
  test("a single b3 header continues the trace in W3C (propagate: its span becomes the parent-id)", async () => {
    const h = await host();
    const s = run(h, { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90", tracestate: "stale=1" });
    const tp = traceparent(s);
    assert.equal(tp.traceId, "80f198ee56343ba864fe8b2a57d3eff7");
    assert.equal(tp.parentId, "e457b5a2e4d86bd1");
    assert.equal(tp.flags, 0x01);
    assert.equal(s.requestHeaders.get("tracestate"), undefined, "tracestate does not belong to a B3 trace");
    assert.equal(s.requestHeaders.get("b3"), "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
    assert.equal(h.metric("trace_id.traces_propagated"), 1);
  });

  test("a 64-bit B3 trace id maps to 128 bits by left zero-padding", async () => {
    const h = await host();
    const s = run(h, { "x-b3-traceid": "48485a3953bb6124", "x-b3-spanid": "a2fb4a1d1a96d312", "x-b3-sampled": "0" });
    const tp = traceparent(s);
    assert.equal(tp.traceId, "000000000000000048485a3953bb6124");
    assert.equal(tp.parentId, "a2fb4a1d1a96d312");
    assert.equal(tp.flags, 0x00, "the deny decision is respected");
    assert.equal(s.responseHeaders.get("x-trace-id"), "000000000000000048485a3953bb6124");
  });

  test("the single header wins over the multi headers; W3C wins over both by default", async () => {
    const h = await host();
    const s1 = run(h, { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1", "x-b3-traceid": "48485a3953bb6124", "x-b3-spanid": "a2fb4a1d1a96d312" });
    assert.equal(traceparent(s1).traceId, "80f198ee56343ba864fe8b2a57d3eff7");
    const s2 = run(h, { traceparent: VALID, b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1" });
    assert.equal(s2.requestHeaders.get("traceparent"), VALID);
  });

  test("the extract order is configurable", async () => {
    const h = await host({ extract: ["b3", "w3c"] });
    const s = run(h, { traceparent: VALID, b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" });
    assert.equal(traceparent(s).traceId, "80f198ee56343ba864fe8b2a57d3eff7");
  });

  test("invalid B3 multi headers (missing span id) start a repaired trace", async () => {
    const h = await host();
    const s = run(h, { "x-b3-traceid": "48485a3953bb6124" });
    assert.notEqual(traceparent(s).traceId, "000000000000000048485a3953bb6124");
    assert.equal(h.metric("trace_id.traces_repaired"), 1);
  });

  test("emitted W3C, b3 and x-b3-* agree on a new trace", async () => {
    const h = await host({ emit: ["w3c", "b3", "b3multi"] });
    const s = run(h);
    const tp = traceparent(s);
    const [t, span, state, ...rest] = (s.requestHeaders.get("b3") ?? "").split("-");
    assert.equal(t, tp.traceId);
    assert.equal(span, tp.parentId);
    assert.equal(state, "1");
    assert.equal(rest.length, 0, "a root span has no parent");
    assert.equal(s.requestHeaders.get("x-b3-traceid"), tp.traceId);
    assert.equal(s.requestHeaders.get("x-b3-spanid"), tp.parentId);
    assert.equal(s.requestHeaders.get("x-b3-sampled"), "1");
    assert.equal(s.requestHeaders.get("x-b3-parentspanid"), undefined);
  });

  test("emitted B3 follows an incoming W3C trace; span mode records the incoming span as parent", async () => {
    const h = await host({ emit: ["w3c", "b3", "b3multi"], mode: "span" });
    const s = run(h, { traceparent: VALID, "x-b3-traceid": "48485a3953bb6124", "x-b3-spanid": "a2fb4a1d1a96d312" });
    const tp = traceparent(s);
    assert.equal(tp.traceId, TRACE);
    assert.equal(s.requestHeaders.get("b3"), `${TRACE}-${tp.parentId}-1-b7ad6b7169203331`);
    assert.equal(s.requestHeaders.get("x-b3-traceid"), TRACE, "stale B3 headers are overwritten so both formats agree");
    assert.equal(s.requestHeaders.get("x-b3-spanid"), tp.parentId);
    assert.equal(s.requestHeaders.get("x-b3-parentspanid"), "b7ad6b7169203331");
  });

  test("a 64-bit B3 trace is emitted back as 16 digits", async () => {
    const h = await host({ emit: ["w3c", "b3"], mode: "span" });
    const s = run(h, { b3: "48485a3953bb6124-a2fb4a1d1a96d312-1" });
    assert.match(s.requestHeaders.get("b3") ?? "", /^48485a3953bb6124-[0-9a-f]{16}-1-a2fb4a1d1a96d312$/);
  });

  test("B3 debug means sampled; it is re-emitted as debug", async () => {
    const h = await host({ emit: ["w3c", "b3multi"], sampleRate: 0 });
    const s = run(h, { "x-b3-traceid": "48485a3953bb6124", "x-b3-spanid": "a2fb4a1d1a96d312", "x-b3-flags": "1" });
    assert.equal(traceparent(s).flags & 1, 1);
    assert.equal(s.requestHeaders.get("x-b3-flags"), "1");
    assert.equal(s.requestHeaders.get("x-b3-sampled"), undefined, "debug implies accept: no X-B3-Sampled");
  });
});

describe("sampling", () => {
  test("sampleRate 0: new traces are not sampled", async () => {
    const h = await host({ sampleRate: 0 });
    for (let i = 0; i < 20; i++) assert.equal(traceparent(run(h)).flags, 0x02);
  });

  test("sampleRate 0.25 samples about a quarter of new traces", async () => {
    const h = await host({ sampleRate: 0.25 });
    let sampled = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) sampled += traceparent(run(h)).flags & 1;
    assert.ok(sampled > n * 0.2 && sampled < n * 0.3, `sampled ${sampled} of ${n}`);
  });

  test("an incoming decision is respected whatever the rate", async () => {
    const never = await host({ sampleRate: 0 });
    assert.equal(traceparent(run(never, { traceparent: VALID })).flags, 0x01);
    const always = await host({ sampleRate: 1, mode: "span" });
    assert.equal(traceparent(run(always, { traceparent: VALID.replace(/01$/, "00") })).flags, 0x00);
  });

  test("a B3 sampling decision without ids starts a new trace with that decision", async () => {
    const h = await host({ sampleRate: 1 });
    const a = traceparent(run(h, { b3: "0" }));
    assert.equal(a.flags, 0x02);
    const b = traceparent(run(h, { "x-b3-sampled": "0" }));
    assert.equal(b.flags, 0x02);
    assert.equal(h.metric("trace_id.traces_started"), 2);
  });

  test("a deferred B3 decision is made by the rate, consistently for the same trace id", async () => {
    const h = await host({ sampleRate: 0 });
    assert.equal(traceparent(run(h, { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1" })).flags, 0x00);
    const h1 = await host({ sampleRate: 1 });
    assert.equal(traceparent(run(h1, { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1" })).flags, 0x01);
  });
});

describe("x-request-id", () => {
  test("a present request id is kept", async () => {
    const h = await host();
    const s = run(h, { "x-request-id": "nginx-7f3a9c" });
    assert.equal(s.requestHeaders.get("x-request-id"), "nginx-7f3a9c");
  });

  test("an absent one is generated as a UUID v4, different per request", async () => {
    const h = await host();
    const a = run(h).requestHeaders.get("x-request-id") ?? "";
    const b = run(h).requestHeaders.get("x-request-id") ?? "";
    assert.match(a, UUID4_RE);
    assert.match(b, UUID4_RE);
    assert.notEqual(a, b);
  });

  test("it can be derived from the trace id, plain or UUID-shaped", async () => {
    const plain = await host({ requestIdFormat: "traceId" });
    assert.equal(run(plain, { traceparent: VALID }).requestHeaders.get("x-request-id"), TRACE);
    const dashed = await host({ requestIdFormat: "traceIdUuid" });
    assert.equal(run(dashed, { traceparent: VALID }).requestHeaders.get("x-request-id"), "0af76519-16cd-43dd-8448-eb211c80319c");
  });

  test("preserveRequestId false replaces a present one; the header name is configurable", async () => {
    const h = await host({ preserveRequestId: false, requestIdHeader: "X-Correlation-Id", requestIdFormat: "traceId" });
    const s = run(h, { traceparent: VALID, "x-correlation-id": "client-chosen" });
    assert.equal(s.requestHeaders.get("x-correlation-id"), TRACE);
    assert.equal(s.requestHeaders.get("x-request-id"), undefined);
  });

  test("an empty requestIdHeader turns request ids off", async () => {
    const h = await host({ requestIdHeader: "" });
    assert.equal(run(h).requestHeaders.get("x-request-id"), undefined);
  });
});

describe("echo and access log", () => {
  test("the echo headers are configurable: request id on, trace id renamed or off", async () => {
    const h = await host({ echoTraceIdHeader: "x-b3-echo", echoRequestIdHeader: "x-request-id" });
    const s = run(h, { traceparent: VALID, "x-request-id": "abc-123" });
    assert.equal(s.responseHeaders.get("x-b3-echo"), TRACE);
    assert.equal(s.responseHeaders.get("x-request-id"), "abc-123");
    assert.equal(s.responseHeaders.get("x-trace-id"), undefined);
    const off = await host({ echoTraceIdHeader: "" });
    assert.equal(run(off).responseHeaders.get("x-trace-id"), undefined);
  });

  test("a generated request id is echoed as generated", async () => {
    const h = await host({ echoRequestIdHeader: "x-request-id" });
    const s = run(h);
    assert.match(s.responseHeaders.get("x-request-id") ?? "", UUID4_RE);
    assert.equal(s.responseHeaders.get("x-request-id"), s.requestHeaders.get("x-request-id"));
  });

  test("filterStateProperty stores the trace id as a stream property (filter state wasm.<name>)", async () => {
    const h = await host({ filterStateProperty: "trace_id" });
    const s = run(h, { traceparent: VALID });
    assert.equal(s.property("trace_id"), TRACE);
  });

  test("envoyFilterStateKey sets Envoy filter state through set_envoy_filter_state", async () => {
    const h = await host({ envoyFilterStateKey: "envoy.string", filterStateValue: "requestId" });
    const s = run(h, { "x-request-id": "req-42" });
    assert.equal(s.filterState.get("envoy.string"), "req-42");
    const t = await host({ envoyFilterStateKey: "envoy.string", filterStateValue: "traceparent" });
    assert.equal(run(t, { traceparent: VALID }).filterState.get("envoy.string"), VALID);
  });

  test("a refused filter-state key is reported once, not per request", async () => {
    const h = await ProxyHost.create({
      wasm: WASM, rootId: "trace_id", pluginConfig: { envoyFilterStateKey: "my.key" },
      foreignFunctions: { set_envoy_filter_state: () => 1 /* NotFound, as Envoy answers an unknown factory */ },
    });
    run(h); run(h); run(h);
    const warnings = h.logMessages("warn").filter((m) => m.includes("my.key"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /envoyFilterStateKey must name a registered filter-state object factory/);
  });
});

describe("metrics and configuration", () => {
  test("each request counts once: started, propagated or repaired; statPrefix renames them", async () => {
    const h = await host({ statPrefix: "edge" });
    run(h); run(h, { traceparent: VALID }); run(h, { traceparent: "garbage" }); run(h, { traceparent: VALID });
    assert.equal(h.metric("edge.traces_started"), 1);
    assert.equal(h.metric("edge.traces_propagated"), 2);
    assert.equal(h.metric("edge.traces_repaired"), 1);
  });

  const refused: [string, unknown, RegExp][] = [
    ["an unknown format", { emit: ["w3c", "jaeger"] }, /emit\[1\]: unknown format "jaeger"/],
    ["a bad rate", { sampleRate: 2 }, /sampleRate: must be a number between 0 and 1/],
    ["a bad header name", { requestIdHeader: "x request id" }, /requestIdHeader: "x request id" is not a valid header name/],
    ["an unknown field", { sampelRate: 0.1 }, /sampelRate: unknown field/],
    ["malformed JSON", "{", /configuration is not valid JSON/],
  ];
  for (const [what, config, message] of refused) {
    test(`${what} refuses the plugin with a message naming the field`, async () => {
      const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig: config });
      assert.equal(h.configured, false);
      const errors = h.logMessages("error");
      assert.equal(errors.length, 1);
      assert.match(errors[0], /^trace-id: /);
      assert.match(errors[0], message);
      assert.equal(h.traps.length, 0);
    });
  }
});

describe("ids", () => {
  test("1,000,000 generated trace ids over 2 worker VMs: no duplicate, none all-zero", { timeout: 300_000 }, async () => {
    const h = await host({ echoTraceIdHeader: "", requestIdHeader: "" }, 2);
    const seen = new Set<string>();
    const n = 1_000_000;
    for (let i = 0; i < n; i++) {
      const s = h.newHttpStream();
      s.sendRequestHeaders({ ":path": "/" }, { endOfStream: true });
      const tp = s.requestHeaders.get("traceparent") ?? "";
      s.complete();
      const id = tp.slice(3, 35);
      assert.equal(id.length, 32);
      if (id === "00000000000000000000000000000000") assert.fail(`all-zero trace id at ${i}`);
      seen.add(id);
      if (seen.size !== i + 1) assert.fail(`duplicate trace id ${id} at request ${i}`);
    }
    assert.equal(seen.size, n);
  });

  test("a restarted plugin (fresh VM) does not repeat the ids of the previous one", async () => {
    const a = await host();
    const b = await host();
    const first = new Set(Array.from({ length: 1000 }, () => traceparent(run(a)).traceId));
    for (let i = 0; i < 1000; i++) assert.ok(!first.has(traceparent(run(b)).traceId));
  });
});

describe("repeated header lines", () => {
  const A = "00-12345678901234567890123456789011-1234567890123456-01";
  const B = "00-12345678901234567890123456789012-1234567890123456-01";

  test("two traceparent lines restart the trace (W3C test suite: test_traceparent_duplicated); one line goes upstream", async () => {
    const h = await host();
    for (const lines of [[A, B], [A, A]]) {
      const s = run(h, { traceparent: lines, tracestate: "foo=1" });
      const sent = s.requestHeaders.getAll("traceparent");
      assert.equal(sent.length, 1, `one traceparent upstream, got ${JSON.stringify(sent)}`);
      const tp = traceparent(s);
      assert.notEqual(tp.traceId, "12345678901234567890123456789011");
      assert.notEqual(tp.traceId, "12345678901234567890123456789012");
      assert.deepEqual(s.requestHeaders.getAll("tracestate"), [], "the tracestate of a restarted trace is dropped");
    }
    assert.equal(h.metric("trace_id.traces_repaired"), 2);
  });

  test("two lines of any B3 header make that format invalid: the trace restarts", async () => {
    const h = await host({ emit: ["w3c", "b3", "b3multi"] });
    const b3 = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
    const cases: Record<string, HeaderValue | HeaderValue[]>[] = [
      { b3: [b3, b3] },
      { "x-b3-traceid": ["80f198ee56343ba864fe8b2a57d3eff7", "80f198ee56343ba864fe8b2a57d3eff7"], "x-b3-spanid": "e457b5a2e4d86bd1" },
      { "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": ["e457b5a2e4d86bd1", "e457b5a2e4d86bd2"] },
      { "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1", "x-b3-sampled": ["0", "1"] },
      { "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1", "x-b3-flags": ["1", "1"] },
      { "x-b3-sampled": ["0", "0"] },
    ];
    for (const c of cases) {
      const s = run(h, c);
      assert.notEqual(traceparent(s).traceId, "80f198ee56343ba864fe8b2a57d3eff7", JSON.stringify(c));
      for (const name of ["b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled"]) {
        assert.equal(s.requestHeaders.getAll(name).length, 1, `${name} sent once for ${JSON.stringify(c)}`);
      }
      assert.equal(s.requestHeaders.getAll("x-b3-flags").length, 0);
    }
    assert.equal(h.metric("trace_id.traces_repaired"), cases.length);
  });

  test("tracestate lines are combined into one list, in order (W3C test suite: test_tracestate_multiple_headers_different_keys)", async () => {
    const h = await host();
    const s = run(h, { traceparent: VALID, tracestate: ["foo=1,bar=2", "rojo=1,congo=2", "baz=3"] });
    assert.equal(s.requestHeaders.get("traceparent"), VALID);
    assert.deepEqual(s.requestHeaders.getAll("tracestate"), ["foo=1,bar=2,rojo=1,congo=2,baz=3"]);
    const empty = run(h, { traceparent: VALID, tracestate: ["", "foo=1"] });
    assert.deepEqual(empty.requestHeaders.getAll("tracestate"), ["foo=1"]);
  });

  test("an x-request-id on two lines is not one id: a new one is generated (Envoy itself joins this inline header with ',')", async () => {
    const h = await host({ echoRequestIdHeader: "x-request-id" });
    const s = run(h, { "x-request-id": ["one", "two"] });
    const sent = s.requestHeaders.getAll("x-request-id");
    assert.equal(sent.length, 1);
    assert.match(sent[0], UUID4_RE);
    assert.equal(s.responseHeaders.get("x-request-id"), sent[0]);
    const joined = run(h, { "x-request-id": "one,two" });
    assert.equal(joined.requestHeaders.get("x-request-id"), "one,two", "one line with a comma is one id");
  });
});

describe("x-request-id bytes (D3)", () => {
  const RAW = Uint8Array.from([0x61, 0x62, 0xff, 0x63, 0x64, 0xc3]); // ab\xffcd\xc3: not UTF-8, valid header bytes (obs-text)

  test("a request id that is not UTF-8 is kept, echoed and exposed byte for byte", async () => {
    const h = await host({ echoRequestIdHeader: "x-request-id", filterStateProperty: "rid", filterStateValue: "requestId" });
    const s = run(h, { "x-request-id": RAW });
    assert.deepEqual(s.requestHeaders.getBytes("x-request-id"), RAW, "upstream");
    assert.deepEqual(s.responseHeaders.getBytes("x-request-id"), RAW, "echo");
    assert.deepEqual(encodeText(s.property("rid") ?? ""), RAW, "filter state");
    const t = await host({ envoyFilterStateKey: "envoy.string", filterStateValue: "requestId" });
    assert.deepEqual(encodeText(run(t, { "x-request-id": RAW }).filterState.get("envoy.string") ?? ""), RAW);
  });

  test("a request id with bytes a header value may not carry (control characters, DEL) is replaced", async () => {
    const h = await host({ echoRequestIdHeader: "x-request-id" });
    for (const bad of [[0x61, 0x00, 0x62], [0x61, 0x0a, 0x62], [0x61, 0x0d], [0x01], [0x61, 0x7f]]) {
      const s = run(h, { "x-request-id": Uint8Array.from(bad) });
      assert.match(s.requestHeaders.get("x-request-id") ?? "", UUID4_RE, `replaced: ${JSON.stringify(bad)}`);
      assert.equal(s.responseHeaders.get("x-request-id"), s.requestHeaders.get("x-request-id"));
    }
    const tab = run(h, { "x-request-id": "a\tb" });
    assert.equal(tab.requestHeaders.get("x-request-id"), "a\tb", "HTAB is allowed inside a field value");
  });

  test("a request id longer than 256 bytes is replaced; 256 bytes are kept", async () => {
    const h = await host();
    assert.equal(run(h, { "x-request-id": "r".repeat(256) }).requestHeaders.get("x-request-id"), "r".repeat(256));
    assert.match(run(h, { "x-request-id": "r".repeat(257) }).requestHeaders.get("x-request-id") ?? "", UUID4_RE);
  });
});

describe("bounded parsers", () => {
  test("an over-long b3 value is invalid without being scanned for its fields", async () => {
    const h = await host();
    const long = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90" + "0".repeat(64);
    const s = run(h, { b3: long });
    assert.notEqual(traceparent(s).traceId, "80f198ee56343ba864fe8b2a57d3eff7");
    assert.equal(h.metric("trace_id.traces_repaired"), 1);
    assert.equal(h.traps.length, 0);
  });
});
