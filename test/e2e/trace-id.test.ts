// The trace-id filter in real Envoy 1.40 with 2 worker threads: the upstream sees a valid
// traceparent, the client sees the echo header, an incoming valid id survives unchanged, and the
// access log prints the trace id from filter state (both ways the filter can set it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectEnvoyToFail, startStack, type Stack } from "./lib/index.js";

const TP_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-03$/;
const UUID4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACE = "0af7651916cd43dd8448eb211c80319c";
// The access-log line the README tells users to copy, plus the request id and traceparent headers.
const FORMAT = "trace_id=%FILTER_STATE(wasm.trace_id:PLAIN)% envoy_string=%FILTER_STATE(envoy.string:PLAIN)% " +
  "request_id=%REQ(X-REQUEST-ID)% traceparent=%REQ(TRACEPARENT)%\n";

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : v);

describe("trace-id in Envoy (2 workers)", () => {
  let stack: Stack;
  let dir: string;
  let logPath: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "trace-id-e2e-"));
    logPath = join(dir, "access.log");
    stack = await startStack({
      upstreams: ["backend"],
      concurrency: 2,
      // Let the filter own x-request-id (Envoy would otherwise set one before any filter runs).
      connectionManager: { generate_request_id: false },
      accessLog: { path: logPath, format: FORMAT },
      filters: [{ module: "trace-id", config: { filterStateProperty: "trace_id", envoyFilterStateKey: "envoy.string" } }],
    });
  });
  after(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a request without trace headers reaches the upstream with a new valid traceparent; the client gets the echo", async () => {
    const res = await stack.request("/orders");
    assert.equal(res.status, 200);
    const seen = stack.upstreams.backend.last();
    assert.ok(seen);
    const tp = header(seen.headers["traceparent"]) ?? "";
    const m = TP_RE.exec(tp);
    assert.ok(m, `upstream traceparent ${tp}`);
    assert.notEqual(m[1], "0".repeat(32));
    assert.equal(res.headers["x-trace-id"], m[1], "the client can quote the trace id");
    assert.match(header(seen.headers["x-request-id"]) ?? "", UUID4_RE);
  });

  test("an incoming valid traceparent and tracestate survive unchanged", async () => {
    const res = await stack.request("/orders", { headers: { traceparent: VALID, tracestate: "congo=t61rcWkgMzE", "x-request-id": "client-req-1" } });
    assert.equal(res.headers["x-trace-id"], TRACE);
    const seen = stack.upstreams.backend.last();
    assert.ok(seen);
    assert.equal(seen.headers["traceparent"], VALID);
    assert.equal(seen.headers["tracestate"], "congo=t61rcWkgMzE");
    assert.equal(seen.headers["x-request-id"], "client-req-1");
  });

  test("an invalid traceparent is replaced and its tracestate dropped", async () => {
    await stack.request("/orders", { headers: { traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01", tracestate: "congo=1" } });
    const seen = stack.upstreams.backend.last();
    assert.ok(seen);
    assert.match(header(seen.headers["traceparent"]) ?? "", TP_RE);
    assert.equal(seen.headers["tracestate"], undefined);
  });

  test("40 requests over both workers get 40 distinct trace ids", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await stack.request("/spread");
      ids.add(String(res.headers["x-trace-id"]));
    }
    assert.equal(ids.size, 40);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  });

  test("the counters add up across workers", async () => {
    const stats = await stack.envoy.stats("trace_id");
    const get = (suffix: string) => Object.entries(stats).find(([k]) => k.endsWith(suffix))?.[1] ?? 0;
    assert.equal(get("trace_id.traces_propagated"), 1);
    assert.equal(get("trace_id.traces_repaired"), 1);
    assert.equal(get("trace_id.traces_started"), 41);
  });
  test("the access log prints the trace id from filter state (property and set_envoy_filter_state)", async () => {
    const res = await stack.request("/logged", { headers: { traceparent: VALID.replace("b7ad6b7169203331", "1111111111111111") } });
    assert.equal(res.headers["x-trace-id"], TRACE);
    // Envoy flushes file access logs every 10 s by default, and always on shutdown: stop it first.
    await stack.stop();
    const want = `trace_id=${TRACE} envoy_string=${TRACE} `;
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    const line = text.split("\n").find((l) => l.includes("traceparent=00-0af7651916cd43dd8448eb211c80319c-1111111111111111-01"));
    assert.ok(line, `no access-log line for the request in:\n${text}`);
    assert.ok(line.startsWith(want), `access-log line: ${line}`);
    // Every request is logged with its trace id, equal to the traceparent's sent upstream.
    const lines = text.split("\n").filter((x) => x.startsWith("trace_id="));
    assert.equal(lines.length, 44);
    for (const l of lines) {
      const [, id, , tp] = /^trace_id=(\S+) envoy_string=(\S+) request_id=\S+ traceparent=(\S+)$/.exec(l) ?? [];
      assert.equal(tp.slice(3, 35), id, `line: ${l}`);
    }
  });

});

describe("trace-id in Envoy: configuration errors", () => {
  test("a bad sampling rate makes Envoy refuse the plugin, naming the field", async () => {
    const { log } = await expectEnvoyToFail({ upstreams: { backend: { port: 9 } }, filters: [{ module: "trace-id", config: { sampleRate: 1.5 } }] });
    assert.match(log, /trace-id: sampleRate: must be a number between 0 and 1/);
  });
});

describe("trace-id in Envoy: repeated headers, exact bytes, tracestate validation", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["backend"],
      concurrency: 2,
      connectionManager: { generate_request_id: false },
      filters: [{ module: "trace-id", config: { echoRequestIdHeader: "x-request-id" } }],
    });
  });
  after(async () => { await stack?.stop(); });

  const upstreamLines = (name: string) => stack.upstreams.backend.last()!.lines.filter(([k]) => k === name).map(([, v]) => v);

  test("two traceparent lines: the upstream receives one valid traceparent with a new trace id, and no tracestate", async () => {
    const a = "00-12345678901234567890123456789011-1234567890123456-01";
    const b = "00-12345678901234567890123456789012-1234567890123456-01";
    const res = await stack.request("/two", { headers: { traceparent: [a, b], tracestate: "foo=1" } });
    assert.equal(res.status, 200);
    const tps = upstreamLines("traceparent");
    assert.equal(tps.length, 1, `upstream traceparent lines: ${JSON.stringify(tps)}`);
    const m = TP_RE.exec(tps[0]);
    assert.ok(m, tps[0]);
    assert.notEqual(m[1], a.slice(3, 35));
    assert.notEqual(m[1], b.slice(3, 35));
    assert.equal(res.headers["x-trace-id"], m[1]);
    assert.deepEqual(upstreamLines("tracestate"), []);
  });

  test("x-request-id ab\\xffcd\\xc3 reaches the upstream and comes back in the echo byte for byte", async () => {
    const raw = "ab\xffcd\xc3"; // latin1: these exact bytes on the wire
    const res = await stack.request("/bytes", { headers: { "x-request-id": raw } });
    assert.equal(res.status, 200);
    assert.deepEqual(upstreamLines("x-request-id"), [raw]);
    assert.deepEqual(res.lines.filter(([k]) => k === "x-request-id").map(([, v]) => v), [raw]);
  });

  test("an invalid tracestate (a repeated key) is dropped whole; valid lines are combined into one", async () => {
    await stack.request("/ts", { headers: { traceparent: VALID, tracestate: ["congo=1", "rojo=2,congo=3"] } });
    assert.equal(upstreamLines("traceparent")[0], VALID, "the traceparent is kept");
    assert.deepEqual(upstreamLines("tracestate"), []);
    await stack.request("/ts", { headers: { traceparent: VALID, tracestate: ["congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"] } });
    assert.deepEqual(upstreamLines("tracestate"), ["congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"]);
    const stats = await stack.envoy.stats("trace_id");
    const invalid = Object.entries(stats).find(([k]) => k.endsWith("trace_id.tracestate_invalid"))?.[1];
    assert.equal(invalid, 1);
  });

  test("two b3 lines restart the trace", async () => {
    const b3 = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
    const res = await stack.request("/b3", { headers: { b3: [b3, b3] } });
    assert.equal(res.status, 200);
    const m = TP_RE.exec(upstreamLines("traceparent")[0] ?? "");
    assert.ok(m);
    assert.notEqual(m[1], "80f198ee56343ba864fe8b2a57d3eff7");
  });
});
