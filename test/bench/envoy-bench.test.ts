// bench:envoy and the soak, run tiny against a real Envoy: the machinery works end to end and its
// reports have the right shape. No timing is asserted (a shared machine): only that figures exist,
// are positive and consistent (percentiles ordered, the baseline's ratio to itself is 1).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "../../src/envoy/index.js";
import { benchEnvoy } from "../../bench/envoy/bench.js";
import { parseWrk } from "../../bench/envoy/generators.js";
import { roundOrder, startUpstreamEnvoy, startVariant, type BenchSettings } from "../../bench/envoy/run.js";
import { soak } from "../../bench/envoy/soak.js";
import { spread } from "../../bench/envoy/summary.js";
import { DIRECT_PATH, REQUEST_HEADERS, UPSTREAM_PATH, VARIANTS } from "../../bench/envoy/variants.js";
import { ensureVegeta } from "../../scripts/setup-load.mjs";

const TINY: BenchSettings = { rounds: 1, closedSeconds: 1, openSeconds: 1, rates: [200], connections: 4, warmupSeconds: 1, modes: ["direct", "upstream"] };

describe("bench:envoy machinery", () => {
  test("spread: median, quartiles and range; NaN left out", () => {
    assert.deepEqual(spread([4, 1, 3, 2, NaN]), { median: 2.5, min: 1, max: 4, q1: 1.75, q3: 3.25, n: 4 });
  });

  test("rounds rotate the variant order", () => {
    assert.deepEqual(roundOrder(["a", "b", "c"], 0), ["a", "b", "c"]);
    assert.deepEqual(roundOrder(["a", "b", "c"], 1), ["b", "c", "a"]);
    assert.deepEqual(roundOrder(["a", "b", "c"], 4), ["b", "c", "a"]);
  });

  test("parseWrk reads requests, duration, non-2xx and socket errors", () => {
    const out = "Running 1s test\n  12345 requests in 1.00s, 1.2MB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 7\nRequests/sec: 12345.00\n";
    assert.deepEqual(parseWrk(out), { requests: 12345, seconds: 1, rps: 12345, non2xx: 7, socketErrors: 3 });
    assert.throws(() => parseWrk("garbage"), /no "N requests in T" line/);
  });
});

describe("bench:envoy variants do their filter's work in Envoy", () => {
  // Every variant but the Rust peer (the benchmark builds it: Debian's Rust toolchain and crates.io,
  // minutes on a fresh machine); the dynamic module is one gcc call.
  for (const v of VARIANTS.filter((x) => x.peer !== "rust-add-header")) {
    test(v.id, async () => {
      const up = await startUpstreamEnvoy(null);
      try {
        const e = await startVariant(v, up.port, null);
        try {
          const direct = await request(e.url, DIRECT_PATH, { headers: REQUEST_HEADERS });
          assert.equal(direct.status, 200);
          const upstream = await request(e.url, UPSTREAM_PATH, { headers: REQUEST_HEADERS });
          assert.equal(upstream.status, 200);
          assert.equal(upstream.body, "upstream\n");
          const tags = /tagging|chain/.test(v.id);
          // user 120 is in the gray lane: the tagging variants' routing header picks the gray direct response.
          assert.equal(direct.body, tags ? "gray\n" : "stable\n");
          if (/trace-id|chain/.test(v.id)) assert.match(String(direct.headers["x-trace-id"]), /^[0-9a-f]{32}$/);
          if (/floor|dynamic-module/.test(v.id)) assert.equal(direct.headers.hello, "bench");
        } finally {
          await e.stop();
        }
      } finally {
        await up.stop();
      }
    });
  }
});

describe("bench:envoy tiny run", () => {
  test("one round of no filter, the Wasm floor and Lua tagging: report files with positive CPU/request", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-envoy-test-"));
    try {
      const lines: string[] = [];
      const r = await benchEnvoy({ settings: TINY, only: ["wasm-floor", "lua-tagging"], outDir: dir, baseName: "bench-envoy", log: (m) => lines.push(m) });
      assert.ok(lines.some((l) => /\[round 1\/1, 3\/3\]/.test(l)), `progress lines: ${lines.join("\n")}`);
      for (const f of Object.values(r.files)) assert.ok(existsSync(f), f);
      const json = JSON.parse(readFileSync(r.files.json, "utf8"));
      assert.deepEqual(json.variants.map((v: { id: string }) => v.id), ["none", "wasm-floor", "lua-tagging"]);
      assert.equal(json.samples.length, 3);
      for (const v of r.variants) {
        assert.deepEqual(v.errors, [], `${v.id}: ${v.errors.join("; ")}`);
        assert.equal(v.rounds, 1);
        for (const mode of TINY.modes) {
          const m = v.modes[mode]!;
          assert.ok(m.cpuUsPerRequest.median > 0, `${v.id} ${mode}: CPU/request ${m.cpuUsPerRequest.median}`);
          assert.ok(m.rps.median > 0);
          if (v.id === "none") { assert.equal(m.cpuRatio.median, 1); assert.equal(m.addedUs.median, 0); }
          assert.equal(m.latency.length, 1);
          const l = m.latency[0];
          assert.equal(l.rate, 200);
          assert.ok(l.p50.median > 0 && l.p50.median <= l.p90.median && l.p90.median <= l.p99.median && l.p99.median <= l.p999.median);
        }
        assert.ok(v.rssBytes.median > 0);
      }
      const floor = r.variants.find((v) => v.id === "wasm-floor")!;
      assert.ok(floor.wasmVms > 0, "the Wasm floor runs in Wasm VMs");
      assert.ok(floor.linearMemoryBytes >= 65536, "and each has a linear memory");
      assert.equal(r.variants.find((v) => v.id === "lua-tagging")!.wasmVms, 0);
      const md = readFileSync(r.files.markdown, "utf8");
      for (const label of ["no filter", "pass-through Wasm (add-header)", "tagging (Lua)", "p99.9"]) assert.ok(md.includes(label), label);
      for (const svg of [r.files.cpuChart, r.files.latencyChart]) {
        const text = readFileSync(svg, "utf8");
        assert.match(text, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
        assert.ok(text.includes("tagging (Lua)"));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("soak: a few seconds of the chain; samples of RSS and every VM's linear memory, and a verdict", async () => {
    const vegeta = ensureVegeta(() => {});
    const r = await soak({ seconds: 4, rate: 200, interval: 1, warmupShare: 0.25, rssToleranceBytes: 64 << 20, keys: 20, maxConnections: 16 }, vegeta, () => {});
    // 200/s for 4 s; with 16 workers a starved generator may send fewer, never more.
    assert.ok(r.requests > 0 && r.requests <= 800, `${r.requests} requests`);
    assert.equal(r.success, 1, JSON.stringify(r.statusCodes));
    assert.ok(r.samples.length >= 4);
    for (const s of r.samples) {
      assert.ok(s.rssBytes > 0);
      assert.equal(s.wasmVms, Object.keys(s.linearMemory).length, "one linear memory per Wasm VM");
      for (const size of Object.values(s.linearMemory)) assert.equal(size % 65536, 0, "whole 64 KiB pages");
    }
    assert.equal(typeof r.verdict.flat, "boolean");
    assert.match(r.verdict.summary, new RegExp(`^(flat|NOT flat): ${r.requests.toLocaleString("en")} requests`));
  });
});
