// The tagging filter under random requests — adversarial header, cookie, query and baggage values
// (long separator runs, empty members, up to a few KB: the request-time linear bounds are checked
// separately; invalid UTF-8 bytes), repeated unrelated headers — with `override` on: never a trap, at most one routing
// header line, every tag written is one the configuration can assign, every header clean.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost, type HeaderValue } from "../../src/host/index.js";
import { assertCleanHeaders, check, headerValue, invalidUtf8, progress, runs, wasm } from "./lib.js";

const TAGS = ["stable", "gray", "beta", "canary", "blue", "green"];
const CONFIG = {
  override: true, responseHeader: "x-tag", defaultTag: "stable",
  rules: [
    { name: "uid", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } },
    { name: "beta", tag: "beta", match: { any: [{ source: "cookie", name: "beta", operator: "equals", value: "1" }, { source: "query", name: "beta", operator: "present" }] } },
    { name: "list", tag: "canary", match: { source: "header", name: "x-user", operator: "in", values: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] } },
    { name: "pre", tag: "gray", match: { all: [{ source: "path", operator: "prefix", value: "/api" }, { not: { source: "header", name: "x-n", operator: "range", min: 0, max: 5 } }] } },
  ],
  weights: [{ tag: "blue", percent: 10 }, { tag: "green", percent: 20 }],
  weightKey: { source: "cookie", name: "uid" },
};

/** Values that stress the parsers while staying small enough for any implementation. */
const shaped: fc.Arbitrary<HeaderValue> = fc.oneof(
  headerValue,
  invalidUtf8,
  invalidUtf8.map((b) => Uint8Array.from([...Buffer.from("mesh-tag="), ...b])), // baggage spoofing attempts (D2)
  fc.tuple(fc.constantFrom("a,", "a;", "a&", "=", ";", "&", "beta=1;", "mesh-tag=gray,", "%", "k=v,", " ,"), fc.integer({ min: 1, max: 400 })).map(([u, k]) => u.repeat(k)),
  fc.constantFrom("beta=1", "uid=7", "120", "a", "gray", "mesh-tag=gray", "mesh-tag=%67ray", "mesh-tag=gr ay", "user-id=120"),
);
const request = fc.record({
  path: fc.oneof(fc.constantFrom("/", "/api/x", "/api?beta", "/x?beta=1&beta=2"), headerValue.map((q) => `/api?${q}`)),
  userId: fc.option(fc.oneof(shaped, fc.nat({ max: 100_000 }).map(String)), { nil: undefined }),
  cookie: fc.option(shaped, { nil: undefined }),
  baggage: fc.option(shaped, { nil: undefined }),
  tag: fc.option(fc.oneof(shaped, fc.constantFrom(...TAGS, "evil", "")), { nil: undefined }),
  xUser: fc.option(fc.constantFrom("a", "j", "k", ""), { nil: undefined }),
  xN: fc.option(shaped, { nil: undefined }),
  noise: fc.array(fc.tuple(fc.constantFrom("x-noise", "x-other"), shaped), { maxLength: 4 }),
});

describe("tagging under random requests (property-based)", () => {
  test("one routing header line with a configured tag, the same tag echoed, clean headers, no trap", async () => {
    const host = await ProxyHost.create({ wasm: wasm("tagging"), rootId: "tagging", pluginConfig: CONFIG });
    assert.equal(host.configured, true, host.logMessages("error").join("\n"));
    const n = runs(300);
    await check("tagging requests", 300, fc.property(request, (q) => {
      progress("tagging requests", n);
      const pairs: [string, HeaderValue][] = [[":method", "GET"], [":path", q.path], [":authority", "svc"], ...q.noise];
      if (q.userId !== undefined) pairs.push(["user-id", q.userId]);
      if (q.cookie !== undefined) pairs.push(["cookie", q.cookie]);
      if (q.baggage !== undefined) pairs.push(["baggage", q.baggage]);
      if (q.tag !== undefined) pairs.push(["x-mesh-tag", q.tag]);
      if (q.xUser !== undefined) pairs.push(["x-user", q.xUser]);
      if (q.xN !== undefined) pairs.push(["x-n", q.xN]);
      const s = host.newHttpStream();
      const r = s.sendRequestHeaders(pairs, { endOfStream: true });
      assert.equal(r.localResponse, null);
      s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
      const written = s.requestHeaders.getAll("x-mesh-tag");
      assert.equal(written.length, 1, `routing header lines: ${JSON.stringify(written)}`); // defaultTag: always decided
      assert.ok(TAGS.includes(written[0]), `tag ${JSON.stringify(written[0])} is not in the configuration`);
      assert.equal(s.responseHeaders.get("x-tag"), written[0]);
      assertCleanHeaders(s.requestHeaders, s.responseHeaders);
      s.complete();
    }));
  });
});
