// Trace-id properties that rest on the request-time fixes of issue 10 (tracestate validation per W3C
// Trace Context, repeated traceparent lines, x-request-id bytes): whatever tracestate arrives — valid
// members, invalid ones, duplicates, too many, several lines, invalid UTF-8 — what leaves is a valid
// tracestate or none, at a cost linear in its size; two or more traceparent lines restart the trace;
// an x-request-id of plain or invalid-UTF-8 bytes reaches the upstream byte for byte.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost, encodeText, type HeaderValue, type HttpStream } from "../../src/host/index.js";
import { check, fastestMs, invalidUtf8, progress, runs, wasm } from "./lib.js";

const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** W3C Trace Context §3.3: at most 32 members, valid keys and values, no key twice. */
function assertValidTracestate(v: string): void {
  const members = v.split(",").map((m) => m.replace(/^[ \t]+|[ \t]+$/g, "")).filter((m) => m.length > 0);
  assert.ok(members.length <= 32, `${members.length} members`);
  const keys = new Set<string>();
  for (const m of members) {
    const eq = m.indexOf("=");
    assert.ok(eq > 0, `member ${JSON.stringify(m).slice(0, 80)}`);
    const k = m.slice(0, eq), val = m.slice(eq + 1);
    assert.match(k, KEY);
    assert.match(val, VALUE);
    assert.ok(!keys.has(k), `key ${k} twice`);
    keys.add(k);
  }
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const traceparent = fc.tuple(hex(32), hex(16)).filter(([t, p]) => !/^0+$/.test(t) && !/^0+$/.test(p)).map(([t, p]) => `00-${t}-${p}-01`);
const member = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,10}$/), fc.stringMatching(/^[!-+\--<>-~]{1,12}$/)).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom("", " ", "A=1", "a=", "=1", "a=b=c", "a", "k@sys=v", "t@=x", "a=1 ", "a\t=1"),
  fc.string({ maxLength: 12 }),
);
const tracestate: fc.Arbitrary<HeaderValue> = fc.oneof(
  fc.array(member, { maxLength: 40 }).map((ms) => ms.join(",")),
  invalidUtf8,
  fc.tuple(fc.constantFrom(",", "a=1,", "a,", "=,", " ,", "a=b="), fc.integer({ min: 1, max: 8000 })).map(([u, n]) => u.repeat(n)),
);

function send(h: ProxyHost, pairs: [string, HeaderValue][]): HttpStream {
  const s = h.newHttpStream();
  s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "svc"], ...pairs], { endOfStream: true });
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
  return s;
}

describe("trace-id: request-time properties (tracestate, repeated traceparent, x-request-id bytes)", () => {
  test("what leaves as tracestate is valid W3C (or absent), for any tracestate on one or several lines", async () => {
    const h = await ProxyHost.create({ wasm: wasm("trace-id"), rootId: "trace_id", pluginConfig: {} });
    const n = runs(300);
    await check("trace-id tracestate", 300, fc.property(traceparent, fc.array(tracestate, { minLength: 1, maxLength: 3 }), (tp, lines) => {
      progress("trace-id tracestate", n);
      const s = send(h, [["traceparent", tp], ...lines.map((l) => ["tracestate", l] as [string, HeaderValue])]);
      const out = s.requestHeaders.getAll("tracestate");
      assert.ok(out.length <= 1, `${out.length} tracestate lines`);
      if (out.length) assertValidTracestate(out[0]);
    }));
  });

  test("tracestate costs linear time: any repeated unit costs at most a few times a valid list of the same size", async () => {
    const h = await ProxyHost.create({ wasm: wasm("trace-id"), rootId: "trace_id", pluginConfig: {} });
    const SIZE = 32 * 1024;
    const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const cost = (v: string) => fastestMs(() => { send(h, [["traceparent", tp], ["tracestate", v]]); });
    const normal = cost(fill("k=v,"));
    const n = runs(12);
    await check("trace-id tracestate linear", 12, fc.property(fc.string({ unit: fc.constantFrom("a", ",", "=", " ", "@", "k"), minLength: 1, maxLength: 4 }), (unit) => {
      progress("trace-id tracestate linear-time shapes", n);
      const ms = cost(fill(unit));
      assert.ok(ms < Math.max(normal, 0.5) * 20, `${JSON.stringify(unit)}: ${ms.toFixed(2)} ms vs ${normal.toFixed(2)} ms`);
    }));
  });

  test("two or more traceparent lines restart the trace (W3C: a repeated header is invalid)", async () => {
    const h = await ProxyHost.create({ wasm: wasm("trace-id"), rootId: "trace_id", pluginConfig: {} });
    const n = runs(200);
    await check("trace-id repeated traceparent", 200, fc.property(fc.array(traceparent, { minLength: 2, maxLength: 3 }), (tps) => {
      progress("trace-id repeated traceparent", n);
      const s = send(h, tps.map((t) => ["traceparent", t] as [string, HeaderValue]));
      const out = s.requestHeaders.getAll("traceparent");
      assert.equal(out.length, 1);
      const id = out[0].split("-")[1];
      assert.match(out[0], /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
      for (const t of tps) assert.notEqual(id, t.split("-")[1], "a trace id from one of the repeated lines was kept");
    }));
  });

  test("an x-request-id of printable or invalid-UTF-8 bytes reaches the upstream and the echo byte for byte", async () => {
    const h = await ProxyHost.create({ wasm: wasm("trace-id"), rootId: "trace_id", pluginConfig: { echoRequestIdHeader: "x-rid" } });
    const n = runs(200);
    const rid = fc.oneof(fc.stringMatching(/^[!-~]{1,64}$/).map((s) => Uint8Array.from(Buffer.from(s))), invalidUtf8.filter((b) => b.length <= 256));
    await check("trace-id request id bytes", 200, fc.property(rid, (id) => {
      progress("trace-id x-request-id bytes", n);
      const s = send(h, [["x-request-id", id]]);
      const out = s.requestHeaders.getAll("x-request-id");
      assert.equal(out.length, 1);
      assert.deepEqual(Buffer.from(encodeText(out[0])), Buffer.from(id), `sent ${Buffer.from(id).toString("latin1")}, upstream got ${Buffer.from(encodeText(out[0])).toString("latin1")}`);
      const echo = s.responseHeaders.getBytes("x-rid");
      assert.deepEqual(Buffer.from(echo ?? []), Buffer.from(id), `sent ${Buffer.from(id).toString("latin1")}, echoed ${Buffer.from(echo ?? []).toString("latin1")}`);
    }));
  });
});
