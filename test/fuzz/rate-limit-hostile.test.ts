// Rate-limit properties that rest on the shared matcher's request-time fixes of issue 10 (D1 linear
// cookie and query parsing, every line of a repeated header): a key read from an adversarial cookie or
// query costs about what a normal one of the same size costs; a key header sent on several lines is
// one key (its lines joined), so splitting a header cannot buy a fresh bucket.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost, type HeaderValue } from "../../src/host/index.js";
import { check, fastestMs, progress, runs, wasm } from "./lib.js";

const CONFIG = {
  rules: [
    { name: "c", key: [{ source: "cookie", name: "sid" }], tokens: 1000000, interval: "1s", maxKeys: 1024 },
    { name: "q", key: [{ source: "query", name: "sid" }], tokens: 1000000, interval: "1s", maxKeys: 1024 },
  ],
};

function send(h: ProxyHost, pairs: [string, HeaderValue][], path = "/"): boolean {
  const s = h.newHttpStream();
  const r = s.sendRequestHeaders([[":method", "GET"], [":path", path], [":authority", "svc"], ...pairs], { endOfStream: true });
  if (!r.localResponse) s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
  return r.localResponse === null;
}

/** Milliseconds per request, fastest of 5. */
const cost = (h: ProxyHost, pairs: [string, HeaderValue][], path: string): number => fastestMs(() => { send(h, pairs, path); });

describe("rate-limit: request-time properties of the shared matcher (D1, D7)", () => {
  test("D1: a key from any repeated-unit cookie or query costs at most a few times a normal one of the same size", async () => {
    const h = await ProxyHost.create({ wasm: wasm("rate-limit"), rootId: "rate_limit", pluginConfig: CONFIG });
    const SIZE = 32 * 1024;
    const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
    const normal = cost(h, [["cookie", fill("k=v; ")]], "/p?" + fill("k=v&"));
    const n = runs(12);
    await check("rate-limit linear", 12, fc.property(
      fc.string({ unit: fc.constantFrom("a", ";", "&", "=", " ", "s", "%"), minLength: 1, maxLength: 4 }),
      fc.constantFrom("cookie", "query"),
      (unit, where) => {
        progress("rate-limit linear-time shapes", n);
        const v = fill(unit);
        const ms = where === "query" ? cost(h, [], "/p?" + v.replace(/ /g, "+")) : cost(h, [["cookie", v]], "/p");
        assert.ok(ms < Math.max(normal, 0.5) * 20, `${where} of ${JSON.stringify(unit)}: ${ms.toFixed(2)} ms vs ${normal.toFixed(2)} ms normal`);
      }));
  });

  test("D7: a key header split over several lines is one key, never a fresh bucket", async () => {
    const n = runs(100);
    await check("rate-limit split key", 100, fc.asyncProperty(fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 2, maxLength: 3 }), async (parts) => {
      progress("rate-limit split key header", n);
      const h = await ProxyHost.create({
        wasm: wasm("rate-limit"), rootId: "rate_limit",
        pluginConfig: { rules: [{ name: "u", key: [{ source: "header", name: "x-user" }], tokens: 1, interval: "1m", maxKeys: 64 }] },
      });
      assert.equal(send(h, parts.map((p) => ["x-user", p] as [string, HeaderValue])), true);
      assert.equal(send(h, parts.map((p) => ["x-user", p] as [string, HeaderValue])), false, "the same lines again: limited");
      assert.equal(send(h, [["x-user", parts.join(",")]]), false, "the lines joined as HTTP joins them: the same key");
    }));
  });
});
