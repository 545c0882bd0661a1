// Tagging properties that rest on the request-time fixes of issue 10 (D1 linear parsing, D2/D3 bytes,
// D7 repeated headers): random adversarial shapes cost about what normal ones of the same size cost;
// invalid UTF-8 never becomes a tag; a routing header on several lines leaves as one line that the
// echo agrees with; other baggage members pass through byte for byte.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost, encodeText, type HeaderValue, type HttpStream } from "../../src/host/index.js";
import { assertCleanHeaders, check, fastestMs, invalidUtf8, progress, runs, wasm } from "./lib.js";

const TAGS = ["stable", "gray"];
const CONFIG = {
  responseHeader: "x-lane", defaultTag: "stable",
  rules: [
    { name: "uid", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } },
    { name: "c", tag: "gray", match: { source: "cookie", name: "lane", operator: "equals", value: "gray" } },
    { name: "q", tag: "gray", match: { source: "query", name: "lane", operator: "equals", value: "gray" } },
  ],
};

function send(h: ProxyHost, pairs: [string, HeaderValue][], path = "/"): HttpStream {
  const s = h.newHttpStream();
  s.sendRequestHeaders([[":method", "GET"], [":path", path], [":authority", "svc"], ...pairs], { endOfStream: true });
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
  return s;
}

/** Milliseconds per request, fastest of 5. */
const cost = (h: ProxyHost, pairs: [string, HeaderValue][], path: string): number => fastestMs(() => { send(h, pairs, path); });

describe("tagging: request-time properties (D1, D2, D3, D7)", () => {
  test("D1: any repeated unit in baggage, cookie or query costs at most a few times a normal value of the same size", async () => {
    const h = await ProxyHost.create({ wasm: wasm("tagging"), rootId: "tagging", pluginConfig: CONFIG });
    const SIZE = 32 * 1024;
    const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
    const normal = cost(h, [["baggage", fill("k=v,")], ["cookie", fill("k=v; ")]], "/p?" + fill("k=v&"));
    const n = runs(12);
    await check("tagging linear", 12, fc.property(
      fc.string({ unit: fc.constantFrom("a", ",", ";", "&", "=", " ", "%", "k", "\t"), minLength: 1, maxLength: 4 }),
      fc.constantFrom("baggage", "cookie", "query"),
      (unit, where) => {
        progress("tagging linear-time shapes", n);
        const v = fill(unit);
        const ms = where === "query" ? cost(h, [], "/p?" + v.replace(/[\t ]/g, "+")) : cost(h, [[where, v]], "/p");
        assert.ok(ms < Math.max(normal, 0.5) * 20, `${where} of ${JSON.stringify(unit)} × ${SIZE / unit.length}: ${ms.toFixed(2)} ms vs ${normal.toFixed(2)} ms normal`);
      }));
  });

  test("D2: an incoming tag with invalid UTF-8 (header or baggage) is never taken as a tag", async () => {
    const h = await ProxyHost.create({ wasm: wasm("tagging"), rootId: "tagging", pluginConfig: CONFIG });
    const n = runs(200);
    // no list delimiters or whitespace: one member, one value, that is not a valid tag
    const spoof = fc.tuple(fc.constantFrom("gray", "beta", ""), invalidUtf8)
      .map(([t, b]) => Uint8Array.from([...Buffer.from(t), ...b].filter((x) => x !== 0x2c && x !== 0x3b && x !== 0x20 && x !== 0x09)))
      .filter((v) => v.some((x) => x >= 0x80));
    await check("tagging invalid tags", 200, fc.property(spoof, fc.boolean(), (value, inBaggage) => {
      progress("tagging invalid UTF-8 tags", n);
      const s = send(h, inBaggage ? [["baggage", Uint8Array.from([...Buffer.from("mesh-tag="), ...value])]] : [["x-mesh-tag", value]]);
      const lines = s.requestHeaders.getAll("x-mesh-tag");
      assert.deepEqual(lines, ["stable"], `spoofed ${Buffer.from(value).toString("latin1")}: routing header ${JSON.stringify(lines)}`);
      assert.equal(s.responseHeaders.get("x-lane"), "stable");
    }));
  });

  test("D3: other baggage members, invalid UTF-8 included, pass through byte for byte", async () => {
    const h = await ProxyHost.create({ wasm: wasm("tagging"), rootId: "tagging", pluginConfig: CONFIG });
    const n = runs(200);
    const member = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/).filter((k) => k !== "mesh-tag"), invalidUtf8)
      // a value without the list's own delimiters and whitespace (which W3C Baggage trims)
      .map(([k, v]) => Uint8Array.from([...Buffer.from(`${k}=`), ...v.filter((b) => b !== 0x2c && b !== 0x3b && b !== 0x20 && b !== 0x09)]));
    await check("tagging baggage bytes", 200, fc.property(member, (m) => {
      progress("tagging baggage bytes", n);
      const s = send(h, [["baggage", m], ["user-id", "120"]]);
      const out = Buffer.concat(s.requestHeaders.getAll("baggage").map((v) => encodeText(v)));
      assert.ok(out.includes(Buffer.from(m)), `member ${Buffer.from(m).toString("latin1")} altered: ${out.toString("latin1")}`);
      assert.deepEqual(s.requestHeaders.getAll("x-mesh-tag"), ["gray"]);
    }));
  });

  test("D7: a routing header on several lines leaves as one line, and the echo agrees", async () => {
    const h = await ProxyHost.create({ wasm: wasm("tagging"), rootId: "tagging", pluginConfig: CONFIG });
    const n = runs(200);
    await check("tagging repeated", 200, fc.property(fc.array(fc.constantFrom("gray", "beta", "stable", "", "x y"), { minLength: 2, maxLength: 4 }), (values) => {
      progress("tagging repeated routing header", n);
      const s = send(h, values.map((v) => ["x-mesh-tag", v] as [string, HeaderValue]));
      const lines = s.requestHeaders.getAll("x-mesh-tag");
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.ok(TAGS.includes(lines[0]));
      assert.equal(s.responseHeaders.get("x-lane"), lines[0]);
      assertCleanHeaders(s.requestHeaders, s.responseHeaders);
    }));
  });
});
