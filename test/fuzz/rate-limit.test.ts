// The rate limiter under random limits, random request sequences over 2 worker VMs, random time
// steps and adversarial headers (invalid UTF-8 included): never a trap, never more admitted than the token-bucket allowance
// (each decision equals an exact integer model of the bucket), and a 429 whose headers are clean.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost, type HeaderValue } from "../../src/host/index.js";
import { assertCleanHeaders, check, headerPairs, progress, runs, wasm } from "./lib.js";

const limits = fc.record({
  tokens: fc.integer({ min: 1, max: 5 }),
  extra: fc.integer({ min: 0, max: 4 }),
  intervalMs: fc.constantFrom(100, 1000, 60_000),
});
const step = fc.record({
  user: fc.constantFrom("alice", "bob", "carol"),
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 })),
  vm: fc.integer({ min: 0, max: 1 }),
  noise: headerPairs(["x-noise", "cookie", "baggage", "x-forwarded-for"]),
});

/** The bucket in units of 1/interval token, as the filter keeps it: exact integers. */
class Model {
  private level = new Map<string, number>();
  private last = new Map<string, number>();
  constructor(private tokens: number, private intervalMs: number, private burst: number) {}
  take(key: string, now: number): boolean {
    const cap = this.burst * this.intervalMs;
    let level = this.level.get(key) ?? cap;
    const last = this.last.get(key) ?? now;
    level = Math.min(cap, level + (now - last) * this.tokens);
    this.last.set(key, now);
    const ok = level >= this.intervalMs;
    this.level.set(key, ok ? level - this.intervalMs : level);
    return ok;
  }
}

describe("rate-limit under random traffic (property-based)", () => {
  test("each decision equals the exact token-bucket model; 429 headers are clean; no trap", async () => {
    const n = runs(40);
    await check("rate-limit traffic", 40, fc.asyncProperty(limits, fc.array(step, { minLength: 1, maxLength: 60 }), async ({ tokens, extra, intervalMs }, steps) => {
      progress("rate-limit traffic", n);
      const burst = tokens + extra;
      const host = await ProxyHost.create({
        wasm: wasm("rate-limit"), rootId: "rate_limit", vms: 2,
        pluginConfig: {
          rateLimitHeaders: "all", response: { headers: { "x-why": "quota\tday" } },
          rules: [{ name: "u", key: [{ source: "header", name: "x-user" }], tokens, interval: intervalMs, burst, maxKeys: 1000 }],
        },
      });
      assert.equal(host.configured, true, host.logMessages("error").join("\n"));
      const model = new Model(tokens, intervalMs, burst);
      let now = 0;
      for (const { user, advanceMs, vm, noise } of steps) {
        host.advanceTime(advanceMs);
        now += advanceMs;
        const s = host.newHttpStream({ vm });
        const pairs: [string, HeaderValue][] = [[":method", "GET"], [":path", "/"], [":authority", "svc"], ...noise.filter(([k]) => k !== "x-user"), ["x-user", user]];
        const r = s.sendRequestHeaders(pairs, { endOfStream: true });
        if (!r.localResponse) s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
        const expected = model.take(user, now);
        assert.equal(!r.localResponse, expected, `${user} at ${now} ms: filter ${r.localResponse ? "rejected" : "admitted"}, model ${expected ? "admits" : "rejects"}`);
        if (r.localResponse) {
          assert.equal(r.localResponse.status, 429);
          assert.match(r.localResponse.headers["retry-after"] ?? "", /^\d+$/);
          assertCleanHeaders(r.localResponse.headers);
        }
        assertCleanHeaders(s.requestHeaders, s.responseHeaders);
        s.complete();
      }
    }));
  });
});
