// shared-counter in Envoy with 2 worker threads: one VM per worker (each with its own globals), one
// count in shared data for all of them, kept exact by compare-and-swap; ticks from every VM.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type Stack } from "./lib/index.js";

interface Totals { requests: number; ticks: number; vm_requests: number; vm_ticks: number }

describe("shared-counter across 2 workers", () => {
  let stack: Stack;
  const totals = async (): Promise<Totals> => JSON.parse((await stack.request("/shared-counter")).body);
  before(async () => {
    stack = await startStack({ concurrency: 2, upstreams: ["stable"], filters: [{ module: "shared-counter", config: { tick_ms: 20 } }] });
  });
  after(() => stack?.stop());

  test("concurrent requests on both workers are all counted, exactly once", async () => {
    const n = 60;
    const seen: { global: number; vm: number }[] = [];
    for (let batch = 0; batch < n / 12; batch++) {
      const res = await Promise.all(Array.from({ length: 12 }, () => stack.request("/work")));
      for (const r of res) {
        assert.equal(r.status, 200);
        seen.push({ global: Number(r.headers["x-request-count"]), vm: Number(r.headers["x-vm-request-count"]) });
      }
    }
    // Every request got its own number from the shared counter: 1..n, none lost or repeated.
    assert.deepEqual(seen.map((s) => s.global).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1));
    assert.equal((await totals()).requests, n);
    assert.equal(stack.upstreams.stable.requests.length, n);
    // Both workers served: a worker's own count falls behind the proxy-wide one only if another worker
    // counted too (one connection per request, spread by the kernel over the 2 workers' sockets).
    assert.ok(seen.some((s) => s.vm < s.global), "requests were served by more than one VM");
    assert.ok(seen.every((s) => s.vm <= s.global));
  });

  test("every VM ticks into the same shared counter (2 workers + the main thread's VM)", async () => {
    let t = await totals();
    for (let i = 0; i < 150 && t.vm_ticks < 25; i++) {
      await new Promise((r) => setTimeout(r, 20)); // bounded: at most 3 s of polling
      t = await totals();
    }
    assert.ok(t.vm_ticks >= 25, `this VM ticked ${t.vm_ticks} times`);
    // All VMs tick at the same period, so the shared total is about (number of VMs) × this VM's ticks.
    // Envoy runs the plugin in one VM per worker plus one on the main thread: 3 here.
    const vms = t.ticks / t.vm_ticks;
    assert.ok(vms > 2.4 && vms < 3.6, `ticks ${t.ticks} / vm_ticks ${t.vm_ticks} = ${vms.toFixed(2)} VMs`);
  });
});

describe("shared-counter configuration", () => {
  test("tick_ms out of range is refused with the field's name", async () => {
    const { expectEnvoyToFail } = await import("./lib/index.js");
    const { log } = await expectEnvoyToFail({ upstreams: { stable: { port: 9 } }, filters: [{ module: "shared-counter", config: { tick_ms: 5 } }] });
    assert.match(log, /invalid configuration: tick_ms: must be between 10 and 60000, got 5/);
  });
});
