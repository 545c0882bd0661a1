// bench:modules, run tiny: one module (add-header) and the no-filter baseline, one round, two compiles
// per mode, into a temporary folder. No timing is asserted (a shared machine): only that the figures
// exist and are sane — positive times, three more VMs at --concurrency 4 than at 1, every worker
// served, a per-VM memory above zero with a linear memory of whole pages — and that the files are written.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modulePath } from "../../src/envoy/index.js";
import { moduleCost } from "../../bench/envoy/module-cost.js";
import { COMPILE_MODES, linearFit, logTimings, moduleShape, nodeCompileTimes } from "../../bench/envoy/module-cost-run.js";

describe("bench:modules pieces", () => {
  test("moduleShape reads the sections: size, functions, exports, initial memory", () => {
    const file = modulePath("add-header");
    const s = moduleShape(file);
    assert.equal(s.bytes, statSync(file).size);
    assert.ok(s.functions > 0 && s.functions < 10_000, `${s.functions} functions`);
    assert.ok(s.importedFunctions > 0);
    assert.ok(s.exports.includes("_initialize") && s.exports.includes("memory"), s.exports.join(", "));
    assert.ok(s.memoryPages >= 1);
    assert.ok((s.sections.code ?? 0) > 0 && (s.sections.data ?? 0) > 0);
    assert.ok(s.largestFunctionBytes > 0 && s.largestFunctionBytes < s.sections.code);
    assert.ok(s.dataSegments > 0 && s.largestDataSegmentBytes > 0 && s.largestDataSegmentBytes < s.sections.data);
    assert.equal(Object.values(s.sections).reduce((a, b) => a + b, 0), s.bytes - 8, "sections + 8-byte header = the file");
  });

  test("Envoy's log timings: base VM → first thread-local VM; workers → last", () => {
    const log = [
      "[2026-01-01 10:00:00.100][1][debug][wasm] [wasm.cc:83] Base Wasm created 1 now active",
      "[2026-01-01 10:00:00.350][1][debug][wasm] [wasm.cc:101] Thread-Local Wasm created 2 now active",
      "[2026-01-01 10:00:00.360][1][info][config] [listener_manager_impl.cc:1149] all dependencies initialized. starting workers",
      "[2026-01-01 10:00:00.371][7][debug][wasm] [wasm.cc:101] Thread-Local Wasm created 3 now active",
      "[2026-01-01 10:00:00.390][8][debug][wasm] [wasm.cc:101] Thread-Local Wasm created 4 now active",
    ].join("\n");
    assert.deepEqual(logTimings(log), { moduleLoadMs: 250, workerVmsMs: 30 });
    assert.deepEqual(logTimings("[2026-01-01 10:00:00.360][1][info][config] starting workers"), { moduleLoadMs: null, workerVmsMs: null });
  });

  test("linearFit: an exact line", () => {
    const f = linearFit([[0, 1], [10, 21], [20, 41]]);
    assert.ok(Math.abs(f.slope - 2) < 1e-9 && Math.abs(f.intercept - 1) < 1e-9 && Math.abs(f.r2 - 1) < 1e-9);
  });

  test("Node compile times: every mode, positive, the runs asked for", () => {
    const file = modulePath("add-header");
    for (const mode of COMPILE_MODES) {
      const t = nodeCompileTimes([file], mode, 3)[file];
      assert.equal(t.wallMs.length, 3, mode.id);
      for (const ms of [...t.wallMs, ...t.cpuMs]) assert.ok(ms >= 0 && Number.isFinite(ms), `${mode.id}: ${ms}`);
      assert.ok(t.wallMs.every((ms) => ms > 0), mode.id);
    }
  });
});

describe("bench:modules tiny run", () => {
  test("add-header and no filter, one round: sane figures and the three report files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "module-cost-test-"));
    try {
      const lines: string[] = [];
      const r = await moduleCost({ settings: { rounds: 1, compileRuns: 2, requests: 100 }, only: ["add-header"], outDir: dir, partial: true, log: (m) => lines.push(m) });
      assert.ok(lines.some((l) => /^\[round 1\/1, 4\/4\]/.test(l)), `progress lines:\n${lines.join("\n")}`);
      for (const f of Object.values(r.files)) assert.ok(existsSync(f), f);
      const d = r.data;
      assert.equal(d.samples.length, 4);
      for (const x of d.samples) {
        assert.equal(x.error, undefined, `${x.variant} @${x.concurrency}: ${x.error}`);
        assert.ok(x.readyMs > 0);
        assert.equal(x.requests, 100);
        assert.equal(x.workersServed, x.concurrency, `${x.variant} @${x.concurrency}: every worker got connections`);
        assert.ok(x.memory.rssBytes > 0 && x.malloc.allocatedBytes > 0 && x.malloc.heapSizeBytes >= x.malloc.allocatedBytes);
        if (x.variant === "none") { assert.equal(x.wasmVms, 0); assert.equal(x.moduleLoadMs, null); assert.equal(x.linearMemory.count, 0); }
        else {
          assert.ok(x.moduleLoadMs !== null && x.moduleLoadMs >= 0, "the log has the module load");
          assert.equal(x.linearMemory.count, x.wasmVms, "one linear memory per VM");
          assert.equal(x.linearMemory.sizeBytes % 65536, 0, "whole 64 KiB pages");
        }
      }
      const at = (c: number) => d.samples.find((x) => x.variant === "add-header" && x.concurrency === c)!;
      assert.equal(at(4).wasmVms - at(1).wasmVms, 3, "one more VM per added worker");
      const [none, mod] = d.summary;
      assert.equal(none.id, "none");
      assert.equal(mod.id, "add-header");
      assert.equal(mod.rounds, 1);
      assert.ok(mod.shape && mod.shape.functions > 0);
      for (const mode of COMPILE_MODES) assert.ok(mod.compile[mode.id]!.wallMs.median > 0, mode.id);
      assert.ok(mod.perWorkerBytes.median > 0, "a worker with its VM costs memory");
      assert.ok(mod.perVmAddedBytes.median > 0, `a VM of the module costs more than zero (${mod.perVmAddedBytes.median} bytes)`);
      assert.ok(mod.perVmLinearSizeBytes.median >= 65536, "each VM has at least a page of linear memory");
      assert.ok(mod.fixedAddedBytes.median > 0, "the module costs Envoy memory at --concurrency 1 too");
      assert.ok(Number.isFinite(mod.readyAddedMs["1"].median));
      const md = readFileSync(r.files.markdown, "utf8");
      for (const s of ["| add-header |", "no filter (baseline)", "per 100 KiB", "malloc"]) assert.ok(md.includes(s), s);
      const json = JSON.parse(readFileSync(r.files.json, "utf8"));
      assert.equal(json.benchmark, "bench:modules");
      assert.equal(json.data.samples.length, 4);
      assert.match(readFileSync(r.files.chart, "utf8"), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*add-header[\s\S]*<\/svg>\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
