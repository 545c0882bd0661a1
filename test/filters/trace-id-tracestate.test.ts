// tracestate validation in the trace-id filter (compiled module, test host), case by case after the
// official W3C trace-context test suite (w3c/trace-context test/test.py, STRICT_LEVEL 2: an invalid
// tracestate is discarded whole) plus the other policies, truncation and the size bound.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, type HttpStream, type HeaderValue } from "../../src/host/index.js";

const WASM = "build/trace-id.wasm";
const TP = "00-12345678901234567890123456789012-1234567890123456-00";

async function host(pluginConfig: unknown = {}) {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig });
  assert.ok(h.configured, `configuration refused: ${h.logMessages("error").join("; ")}`);
  return h;
}

function run(h: ProxyHost, headers: Record<string, HeaderValue | HeaderValue[]> | [string, HeaderValue][]): HttpStream {
  const s = h.newHttpStream();
  const base: [string, HeaderValue][] = [[":method", "GET"], [":path", "/"], [":authority", "svc"]];
  const list: [string, HeaderValue][] = Array.isArray(headers)
    ? headers
    : Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, HeaderValue] => [k, x]) : [[k, v] as [string, HeaderValue]]));
  s.sendRequestHeaders([...base, ...list], { endOfStream: true });
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
  assert.equal(h.traps.length, 0);
  return s;
}

/** The tracestate lines sent upstream after the filter ran with `lines` (traceparent TP). */
function sent(h: ProxyHost, ...lines: HeaderValue[]): string[] {
  const s = run(h, [["traceparent", TP], ...lines.map((l): [string, HeaderValue] => ["tracestate", l])]);
  assert.equal(s.requestHeaders.get("traceparent"), TP, "a tracestate never affects the traceparent");
  return s.requestHeaders.getAll("tracestate");
}

/** The members of what went upstream, as the W3C harness reads them (every line, split on ','). */
function members(lines: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines) for (const part of l.split(",")) {
    const t = part.trim();
    if (!t) continue;
    const eq = t.indexOf("=");
    m.set(t.slice(0, eq), t.slice(eq + 1));
  }
  return m;
}

const seq = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `bar${String(i + from).padStart(2, "0")}=${String(i + from).padStart(2, "0")}`);

describe("tracestate: the W3C test suite's cases (default: an invalid header is discarded whole)", () => {
  test("test_tracestate_included_traceparent_missing: discarded", async () => {
    const h = await host();
    const s = run(h, { tracestate: "foo=1,bar=2" });
    assert.deepEqual(s.requestHeaders.getAll("tracestate"), []);
  });

  test("test_tracestate_included_traceparent_included: inherited unchanged", async () => {
    const h = await host();
    assert.deepEqual(sent(h, "foo=1,bar=2"), ["foo=1,bar=2"]);
  });

  test("test_tracestate_header_name (trace-state, trace.state are other headers) and valid casing", async () => {
    const h = await host();
    const s = run(h, [["traceparent", TP], ["trace-state", "foo=1"]]);
    assert.deepEqual(s.requestHeaders.getAll("tracestate"), []);
    for (const name of ["TraceState", "TrAcEsTaTe", "TRACESTATE"]) {
      const t = run(h, [["traceparent", TP], [name, "foo=1"]]);
      assert.equal(members(t.requestHeaders.getAll("tracestate")).get("foo"), "1", name);
    }
  });

  test("test_tracestate_empty_header: an empty header is not sent; empty lines beside members are dropped", async () => {
    const h = await host();
    assert.deepEqual(sent(h, ""), []);
    assert.deepEqual(sent(h, "foo=1", ""), ["foo=1"]);
    assert.deepEqual(sent(h, "", "foo=1"), ["foo=1"]);
    assert.deepEqual(sent(h, " , \t,"), [], "whitespace-only members only");
  });

  test("test_tracestate_multiple_headers_different_keys: combined in order", async () => {
    const h = await host();
    assert.deepEqual(sent(h, "foo=1,bar=2", "rojo=1,congo=2", "baz=3"), ["foo=1,bar=2,rojo=1,congo=2,baz=3"]);
  });

  test("test_tracestate_duplicated_keys: discarded", async () => {
    const h = await host();
    assert.deepEqual(sent(h, "foo=1,foo=1"), []);
    assert.deepEqual(sent(h, "foo=1,foo=2"), []);
    assert.deepEqual(sent(h, "foo=1", "foo=1"), []);
    assert.deepEqual(sent(h, "foo=1", "foo=2"), []);
    assert.deepEqual(sent(h, "a@t=1,a@t=2"), [], "multi-tenant keys too");
    assert.deepEqual(sent(h, "foo=1,fo=2,foo1=3"), ["foo=1,fo=2,foo1=3"], "prefixes are different keys");
  });

  test("test_tracestate_all_allowed_characters: inherited", async () => {
    const h = await host();
    const key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    const range = (a: number, b: number) => String.fromCharCode(...Array.from({ length: b - a + 1 }, (_, i) => a + i));
    const value = range(0x20, 0x2b) + range(0x2d, 0x3c) + range(0x3e, 0x7e);
    assert.equal(members(sent(h, `${key}=${value}`)).get(key), value);
    assert.equal(members(sent(h, `${key}@a-z0-9_-*/=${value}`)).get(`${key}@a-z0-9_-*/`), value);
  });

  test("test_tracestate_ows_handling: spaces and tabs around members are ignored", async () => {
    const h = await host();
    for (const v of ["foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"]) {
      const m = members(sent(h, v));
      assert.deepEqual([...m], [["foo", "1"], ["bar", "2"], ["baz", "3"]], JSON.stringify(v));
    }
    for (const v of [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"]) {
      assert.equal(members(sent(h, v)).get("foo"), "1", JSON.stringify(v));
    }
  });

  test("test_tracestate_key_illegal_characters: discarded", async () => {
    const h = await host();
    for (const v of ["foo =1", "FOO=1", "foo.bar=1"]) assert.deepEqual(sent(h, v), [], v);
  });

  test("test_tracestate_key_illegal_vendor_format: discarded", async () => {
    const h = await host();
    for (const v of ["foo@=1,bar=2", "@foo=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2"]) assert.deepEqual(sent(h, v), [], v);
  });

  test("test_tracestate_member_count_limit: 32 members kept, 33 discarded", async () => {
    const h = await host();
    const four = (n: number) => [seq(10, 1).join(","), seq(10, 11).join(","), seq(10, 21).join(","), seq(n - 30, 31).join(",")];
    const kept = sent(h, ...four(32));
    assert.equal(members(kept).size, 32);
    assert.equal(members(kept).get("bar01"), "01");
    assert.deepEqual(sent(h, ...four(33)), []);
  });

  test("test_tracestate_key_length_limit: 256 / 257, tenant 241 / 242, system 14 / 15", async () => {
    const h = await host();
    assert.equal(members(sent(h, "foo=1", "z".repeat(256) + "=1")).get("foo"), "1");
    assert.deepEqual(sent(h, "foo=1", "z".repeat(257) + "=1"), []);
    assert.equal(members(sent(h, "foo=1", "t".repeat(241) + "@" + "v".repeat(14) + "=1")).get("foo"), "1");
    assert.deepEqual(sent(h, "foo=1", "t".repeat(242) + "@v=1"), []);
    assert.deepEqual(sent(h, "foo=1", "t@" + "v".repeat(15) + "=1"), []);
  });

  test("test_tracestate_value_illegal_characters: discarded", async () => {
    const h = await host();
    assert.deepEqual(sent(h, "foo=bar=baz"), []);
    assert.deepEqual(sent(h, "foo=,bar=3"), []);
  });
});

describe("tracestate: the grammar's other edges", () => {
  test("keys: a simple key starts with a letter; a tenant may start with a digit; a system with a letter", async () => {
    const h = await host();
    assert.deepEqual(sent(h, "1abc=1"), []);
    assert.deepEqual(sent(h, "1abc@sys=1"), ["1abc@sys=1"]);
    assert.deepEqual(sent(h, "abc@1sys=1"), []);
    assert.deepEqual(sent(h, "_abc=1"), []);
    assert.deepEqual(sent(h, "=1"), []);
    assert.deepEqual(sent(h, "foo"), [], "a member without '='");
  });

  test("values: 256 characters, printable ASCII, leading spaces kept, no tab inside, no non-ASCII byte", async () => {
    const h = await host();
    assert.deepEqual(sent(h, "foo=" + "v".repeat(256)), ["foo=" + "v".repeat(256)]);
    assert.deepEqual(sent(h, "foo=" + "v".repeat(257)), []);
    assert.equal(members(sent(h, "foo=  x")).get("foo"), "  x", "leading spaces belong to the value");
    assert.deepEqual(sent(h, "foo=a\tb"), []);
    assert.deepEqual(sent(h, Uint8Array.from([0x66, 0x6f, 0x6f, 0x3d, 0x61, 0xff])), [], "foo=a\\xff");
    assert.deepEqual(sent(h, Uint8Array.from([0x66, 0x6f, 0x6f, 0x3d, 0x61, 0x7f])), [], "DEL");
  });

  test("a valid single line is forwarded byte for byte, optional whitespace and empty members included", async () => {
    const h = await host();
    assert.deepEqual(sent(h, " foo=1 ,, bar=2 "), [" foo=1 ,, bar=2 "]);
  });

  test("a restarted trace drops even a valid tracestate (W3C §3.5: clean up tracestate on restart)", async () => {
    const h = await host();
    const s = run(h, { traceparent: "00-00000000000000000000000000000000-1234567890123456-00", tracestate: "foo=1" });
    assert.deepEqual(s.requestHeaders.getAll("tracestate"), []);
  });

  test("invalid tracestates are counted in <statPrefix>.tracestate_invalid", async () => {
    const h = await host();
    sent(h, "foo=1"); sent(h, "FOO=1"); sent(h, "foo=1", "foo=2");
    assert.equal(h.metric("trace_id.tracestate_invalid"), 2);
  });
});

describe("tracestate: policies", () => {
  test("dropMembers keeps the valid members in order, the first of duplicated keys, and the first 32", async () => {
    const h = await host({ tracestateValidation: "dropMembers" });
    assert.deepEqual(sent(h, "foo@=1,bar=2"), ["bar=2"]);
    assert.deepEqual(sent(h, "a=1,FOO=2,b=3", "c=x=y,d=4"), ["a=1,b=3,d=4"]);
    assert.deepEqual(sent(h, "foo=1,bar=2", "foo=3"), ["foo=1,bar=2"]);
    assert.deepEqual(sent(h, seq(33).join(",")), [seq(32).join(",")], "the right-most members go");
    assert.deepEqual(sent(h, "FOO=1"), [], "nothing valid left: no header");
    assert.equal(h.metric("trace_id.tracestate_invalid"), 5);
  });

  test("off forwards the tracestate as received, invalid or not", async () => {
    const h = await host({ tracestateValidation: "off" });
    assert.deepEqual(sent(h, "FOO=1,foo=1,foo=1"), ["FOO=1,foo=1,foo=1"]);
    assert.deepEqual(sent(h, "a=1", "b=2"), ["a=1", "b=2"]);
    const s = run(h, { tracestate: "foo=1" });
    assert.deepEqual(s.requestHeaders.getAll("tracestate"), [], "still dropped with a new trace");
  });

  test("tracestateMaxBytes truncates whole entries: those over 128 characters first, then from the end (W3C §3.3.1.5)", async () => {
    const h = await host({ tracestateMaxBytes: 512 });
    // 204 + 1 + 204 + 1 + 179 = 589 bytes: removing the right-most long entry (mid) is enough.
    const first = "big=" + "x".repeat(200), mid = "mid=" + "y".repeat(200), small = seq(20);
    const out = sent(h, [first, mid, ...small].join(","));
    assert.equal(out.length, 1);
    assert.ok(out[0].length <= 512, `${out[0].length} bytes`);
    assert.deepEqual([...members(out).keys()], ["big", ...small.map((m) => m.slice(0, 5))], "the long entry goes, not the short ones at the end");
    const many = sent(h, Array.from({ length: 32 }, (_, i) => `k${String(i).padStart(2, "0")}=${"v".repeat(25)}`).join(","));
    const kept = [...members(many).keys()];
    assert.ok(many[0].length <= 512);
    assert.deepEqual(kept, kept.slice().sort(), "order kept");
    assert.equal(kept[0], "k00", "the end goes first");
    assert.equal(kept.length, Math.floor((512 + 1) / 30));
    assert.deepEqual(sent(h, "a=1,b=2"), ["a=1,b=2"], "a short header is not touched");
  });

  test("a tracestate over 32 KiB is discarded without being parsed, whatever the policy", async () => {
    for (const policy of ["dropHeader", "dropMembers"]) {
      const h = await host({ tracestateValidation: policy });
      assert.deepEqual(sent(h, "a=1," + " ".repeat(32 * 1024)), [], policy);
      assert.deepEqual(sent(h, "a=1", ",".repeat(16 * 1024), ",".repeat(16 * 1024)), [], `${policy}, over several lines`);
    }
  });

  const refused: [unknown, RegExp][] = [
    [{ tracestateValidation: "strict" }, /tracestateValidation: .*expected one of: dropHeader, dropMembers, off/],
    [{ tracestateMaxBytes: 100 }, /tracestateMaxBytes: must be 0 \(no truncation\) or an integer from 512/],
    [{ tracestateMaxBytes: 600.5 }, /tracestateMaxBytes: must be 0 \(no truncation\) or an integer from 512/],
  ];
  for (const [config, message] of refused) {
    test(`refused: ${JSON.stringify(config)}`, async () => {
      const h = await ProxyHost.create({ wasm: WASM, rootId: "trace_id", pluginConfig: config });
      assert.equal(h.configured, false);
      assert.match(h.logMessages("error").join("\n"), message);
    });
  }
});
