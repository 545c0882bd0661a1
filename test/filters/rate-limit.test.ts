// The rate-limit filter over its compiled module (build/rate-limit.wasm) in the test host, with 1 and
// 4 worker VMs sharing data: exactness (also with workers interleaving between read and write),
// refill, keys, bounded memory and eviction, shadow mode, headers, failure policy, reconfiguration.
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, type HttpStream, type StepResult } from "../../src/host/index.js";
import { testRefusals } from "./lib/refusals.js";

const WASM = "build/rate-limit.wasm";

async function host(pluginConfig: unknown, vms = 1, name = "rl"): Promise<ProxyHost> {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "rate_limit", pluginName: name, vms, pluginConfig });
  assert.equal(h.configured, true, `configure failed: ${h.logMessages().join("\n")}`);
  return h;
}

interface Sent { res: StepResult; stream: HttpStream }

/** One request through the filter (and a 200 from the "upstream" when admitted). */
function send(h: ProxyHost, headers: Record<string, string> = {}, opts: { vm?: number; ip?: string; path?: string } = {}): Sent {
  const stream = h.newHttpStream({ vm: opts.vm, properties: opts.ip ? { "source.address": `${opts.ip}:40000` } : undefined });
  const res = stream.sendRequestHeaders({ ":method": "GET", ":path": opts.path ?? "/", ":authority": "svc", ...headers }, { endOfStream: true });
  if (!res.localResponse) stream.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  stream.complete();
  return { res, stream };
}

const admitted = (s: Sent) => s.res.localResponse === null;

function countAdmitted(h: ProxyHost, n: number, headers: Record<string, string> = {}): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (admitted(send(h, headers))) ok++;
  return ok;
}

describe("rate-limit: configuration errors refuse the plugin, naming rule and field", () => {
  const cases: [unknown, string][] = [
    [{ rules: [{ name: "a", tokens: 0 }] }, "rate-limit: rules[0].tokens: must be between 1 and 1000000000, got 0"],
    [{ rules: [{ name: "a", tokens: 1 }, { name: "b", tokens: -3 }] }, "rate-limit: rules[1].tokens: must be between 1 and 1000000000, got -3"],
    [{ rules: [{ name: "a", tokens: 10, burst: 5 }] }, "rate-limit: rules[0].burst: burst (5) must be at least tokens (10)"],
    [{ rules: [{ name: "a", tokens: 1, interval: "fast" }] }, "rate-limit: rules[0].interval: expected a positive duration"],
    [{ rules: [{ name: "a", tokens: 1, key: [{ source: "ip" }] }] }, "rate-limit: rules[0].key[0].source: unknown value \"ip\""],
    [{ rules: [] }, "rate-limit: rules: must not be empty"],
    ["{not json", "rate-limit: configuration is not valid JSON"],
  ];
  testRefusals(WASM, "rate_limit", cases);
});

describe("rate-limit: one bucket", () => {
  test("admits burst, then 429 with retry-after and x-ratelimit-*, then refills after the interval", async () => {
    const h = await host({ rules: [{ name: "all", tokens: 5, interval: "1s", burst: 8 }] });
    assert.equal(countAdmitted(h, 8), 8);
    const limited = send(h).res.localResponse;
    assert.ok(limited);
    assert.equal(limited.status, 429);
    assert.equal(limited.body, "rate limited\n");
    assert.equal(limited.headers["retry-after"], "1");
    assert.equal(limited.headers["x-ratelimit-limit"], "8");
    assert.equal(limited.headers["x-ratelimit-remaining"], "0");
    assert.equal(limited.headers["x-ratelimit-reset"], "2"); // 8 tokens at 5/s: 1.6 s to full
    assert.equal(h.metric("ratelimit.all.allowed"), 8);
    assert.equal(h.metric("ratelimit.all.limited"), 1);

    h.advanceTime(600); // 3 tokens back
    assert.equal(countAdmitted(h, 10), 3);
    h.advanceTime(10_000); // full again, capped at burst
    assert.equal(countAdmitted(h, 20), 8);
  });

  test("configurable status, body and headers", async () => {
    const h = await host({
      response: { status: 503, body: "slow down", headers: { "Content-Type": "text/x-limit", "x-why": "quota" } },
      rules: [{ name: "all", tokens: 1, interval: "1m" }],
    });
    send(h);
    const r = send(h).res.localResponse;
    assert.ok(r);
    assert.equal(r.status, 503);
    assert.equal(r.body, "slow down");
    assert.equal(r.headers["content-type"], "text/x-limit");
    assert.equal(r.headers["x-why"], "quota");
    assert.equal(r.headers["retry-after"], "60");
  });

  test("every matching rule must admit; non-matching rules do not count", async () => {
    const h = await host({
      rules: [
        { name: "api", match: { source: "path", operator: "prefix", value: "/api" }, tokens: 2, interval: "1m" },
        { name: "all", tokens: 3, interval: "1m" },
      ],
    });
    assert.ok(admitted(send(h, {}, { path: "/api/a" })));
    assert.ok(admitted(send(h, {}, { path: "/api/b" })));
    const third = send(h, {}, { path: "/api/c" });
    assert.equal(third.res.localResponse?.status, 429); // "api" is out
    assert.ok(admitted(send(h, {}, { path: "/static" }))); // only "all" applies: its 3rd token
    assert.equal(send(h, {}, { path: "/static" }).res.localResponse?.status, 429);
    assert.equal(h.metric("ratelimit.api.allowed"), 2);
    assert.equal(h.metric("ratelimit.api.limited"), 1);
    assert.equal(h.metric("ratelimit.all.allowed"), 3);
    assert.equal(h.metric("ratelimit.all.limited"), 1);
  });
});

describe("rate-limit: exact across workers", () => {
  test("4 VMs sharing data admit exactly N per interval over 50 intervals", async () => {
    const h = await host({ rules: [{ name: "all", tokens: 40, interval: "1s" }] }, 4);
    let total = 0;
    for (let interval = 0; interval < 50; interval++) {
      // Round-robin over the 4 VMs, 100 requests per interval, spread over its first 900 ms.
      let inInterval = 0;
      for (let i = 0; i < 100; i++) {
        if (admitted(send(h))) inInterval++;
        if (i % 10 === 9) h.advanceTime(90);
      }
      h.advanceTime(100);
      total += inInterval;
    }
    // Demand always exceeds supply, so the admitted count is exactly the bucket's: 40 at once, then
    // 40 per second up to the last request at 49.81 s.
    assert.equal(total, 40 + Math.floor(49_810 * 40 / 1000), `admitted ${total}`);
  });

  test("workers interleaving between read and write: CAS retries keep the count exact", async () => {
    const h = await host({ rules: [{ name: "all", tokens: 50, interval: "1s" }], casAttempts: 16 }, 4);
    // Whenever VM 0 reads a bucket, another VM runs a whole request before VM 0 writes back,
    // as a second Envoy worker thread would.
    const store = h.store;
    const get = store.get.bind(store);
    let depth = 0;
    let armed = false; // one interleaving per VM 0 request: its retry then succeeds
    const injected: HttpStream[] = [];
    store.get = (vmId: string, key: string) => {
      const e = get(vmId, key);
      if (armed && depth === 0 && key.startsWith("rl:") && h.vms[0].busy) {
        armed = false;
        depth++;
        try {
          // Only the request headers: the host delivers a local reply once the outer call returns.
          const s = h.newHttpStream({ vm: 1 + (injected.length % 3) });
          s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "svc" }, { endOfStream: true });
          injected.push(s);
        } finally { depth--; }
      }
      return e;
    };
    let direct = 0;
    for (let i = 0; i < 60; i++) {
      armed = true;
      if (admitted(send(h, {}, { vm: 0 }))) direct++;
    }
    store.get = get;
    const injectedAdmitted = injected.filter((s) => s.localResponse === null).length;
    assert.equal(injected.length, 60);
    assert.equal(direct + injectedAdmitted, 50, `vm0 ${direct} + others ${injectedAdmitted}`);
    assert.equal(h.metric("ratelimit.all.allowed"), 50);
    assert.equal(h.metric("ratelimit.all.fail_open"), 0);
  });
});

describe("rate-limit: keys", () => {
  test("one bucket per key; missing key skipped by default", async () => {
    const h = await host({ rules: [{ name: "user", key: [{ source: "header", name: "x-user" }], tokens: 2, interval: "1m", maxKeys: 64 }] });
    for (const u of ["alice", "bob", "carol"]) {
      assert.equal(countAdmitted(h, 5, { "x-user": u }), 2, u);
    }
    assert.equal(countAdmitted(h, 10), 10); // no x-user: the rule does not apply
    assert.equal(h.metric("ratelimit.user.allowed"), 6);
  });

  test("missingKey unknown: keyless requests share one bucket", async () => {
    const h = await host({ rules: [{ name: "user", key: [{ source: "header", name: "x-user" }], tokens: 2, interval: "1m", missingKey: "unknown" }] });
    assert.equal(countAdmitted(h, 5), 2);
    assert.equal(countAdmitted(h, 5, { "x-user": "alice" }), 2);
  });

  test("composite key from source IP, method and a cookie", async () => {
    const h = await host({
      rules: [{ name: "c", key: [{ source: "sourceIp" }, { source: "method" }, { source: "cookie", name: "sid" }], tokens: 1, interval: "1m" }],
    });
    assert.ok(admitted(send(h, { cookie: "sid=1" }, { ip: "10.0.0.1" })));
    assert.ok(!admitted(send(h, { cookie: "sid=1" }, { ip: "10.0.0.1" })));
    assert.ok(admitted(send(h, { cookie: "sid=2" }, { ip: "10.0.0.1" })));
    assert.ok(admitted(send(h, { cookie: "sid=1" }, { ip: "10.0.0.2" })));
  });
});

describe("rate-limit: bounded memory", () => {
  test("a million distinct clients on 2 VMs never grow shared data past maxKeys", async () => {
    const h = await host({ rules: [{ name: "ip", key: [{ source: "header", name: "x-client" }], tokens: 1, interval: "1m", maxKeys: 512 }] }, 2);
    const keys = () => h.sharedData.keys().length;
    const bytes = () => h.sharedData.keys().reduce((n, k) => n + k.length + h.sharedData.get(k)!.value.length, 0);
    assert.equal(keys(), 64, "all groups (512 keys / 8 per group) exist after configure");
    const size = bytes();
    const pages = () => h.vms.map((vm) => vm.memory.memory!.buffer.byteLength / 65536);
    let steady: number[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      send(h, { "x-client": `client-${i}` });
      if (i % 250_000 === 0) assert.equal(bytes(), size);
      if (i === 100_000) steady = pages();
    }
    assert.equal(keys(), 64);
    assert.equal(bytes(), size);
    assert.deepEqual(pages(), steady, "the VMs' linear memory stopped growing after the first 100,000 clients");
    // Every client is new and its first request is admitted; active buckets get evicted (and counted).
    assert.equal(h.metric("ratelimit.ip.allowed"), 1_000_000);
    assert.equal(h.metric("ratelimit.ip.evicted"), 1_000_000 - 512);
  });

  test("idle buckets are reused without loss; an active client keeps its bucket", async () => {
    const h = await host({ rules: [{ name: "ip", key: [{ source: "header", name: "x-client" }], tokens: 2, interval: "1s", maxKeys: 256 }] });
    // A heavy client exhausts its bucket…
    assert.equal(countAdmitted(h, 5, { "x-client": "heavy" }), 2);
    // …while light clients come and go: each uses a bucket for a while (1 token of 2 taken).
    for (let i = 0; i < 64; i++) send(h, { "x-client": `light-${i}` });
    assert.equal(h.metric("ratelimit.ip.evicted"), 0);
    assert.equal(countAdmitted(h, 1, { "x-client": "heavy" }), 0, "the heavy client is still limited");
    // Once they refilled, their buckets are idle: 256 new clients take entries over with no eviction,
    // while the heavy client, which keeps coming back, keeps its bucket.
    for (let round = 0; round < 4; round++) {
      h.advanceTime(500); // one token per 500 ms
      assert.equal(countAdmitted(h, 3, { "x-client": "heavy" }), 1, `round ${round}`);
      for (let i = 0; i < 64; i++) send(h, { "x-client": `next-${round}-${i}` });
    }
    assert.ok(h.metric("ratelimit.ip.evicted")! < 32, `evicted ${h.metric("ratelimit.ip.evicted")}`);
  });
});

describe("rate-limit: shadow mode", () => {
  test("a shadow rule counts and reports but never rejects", async () => {
    const h = await host({ rules: [{ name: "s", tokens: 2, interval: "1m", shadow: true }] });
    const results = Array.from({ length: 5 }, () => send(h));
    assert.ok(results.every(admitted));
    assert.equal(h.metric("ratelimit.s.allowed"), 2);
    assert.equal(h.metric("ratelimit.s.shadow_limited"), 3);
    assert.equal(h.metric("ratelimit.s.limited"), 0);
    assert.equal(results[1].stream.responseHeaders.get("x-ratelimit-shadow"), undefined);
    const over = results[4].stream.responseHeaders;
    assert.equal(over.get("x-ratelimit-shadow"), "s");
    assert.equal(over.get("x-ratelimit-remaining"), "0");
    assert.equal(over.get("x-ratelimit-limit"), "2");
  });

  test("global shadow overrides enforcing rules", async () => {
    const h = await host({ shadow: true, shadowHeader: "x-would-limit", rules: [{ name: "a", tokens: 1, interval: "1m" }] });
    assert.equal(countAdmitted(h, 4), 4);
    assert.equal(h.metric("ratelimit.a.shadow_limited"), 3);
    assert.equal(send(h).stream.responseHeaders.get("x-would-limit"), "a");
  });

  test("an enforcing rule still rejects beside a shadow rule", async () => {
    const h = await host({ rules: [{ name: "s", tokens: 1, interval: "1m", shadow: true }, { name: "e", tokens: 3, interval: "1m" }] });
    assert.equal(countAdmitted(h, 5), 3);
    assert.equal(h.metric("ratelimit.s.shadow_limited"), 4);
  });
});

describe("rate-limit: headers on admitted responses", () => {
  test("rateLimitHeaders all: the most restrictive rule's numbers", async () => {
    const h = await host({ rateLimitHeaders: "all", rules: [{ name: "wide", tokens: 100, interval: "1s" }, { name: "narrow", tokens: 3, interval: "1s" }] });
    const first = send(h).stream.responseHeaders;
    assert.equal(first.get("x-ratelimit-limit"), "3");
    assert.equal(first.get("x-ratelimit-remaining"), "2");
    assert.equal(first.get("x-ratelimit-reset"), "1");
  });

  test("default (limited): admitted responses carry none; none: limited responses carry only retry-after", async () => {
    const h = await host({ rules: [{ name: "a", tokens: 1, interval: "1m" }] });
    assert.equal(send(h).stream.responseHeaders.get("x-ratelimit-remaining"), undefined);
    const h2 = await host({ rateLimitHeaders: "none", rules: [{ name: "a", tokens: 1, interval: "1m" }] });
    send(h2);
    const r = send(h2).res.localResponse!;
    assert.equal(r.headers["retry-after"], "60");
    assert.equal(r.headers["x-ratelimit-limit"], undefined);
  });
});

describe("rate-limit: failure policy", () => {
  test("missing slots (shared data lost): fail open by default, counted", async () => {
    const h = await host({ rules: [{ name: "a", tokens: 1, interval: "1m" }] });
    for (const k of h.sharedData.keys()) h.sharedData.delete(k);
    assert.equal(countAdmitted(h, 3), 3);
    assert.equal(h.metric("ratelimit.a.fail_open"), 3);
    assert.equal(h.sharedData.keys().length, 0, "a missing slot is never re-created during traffic");
  });

  test("CAS lost past the retry bound: failOpen false rejects, counted", async () => {
    const h = await host({ failOpen: false, casAttempts: 3, rules: [{ name: "a", tokens: 10, interval: "1m" }] });
    const store = h.store;
    const set = store.set.bind(store);
    let writes = 0;
    store.set = (vmId, key, value, cas) => { writes++; return 8; }; // CAS_MISMATCH, every time
    const r = send(h).res.localResponse;
    store.set = set;
    assert.equal(writes, 3);
    assert.equal(r?.status, 429);
    assert.equal(h.metric("ratelimit.a.fail_closed"), 1);
    assert.equal(h.metric("ratelimit.a.allowed"), 0);
    assert.ok(admitted(send(h)), "recovers once writes succeed");
  });

  test("a shadow rule never rejects, even with failOpen false and its bucket unusable", async () => {
    const h = await host({ failOpen: false, rules: [{ name: "s", tokens: 1, interval: "1m", shadow: true }] });
    for (const k of h.sharedData.keys()) h.sharedData.delete(k);
    assert.equal(countAdmitted(h, 3), 3);
    assert.equal(h.metric("ratelimit.s.fail_open"), 3);
    assert.equal(h.metric("ratelimit.s.fail_closed"), 0);
  });

  test("CAS lost past the retry bound: fail open admits, counted", async () => {
    const h = await host({ casAttempts: 2, rules: [{ name: "a", tokens: 1, interval: "1m" }] });
    const store = h.store;
    const set = store.set.bind(store);
    store.set = () => 8;
    assert.equal(countAdmitted(h, 4), 4);
    store.set = set;
    assert.equal(h.metric("ratelimit.a.fail_open"), 4);
  });
});

describe("rate-limit: reconfiguration", () => {
  test("changed limits take effect on the next request; buckets and key space are kept", async () => {
    const h = await host({ rules: [{ name: "a", tokens: 10, interval: "1m" }, { name: "k", key: [{ source: "method" }], tokens: 5, interval: "1m", maxKeys: 50 }] }, 2);
    assert.equal(countAdmitted(h, 4), 4);
    const keysBefore = h.sharedData.keys().sort();
    assert.equal(await h.reconfigure({ rules: [{ name: "a", tokens: 5, interval: "1m" }, { name: "k", key: [{ source: "method" }], tokens: 5, interval: "1m", maxKeys: 50 }] }), true);
    assert.deepEqual(h.sharedData.keys().sort(), keysBefore, "no new shared-data keys");
    // 6 tokens were left under the old burst of 10; the new burst of 5 caps them at 5 and "k" has 1 left.
    assert.equal(countAdmitted(h, 10), 1);
    h.advanceTime(60_000);
    assert.equal(countAdmitted(h, 10), 5);
  });

  test("a refused reconfiguration keeps the running limits", async () => {
    const h = await host({ rules: [{ name: "a", tokens: 2, interval: "1m" }] });
    assert.equal(await h.reconfigure({ rules: [{ name: "a", tokens: 0 }] }), false);
    assert.equal(countAdmitted(h, 5), 2);
  });
});

describe("rate-limit: shipped configurations", () => {
  test("the README example and the envoy-config stanza configure", async () => {
    const readme = readFileSync("assembly/filters/rate-limit/README.md", "utf8");
    const example = /```json\n([\s\S]*?)```/.exec(readme)![1];
    const stanza = readFileSync("envoy-config/rate-limit.yaml", "utf8");
    // The StringValue block: the lines after `value: |`, up to the next key at a shallower indent.
    const block = /value: \|\n((?: {10}.*\n)+)/.exec(stanza)![1];
    for (const config of [example, block]) {
      const h = await ProxyHost.create({ wasm: WASM, rootId: "rate_limit", pluginConfig: config });
      assert.equal(h.configured, true, h.logMessages().join("\n"));
    }
  });
});
