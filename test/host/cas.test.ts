// Two worker VMs sharing one shared-data store, with their calls really interleaved: VM 0 reads the
// counter, then (through the probe_yield foreign function, between its read and its write) VM 1 runs
// a whole increment. Without CAS VM 0 then writes a stale value and an update is lost; with the
// SDK's casUpdate helper VM 0's write is refused (CAS_MISMATCH) and retried, so none is lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ProxyHost } from "../../src/host/index.js";
import { GET, probeHost, results, withOps } from "./probe.js";

async function interleaved(op: "incr-cas" | "incr-nocas"): Promise<ProxyHost> {
  let host!: ProxyHost;
  let nested = false;
  host = await probeHost({
    vms: 2,
    vmId: "counter",
    foreignFunctions: {
      probe_yield: (_args, ctx) => {
        // Only VM 0's first yield lets VM 1 in; VM 1 runs straight through.
        if (ctx.vm !== 0 || nested) return;
        nested = true;
        host.newHttpStream({ vm: 1 }).sendRequestHeaders(withOps({ "request-headers": `${op},hits` }));
      },
    },
  });
  host.sharedData.set("hits", "0");
  host.newHttpStream({ vm: 0 }).sendRequestHeaders(withOps({ "request-headers": `${op},hits` }));
  return host;
}

test("without CAS, interleaved workers lose an update (the host really interleaves VMs)", async () => {
  const host = await interleaved("incr-nocas");
  // VM 1 wrote 1 first (reported first, it finished inside VM 0's yield); VM 0 then overwrote it with its stale 1.
  assert.deepEqual(results(host, "incr-nocas"), ["0:1", "0:1"]);
  assert.equal(host.sharedData.getString("hits"), "1");
  assert.deepEqual(host.foreignCalls.map((c) => c.vm), [0, 1]);
});

test("with the SDK's casUpdate, the same interleaving loses nothing: the stale write is refused and retried", async () => {
  const host = await interleaved("incr-cas");
  // VM 1: Ok after 1 attempt, value 1. VM 0: Ok after 2 attempts (first write got CAS_MISMATCH), value 2.
  assert.deepEqual(results(host, "incr-cas"), ["0:1:1", "0:2:2"]);
  assert.equal(host.sharedData.getString("hits"), "2");
});

test("many requests round-robin over 4 VMs with casUpdate: the total is exact", async () => {
  const host = await probeHost({ vms: 4, vmId: "c4", foreignFunctions: { probe_yield: () => {} } });
  host.sharedData.set("n", "0");
  for (let i = 0; i < 40; i++) host.newHttpStream().sendRequestHeaders(withOps({ "request-headers": "incr-cas,n" }, GET));
  assert.equal(host.sharedData.getString("n"), "40");
  assert.deepEqual([...new Set(host.foreignCalls.map((c) => c.vm))].sort(), [0, 1, 2, 3]); // every worker took part
});
