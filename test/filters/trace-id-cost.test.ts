// Bounded work on hostile input, as a ratio within one run (no absolute timings): a request whose trace
// headers are shaped to be expensive costs about what a well-formed request of the same size costs.
// A parser that is quadratic in some shape (or that rescans) fails by a wide margin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, type HeaderValue } from "../../src/host/index.js";

const WASM = "build/trace-id.wasm";
const TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const BASE: [string, HeaderValue][] = [[":method", "GET"], [":path", "/"], [":authority", "svc"], ["traceparent", TP]];
/** Most a shape may cost relative to the well-formed request of the same size. */
const MAX_RATIO = 2.5;

/**
 * CPU ns per request (median over batches) of `shape` and of `base` (extra headers on a request),
 * measured alternately so that load from elsewhere on the machine falls on both alike.
 */
function costs(h: ProxyHost, base: [string, HeaderValue][], shape: [string, HeaderValue][], batches = 9, perBatch = 100) {
  const runner = (extra: [string, HeaderValue][]) => {
    const headers = [...BASE, ...extra];
    return () => {
      for (let i = 0; i < perBatch; i++) {
        const s = h.newHttpStream();
        s.sendRequestHeaders(headers, { endOfStream: true });
        s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
        s.complete();
      }
    };
  };
  const a = runner(base), b = runner(shape);
  for (let i = 0; i < 3; i++) { a(); b(); } // warm-up (JIT, the module's tables)
  const ta: number[] = [], tb: number[] = [];
  const time = (f: () => void) => { const t0 = process.cpuUsage(); f(); const t = process.cpuUsage(t0); return ((t.user + t.system) * 1000) / perBatch; };
  for (let i = 0; i < batches; i++) { ta.push(time(a)); tb.push(time(b)); }
  const median = (x: number[]) => x.sort((p, q) => p - q)[Math.floor(x.length / 2)];
  const base_ = median(ta), shape_ = median(tb);
  return { base: base_, shape: shape_, ratio: shape_ / base_ };
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + " ".repeat(n - s.length));

/** A valid tracestate of about `size` bytes: 32 members with long distinct keys and long values. */
function normalTracestate(size: number): string {
  const per = Math.floor((size + 1) / 32) - 1; // bytes per member
  const value = "v".repeat(Math.min(256, per - 6));
  const keyLen = Math.min(256, per - value.length - 1);
  const members = Array.from({ length: 32 }, (_, i) => `${"k".repeat(keyLen - 2)}${String(i).padStart(2, "0")}=${value}`);
  return members.join(",");
}

test("tracestate: adversarial shapes cost about what a valid tracestate of the same size costs (both policies)", { timeout: 120_000 }, async () => {
  for (const policy of ["dropHeader", "dropMembers"]) {
    const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig: { tracestateValidation: policy } });
    const normal = normalTracestate(16000);
    const n = normal.length;
    const longKey = "k".repeat(250);
    const shapes: Record<string, string> = {
      "only commas (empty members)": pad("a=1", 3) + ",".repeat(n - 3),
      "only whitespace": "a=1," + " ".repeat(n - 4),
      "alternating comma and space": "a=1" + ", ".repeat((n - 3) >> 1),
      "one long key repeated": pad(Array.from({ length: Math.ceil(n / 253) }, () => `${longKey}=1`).join(","), n),
      "thousands of tiny members": pad(Array.from({ length: n }, (_, i) => `k${i}=1`).join(","), n).replace(/,[^,]*$/, ""),
      "keys that never end (no '=')": "k".repeat(n),
      "many '@'": ("a@" + "b".repeat(12)).repeat(Math.ceil(n / 14)).slice(0, n),
      "a value that never ends": "k=" + "v".repeat(n - 2),
    };
    for (const [name, v] of Object.entries(shapes)) {
      assert.ok(Math.abs(v.length - n) <= 256, `${name}: ${v.length} bytes vs ${n}`);
      const { base, shape, ratio } = costs(h, [["tracestate", normal]], [["tracestate", v]]);
      console.log(`tracestate ${policy}: ${name}: ${ratio.toFixed(2)} × the valid one (${shape.toFixed(0)} / ${base.toFixed(0)} ns)`);
      assert.ok(ratio < MAX_RATIO, `${policy}: ${name} costs ${ratio.toFixed(2)} × a valid tracestate of the same size`);
    }
    assert.equal(h.traps.length, 0);
  }
});

test("tracestate: twice the bytes cost at most about twice as much (linear, not quadratic)", { timeout: 60_000 }, async () => {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig: { tracestateValidation: "dropMembers" } });
  const shape = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=1`).join(",").slice(0, n);
  const { ratio } = costs(h, [["tracestate", shape(8000)]], [["tracestate", shape(16000)]]);
  console.log(`tracestate 8 KB → 16 KB: ${ratio.toFixed(2)} ×`);
  assert.ok(ratio < 3, `doubling the size multiplied the cost by ${ratio.toFixed(2)}`);
});

test("b3, x-b3-*, traceparent, x-request-id: an over-long value costs what carrying the same bytes in an unread header costs", { timeout: 60_000 }, async () => {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig: { extract: ["b3", "b3multi", "w3c"] } });
  const n = 16000;
  const shapes: [string, string][] = [
    ["b3", "a".repeat(n)],
    ["b3", "-".repeat(n)],
    ["b3", "80f198ee56343ba864fe8b2a57d3eff7-" + "e".repeat(n - 33)],
    ["x-b3-traceid", "8".repeat(n)],
    ["x-b3-sampled", "1".repeat(n)],
    ["traceparent", " ".repeat(n - TP.length) + TP],
    ["x-request-id", "r".repeat(n)],
  ];
  for (const [name, v] of shapes) {
    const { ratio } = costs(h, [["x-unread", "a".repeat(n)]], [[name, v]]);
    console.log(`${name} (${v.slice(0, 8)}… ${v.length} bytes): ${ratio.toFixed(2)} × the unread header`);
    assert.ok(ratio < MAX_RATIO, `${name}: ${ratio.toFixed(2)} ×`);
  }
  assert.equal(h.traps.length, 0);
});
