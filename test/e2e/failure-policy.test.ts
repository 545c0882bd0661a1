// trap-on-header in Envoy: what failure_policy does when the module traps mid-request. Pinned here:
// the request that traps gets a 503 under every policy; afterwards the VM is dead, so FAIL_CLOSED
// answers 503 to everything, FAIL_OPEN lets requests through without the filter, FAIL_RELOAD
// starts a fresh VM (after its backoff) and filters again.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type FailurePolicy, type Stack } from "./lib/index.js";

async function withPolicy(policy: FailurePolicy, run: (s: Stack) => Promise<void>) {
  const s = await startStack({
    upstreams: ["stable"],
    filters: [{ module: "trap-on-header", failurePolicy: policy, reloadBackoffMs: policy === "FAIL_RELOAD" ? 50 : undefined }],
  });
  try { await run(s); } finally { await s.stop(); }
}

/** The marker the filter adds on the way upstream, or undefined when the request bypassed it / never arrived. */
async function marker(s: Stack, headers: Record<string, string> = {}) {
  s.upstreams.stable.clear();
  const res = await s.request("/", { headers });
  return { status: res.status, marker: s.upstreams.stable.last()?.headers["x-trap-on-header"], reached: s.upstreams.stable.requests.length };
}

for (const how of ["unreachable", "throw"]) {
  describe(`trap-on-header (x-trap: ${how})`, () => {
    test("FAIL_CLOSED: the trapping request and every later one get 503; nothing reaches the upstream", () =>
      withPolicy("FAIL_CLOSED", async (s) => {
        assert.deepEqual(await marker(s), { status: 200, marker: "passed", reached: 1 });
        assert.deepEqual(await marker(s, { "x-trap": how }), { status: 503, marker: undefined, reached: 0 });
        assert.deepEqual(await marker(s), { status: 503, marker: undefined, reached: 0 });
        const log = s.envoy.log();
        assert.match(log, /Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
        if (how === "throw") assert.match(log, /abort: x-trap: throw asked for it at examples\/trap-on-header\/assembly\/index.ts/);
      }));

    test("FAIL_OPEN: the trapping request gets 503; later requests pass without the filter", () =>
      withPolicy("FAIL_OPEN", async (s) => {
        assert.deepEqual(await marker(s), { status: 200, marker: "passed", reached: 1 });
        assert.deepEqual(await marker(s, { "x-trap": how }), { status: 503, marker: undefined, reached: 0 });
        assert.deepEqual(await marker(s), { status: 200, marker: undefined, reached: 1 });
        assert.deepEqual(await marker(s), { status: 200, marker: undefined, reached: 1 });
      }));
  });
}

describe("trap-on-header under FAIL_RELOAD", () => {
  test("a fresh VM takes over after the reload backoff and the filter runs again", () =>
    withPolicy("FAIL_RELOAD", async (s) => {
      assert.equal((await marker(s, { "x-trap": "unreachable" })).status, 503);
      let last = await marker(s);
      for (let i = 0; i < 100 && last.marker === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20)); // bounded: 100 × 20 ms, far above the 50 ms backoff
        last = await marker(s);
      }
      assert.deepEqual(last, { status: 200, marker: "passed", reached: 1 });
    }));
});

