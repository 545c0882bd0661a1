// The trace-id filter under random incoming trace headers — valid traceparents and their one-byte
// mutations, random strings, invalid UTF-8, B3 single and multi, tracestate and x-request-id of
// adversarial shapes:
// never a trap, the traceparent sent upstream is valid W3C Trace Context, an incoming valid trace id
// is kept, the echoed id matches, and every header is clean.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost, decodeBytes, type HeaderValue } from "../../src/host/index.js";
import { adversarialValue, assertCleanHeaders, check, headerValue, invalidUtf8, progress, runs, wasm } from "./lib.js";

const hex = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const validTraceparent = fc.tuple(hex(32), hex(16), hex(2))
  .filter(([t, p]) => !/^0+$/.test(t) && !/^0+$/.test(p))
  .map(([t, p, f]) => `00-${t}-${p}-${f}`);
/** A valid traceparent with one character replaced, cut or extended: mostly invalid, sometimes not. */
const mutatedTraceparent = fc.tuple(validTraceparent, fc.nat({ max: 60 }), fc.constantFrom("0", "f", "F", "-", " ", "g", "", "00")).map(
  ([tp, at, c]) => tp.slice(0, at) + c + tp.slice(at + 1));

/** W3C Trace Context validity (after optional whitespace), as a receiver would check what we send. */
function traceIdOf(tp: string): string | null {
  const v = tp.replace(/^[ \t]+|[ \t]+$/g, "");
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(v);
  if (!m || m[1] === "ff" || /^0+$/.test(m[2]) || /^0+$/.test(m[3])) return null;
  if (m[1] === "00" && m[5] !== undefined) return null;
  return m[2];
}

const request = fc.record({
  traceparent: fc.option(fc.oneof<fc.Arbitrary<HeaderValue>[]>(validTraceparent, mutatedTraceparent, headerValue, adversarialValue, invalidUtf8,
    validTraceparent.chain((tp) => invalidUtf8.map((b) => Uint8Array.from([...Buffer.from(tp), ...b])))), { nil: undefined }),
  tracestate: fc.option(fc.oneof<fc.Arbitrary<HeaderValue>[]>(fc.constantFrom("rojo=00f067aa0ba902b7", "a=1,b=2", ""), adversarialValue, invalidUtf8), { nil: undefined }),
  b3: fc.option(fc.oneof(fc.tuple(hex(32), hex(16)).map(([t, s]) => `${t}-${s}-1`), fc.constantFrom("0", "1", "d"), headerValue), { nil: undefined }),
  b3multi: fc.option(fc.tuple(fc.oneof(hex(16), hex(32), headerValue), fc.oneof(hex(16), headerValue)), { nil: undefined }),
  requestId: fc.option(fc.oneof<fc.Arbitrary<HeaderValue>[]>(fc.uuid(), headerValue, adversarialValue, invalidUtf8), { nil: undefined }),
});

for (const mode of ["propagate", "span"] as const) {
  describe(`trace-id under random trace headers, mode ${mode} (property-based)`, () => {
    test("a valid traceparent upstream, the incoming valid trace id kept, the echo matches, clean headers, no trap", async () => {
      const host = await ProxyHost.create({
        wasm: wasm("trace-id"), rootId: "trace_id",
        pluginConfig: { mode, extract: ["w3c", "b3", "b3multi"], emit: ["w3c", "b3"], echoRequestIdHeader: "x-rid" },
      });
      assert.equal(host.configured, true, host.logMessages("error").join("\n"));
      const n = runs(300);
      await check(`trace-id ${mode}`, 300, fc.property(request, (q) => {
        progress(`trace-id ${mode} requests`, n);
        const pairs: [string, HeaderValue][] = [[":method", "GET"], [":path", "/"], [":authority", "svc"]];
        if (q.traceparent !== undefined) pairs.push(["traceparent", q.traceparent]);
        if (q.tracestate !== undefined) pairs.push(["tracestate", q.tracestate]);
        if (q.b3 !== undefined) pairs.push(["b3", q.b3]);
        if (q.b3multi !== undefined) pairs.push(["x-b3-traceid", q.b3multi[0]], ["x-b3-spanid", q.b3multi[1]]);
        if (q.requestId !== undefined) pairs.push(["x-request-id", q.requestId]);
        const s = host.newHttpStream();
        const r = s.sendRequestHeaders(pairs, { endOfStream: true });
        assert.equal(r.localResponse, null);
        s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
        const sent = s.requestHeaders.getAll("traceparent");
        assert.equal(sent.length, 1, `traceparent lines upstream: ${JSON.stringify(sent).slice(0, 300)}`);
        const id = traceIdOf(sent[0]);
        assert.ok(id, `invalid traceparent upstream: ${JSON.stringify(sent[0]).slice(0, 200)}`);
        const incoming = q.traceparent === undefined ? null : traceIdOf(typeof q.traceparent === "string" ? q.traceparent : decodeBytes(q.traceparent));
        if (incoming) assert.equal(id, incoming, "a valid incoming trace id is kept");
        assert.equal(s.responseHeaders.get("x-trace-id"), id);
        assertCleanHeaders(s.requestHeaders, s.responseHeaders);
        s.complete();
      }));
    });
  });
}
