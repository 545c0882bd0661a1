// Issue T1: eviction that cannot be gamed. A client limited to 1 request per minute keeps sending
// while a flood of 200,000 other distinct keys shares `maxKeys: 64` with it. Before the fix the
// limited client's bucket was always the least recently updated one (rejections never touched it),
// so the flood evicted it into a fresh bucket again and again: 1,895 of its 2,000 requests got
// through. Now rejections count as uses, the least used bucket is evicted first and returning keys
// keep their history: the client gets its allowance plus at most the one documented extra burst.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const WASM = process.env.RATE_LIMIT_WASM ?? "build/rate-limit.wasm";

test("a limited key stays limited under a flood of 200,000 distinct keys sharing maxKeys 64", async (t) => {
  const h = await ProxyHost.create({
    wasm: WASM, rootId: "rate_limit", vms: 2,
    pluginConfig: { rules: [{ name: "user", key: [{ source: "header", name: "x-user" }], tokens: 1, interval: "1m", maxKeys: 64 }] },
  });
  assert.equal(h.configured, true, h.logMessages().join("\n"));
  let limitedAdmitted = 0;
  let limitedSent = 0;
  let floodAdmitted = 0;
  for (let i = 0; i < 202_000; i++) {
    if (i % 1000 === 0) h.advanceTime(100); // 202,000 requests in 20.2 s of virtual time: no refill
    const limited = i % 101 === 50;
    const s = h.newHttpStream({ vm: i % 2 });
    const r = s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "svc", "x-user": limited ? "victim" : `k${i}` }, { endOfStream: true });
    if (!r.localResponse) s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    s.complete();
    if (limited) { limitedSent++; if (!r.localResponse) limitedAdmitted++; }
    else if (!r.localResponse) floodAdmitted++;
  }
  t.diagnostic(`limited key: ${limitedAdmitted} of ${limitedSent} admitted; evicted: ${h.metric("ratelimit.user.evicted")}`);
  assert.equal(limitedSent, 2000);
  // Every flood key is new: its first request is admitted (a full bucket), whatever is evicted.
  assert.equal(floodAdmitted, 200_000);
  assert.ok(limitedAdmitted <= 2, `the limited key got ${limitedAdmitted} of 2,000 through (allowance 1, + at most one extra burst)`);
  assert.ok(h.metric("ratelimit.user.evicted")! > 190_000, "the flood did evict (the scenario is real)");
});
