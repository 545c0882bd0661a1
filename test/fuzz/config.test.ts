// Mutated configurations for the three filters (issue 10 item 7): a value replaced by null, another
// type, a huge or control-laden string; a key renamed (a typo), dropped or added; invalid UTF-8 in
// the text. Each one is either accepted — and then a request goes through without a trap — or refused
// with `<filter>: <field path>: <reason>` on one short line. Never a trap.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ProxyHost } from "../../src/host/index.js";
import { assertRefusal, check, corruptBytes, mutate, progress, runs, wasm } from "./lib.js";

const FILTERS = {
  "trace-id": {
    rootId: "trace_id",
    base: {
      mode: "span", extract: ["w3c", "b3"], emit: ["w3c", "b3multi"], sampleRate: 0.5, requestIdHeader: "x-request-id",
      preserveRequestId: true, requestIdFormat: "traceIdUuid", echoTraceIdHeader: "x-trace-id", echoRequestIdHeader: "x-rid",
      filterStateProperty: "trace.id", filterStateValue: "traceparent", statPrefix: "tid",
    },
  },
  tagging: {
    rootId: "tagging",
    base: {
      header: "x-mesh-tag", baggageKey: "mesh-tag", override: true, responseHeader: "x-tag", defaultTag: "stable",
      rules: [
        { name: "uid", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } },
        { name: "beta", tag: "beta", match: { any: [{ source: "cookie", name: "beta", operator: "equals", value: "1" }, { not: { source: "query", name: "q", operator: "absent" } }] } },
        { name: "net", tag: "canary", match: { all: [{ source: "sourceIp", operator: "cidr", values: ["10.0.0.0/8", "::1"] }, { source: "path", operator: "prefix", value: "/api" }] } },
        { name: "list", tag: "gray", match: { source: "header", name: "x-user", operator: "in", values: ["a", "b", "c"] } },
        { name: "num", tag: "beta", match: { source: "header", name: "x-n", operator: "range", min: 1, max: 9.5 } },
        { name: "pct", tag: "canary", match: { source: "header", name: "x-id", operator: "percentage", percent: 12.5, salt: "s" } },
      ],
      weights: [{ tag: "blue", percent: 10 }, { tag: "green", percent: 20 }],
      weightKey: { source: "cookie", name: "uid", salt: "exp" },
    },
  },
  "rate-limit": {
    rootId: "rate_limit",
    base: {
      namespace: "ns", statPrefix: "rl", shadow: false, failOpen: true, casAttempts: 8, rateLimitHeaders: "all", shadowHeader: "x-shadow",
      response: { status: 429, body: "slow down", headers: { "x-why": "quota", "Retry-Policy": "later" } },
      rules: [
        { name: "user", match: { source: "method", operator: "in", values: ["GET", "POST"] }, key: [{ source: "header", name: "x-user" }, { source: "sourceIp" }],
          tokens: 5, interval: "1s", burst: 10, missingKey: "unknown", maxKeys: 64, shadow: false },
        { name: "all", tokens: 100, interval: 60000 },
      ],
    },
  },
} as const;

for (const [filter, { rootId, base }] of Object.entries(FILTERS)) {
  describe(`${filter}: mutated configurations are accepted or refused with a field path, never a trap`, () => {
    test("the base configuration is valid (the mutations start from an accepted one)", async () => {
      const host = await ProxyHost.create({ wasm: wasm(filter), rootId, pluginConfig: base });
      assert.equal(host.configured, true, host.logMessages("error").join("\n"));
    });

    const judge = async (host: ProxyHost, config: unknown) => {
      const before = host.logMessages("error").length;
      const ok = await host.reconfigure(config);
      // Strict: null is never a value's default, wherever it appears (D4).
      if (typeof config === "string" && /(^|[[,:]\s*)null\b/.test(config)) assert.equal(ok, false, `accepted a null: ${config.slice(0, 300)}`);
      if (!ok) { assertRefusal(filter, host.logMessages("error").slice(before)); return; }
      const s = host.newHttpStream();
      const r = s.sendRequestHeaders({ ":method": "GET", ":path": "/api/x?q=1", ":authority": "svc", "user-id": "120", cookie: "beta=1; uid=7", "x-user": "a" }, { endOfStream: true });
      if (!r.localResponse) s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
      s.complete();
    };

    test("one mutation of the base (null, other types, huge or control strings, typos, dropped and added keys)", async () => {
      const host = await ProxyHost.create({ wasm: wasm(filter), rootId, pluginConfig: base });
      const n = runs(150);
      await check(`${filter} config`, 150, fc.asyncProperty(mutate(base as never), async (config) => {
        progress(`${filter} config mutations`, n);
        await judge(host, JSON.stringify(config));
      }));
    });

    test("two stacked mutations", async () => {
      const host = await ProxyHost.create({ wasm: wasm(filter), rootId, pluginConfig: base });
      const n = runs(100);
      await check(`${filter} config2`, 100, fc.asyncProperty(mutate(base as never).chain((m) => (m && typeof m === "object" ? mutate(m) : fc.constant(m))), async (config) => {
        progress(`${filter} stacked mutations`, n);
        await judge(host, JSON.stringify(config));
      }));
    });

    test("invalid UTF-8 bytes in the configuration text", async () => {
      const host = await ProxyHost.create({ wasm: wasm(filter), rootId, pluginConfig: base });
      const n = runs(100);
      await check(`${filter} bytes`, 100, fc.asyncProperty(corruptBytes(JSON.stringify(base)), async (bytes) => {
        progress(`${filter} invalid UTF-8`, n);
        await judge(host, bytes);
      }));
    });
  });
}
