// Issue D6: configure-time work near-linear in the configuration's size. Each shape is configured at
// size N and 4N in the same host and run; linear work costs ~4× more at 4N, quadratic work ~16×.
// The check is that ratio — the fastest of five interleaved runs per size, each run the second of two
// in a row, up to five attempts — never an absolute time. Before the fix these shapes cost (test host, one VM): a 30,000-value `in`
// list 11.2 s, 300,000 `\n` escapes 15.2 s, 50,000 response-header keys 77 s, 20,000 distinct header
// names in conditions 14.2 s.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const TAGGING = process.env.TAGGING_WASM ?? "build/tagging.wasm";
const RATE_LIMIT = process.env.RATE_LIMIT_WASM ?? "build/rate-limit.wasm";
// Linear work measures 4–8× here (the VM's memory growth and garbage collection add to the larger
// size); the quadratic shapes measured 14–31× before the fix.
const LINEAR_BOUND = 10;

async function configureMs(host: ProxyHost, config: string, accepted: boolean): Promise<number> {
  const t0 = process.hrtime.bigint();
  const ok = await host.reconfigure(config);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(ok, accepted, host.logMessages("error").slice(-1).join(""));
  return ms;
}

/**
 * Configures `config` twice on the same VM and times the second: the VM's memory has grown to the
 * size this configuration needs and the collector has seen it once, so the time is the work itself.
 */
async function steadyMs(host: ProxyHost, config: string, accepted: boolean): Promise<number> {
  await configureMs(host, config, accepted);
  return configureMs(host, config, accepted);
}

async function ratio(t: { diagnostic(msg: string): void }, wasm: string, rootId: string, shape: (n: number) => string,
  n: number, accepted: boolean): Promise<void> {
  const smallCfg = shape(n), largeCfg = shape(4 * n);
  const host = await ProxyHost.create({ wasm, rootId, pluginConfig: "" });
  await configureMs(host, largeCfg, accepted); // warm up (memory grown, JIT)
  // A busy machine slows a run, never speeds one: take the fastest of five interleaved runs per size,
  // and give noise up to five attempts — quadratic work fails every one of them.
  let r = Infinity;
  for (let attempt = 1; attempt <= 5 && r >= LINEAR_BOUND; attempt++) {
    let small = Infinity, large = Infinity;
    for (let run = 0; run < 5; run++) {
      small = Math.min(small, await steadyMs(host, smallCfg, accepted));
      large = Math.min(large, await steadyMs(host, largeCfg, accepted));
    }
    r = large / Math.max(small, 2);
    t.diagnostic(`attempt ${attempt}: size ${n}: ${small.toFixed(1)} ms; size ${4 * n}: ${large.toFixed(1)} ms; ratio ${r.toFixed(1)}`);
  }
  assert.ok(r < LINEAR_BOUND, `4× the size cost ${r.toFixed(1)}× the time in five attempts: not linear`);
}

const inList = (n: number) => JSON.stringify({
  rules: [{ name: "r", tag: "gray", match: { source: "header", name: "x-user", operator: "in", values: Array.from({ length: n }, (_, i) => `user-${i}`) } }],
});
const escapes = (n: number) => `{"rules": [{"name": "r", "tag": "gray", "match": {"source": "header", "name": "x", "operator": "equals", "value": "${"\\n".repeat(n)}"}}]}`;
const unknownKeys = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
const distinctSources = (n: number) => JSON.stringify({
  rules: Array.from({ length: n / 1000 }, (_, r) => ({ name: `r${r}`, tag: "gray", match: { any: Array.from({ length: 1000 }, (_, i) => ({ source: "header", name: `x-h-${r}-${i}`, operator: "present" })) } })),
});
const responseHeaders = (n: number) => JSON.stringify({
  response: { headers: Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, "v"])) }, rules: [{ name: "a", tokens: 1 }],
});

describe("configure time is near-linear in the configuration's size (D6)", () => {
  test("an `in` list: 25,000 vs 100,000 values (accepted)", (t) => ratio(t, TAGGING, "tagging", inList, 25_000, true));
  test("a string of `\\n` escapes: 75,000 vs 300,000 (accepted)", (t) => ratio(t, TAGGING, "tagging", escapes, 75_000, true));
  test("an object of 25,000 vs 100,000 unknown keys (refused, every key checked)", (t) => ratio(t, TAGGING, "tagging", unknownKeys, 25_000, false));
  test("conditions naming 5,000 vs 20,000 distinct headers (accepted; sources are interned through a hash index)", (t) => ratio(t, TAGGING, "tagging", distinctSources, 5_000, true));
  test("rate-limit response headers: 12,500 vs 50,000 (refused by the documented bound)", (t) => ratio(t, RATE_LIMIT, "rate_limit", responseHeaders, 12_500, false));
});

describe("documented list bounds refuse with the field path", () => {
  test("an `in` list over 100,000 values", async () => {
    const host = await ProxyHost.create({ wasm: TAGGING, rootId: "tagging", pluginConfig: inList(100_001) });
    assert.equal(host.configured, false);
    assert.ok(host.logMessages("error").some((m) => m === "tagging: rules[0].match.values: at most 100000 items, got 100001"), host.logMessages("error").join("\n"));
  });
  test("an object of 50,000 unknown keys: 20 messages, the rest counted, one short line", async () => {
    const host = await ProxyHost.create({ wasm: TAGGING, rootId: "tagging", pluginConfig: unknownKeys(50_000) });
    assert.equal(host.configured, false);
    const [msg] = host.logMessages("error");
    assert.ok(msg.startsWith("tagging: k0: unknown field; k1: unknown field;"), msg);
    assert.ok(msg.endsWith("; … and 49980 more"), msg);
    assert.ok(!msg.includes("\n") && msg.length < 1000, `${msg.length} characters`);
  });
});
