// Full-link gray release in real Envoys: a gateway and one sidecar per instance for A → B → C, with
// a baseline lane (A, B, C) and a gray lane (A, C). The apps forward only `baggage`; each hop's app
// records the lane it saw and answers with the path. Both modes: permissive (a lane without a
// version of a service, or whose version is down, is served by the baseline and continues after it)
// and strict (a lane member's missing version is a clear 503 with a metric).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pathOf, type AppAnswer } from "../../src/lanes/app.js";
import { laneDecisions } from "../../src/lanes/entry.js";
import { startLanes, type Lanes } from "../../src/lanes/run.js";

const hopsOf = (a: AppAnswer | null) => a?.hops.map((h) => `${h.service}-${h.version}:${h.lane}`).join(" ") ?? "(no app answer)";

/** A counter of one Envoy, 0 when absent. */
async function stat(l: Lanes, envoy: string, name: string): Promise<number> {
  const stats = await l.envoys[envoy].stats(name);
  return Object.entries(stats).find(([k]) => k === name || k.endsWith(`.${name}`))?.[1] ?? 0;
}

describe("lanes in Envoy, permissive mode", { timeout: 120_000 }, () => {
  let l: Lanes;
  before(async () => { l = await startLanes({ mode: "permissive" }); });
  after(() => l?.stop());

  test("user 120 (user-id % 100 == 20) goes A-gray → B-baseline → C-gray, and every hop saw the gray lane", async () => {
    const { res, answer } = await l.request({ "user-id": "120" });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers["x-mesh-tag"], "gray");
    assert.equal(pathOf(answer!), "a-gray → b-baseline → c-gray");
    assert.equal(hopsOf(answer), "a-gray:gray b-baseline:gray c-gray:gray");
    // Each sidecar restored the routing header from baggage: the apps never forward it.
    assert.deepEqual(answer!.hops.map((h) => h.routingHeader), ["gray", "gray", "gray"]);
    assert.equal(l.apps["b-baseline"].seen.at(-1)?.lane, "gray", "B's baseline app served the gray lane");
    assert.equal(l.apps["c-gray"].seen.at(-1)?.lane, "gray");
  });

  test("user 121 stays baseline on every hop", async () => {
    const { res, answer } = await l.request({ "user-id": "121" });
    assert.equal(res.status, 200, res.body);
    assert.equal(pathOf(answer!), "a-baseline → b-baseline → c-baseline");
    assert.equal(hopsOf(answer), "a-baseline:baseline b-baseline:baseline c-baseline:baseline");
  });

  test("a client-sent x-mesh-tag: gray (or baggage mesh-tag=gray) is ignored at the gateway", async () => {
    for (const headers of [
      { "user-id": "121", "x-mesh-tag": "gray" },
      { "user-id": "121", baggage: "mesh-tag=gray,k=v" },
      { "x-mesh-tag": "gray", baggage: "mesh-tag=gray" },
    ]) {
      const { res, answer } = await l.request(headers);
      assert.equal(res.status, 200, res.body);
      assert.equal(pathOf(answer!), "a-baseline → b-baseline → c-baseline", JSON.stringify(headers));
      assert.equal(hopsOf(answer), "a-baseline:baseline b-baseline:baseline c-baseline:baseline", JSON.stringify(headers));
    }
    // The client's other baggage members travel on.
    const { answer } = await l.request({ "user-id": "120", baggage: "mesh-tag=baseline,k=v" });
    assert.equal(pathOf(answer!), "a-gray → b-baseline → c-gray");
  });

  test("the sticky share: 200 users through the gateway take the lanes the gateway's configuration decides, twice", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => 7000 + i * 13);
    const want = await laneDecisions(ids);
    let gray = 0;
    for (let round = 0; round < 2; round++) {
      for (const id of ids) {
        const { answer } = await l.request({ "user-id": String(id) });
        const lane = want.get(String(id))!.tag;
        const expected = lane === "gray" ? "a-gray → b-baseline → c-gray" : "a-baseline → b-baseline → c-baseline";
        assert.equal(pathOf(answer!), expected, `user ${id} (round ${round + 1})`);
        if (round === 0 && lane === "gray") gray++;
      }
    }
    const byWeight = ids.filter((id) => want.get(String(id))!.rule === "weights").length;
    console.log(`sample through Envoy: ${gray} of ${ids.length} users gray (${byWeight} by the sticky share), identical in both rounds`);
    assert.ok(byWeight > 0 && byWeight < ids.length / 4, `${byWeight} users by the sticky share`);
  });

  test("metrics: lanes at the gateway, the fallback for B, the gray lane at C, restored tags on the sidecars", async () => {
    const gateway = await l.gateway.stats("tagging.tagged");
    const grayAtGateway = Object.entries(gateway).filter(([k]) => k.includes("tagging.tagged.tag.gray.")).reduce((n, [, v]) => n + v, 0);
    assert.ok(grayAtGateway > 2);
    // Every gray request reached B through the fallback cluster (B has no gray version) …
    assert.equal(await stat(l, "sidecar-a-gray", "cluster.b-gray-fallback.upstream_rq_total"), grayAtGateway);
    assert.equal(await stat(l, "sidecar-a-gray", "cluster.b-gray.upstream_rq_total"), 0);
    assert.equal(await stat(l, "sidecar-a-gray", "cluster.b-lane-gray.upstream_rq_completed"), grayAtGateway, "the gray lane's requests to B");
    // … and C through its gray version, none by fallback.
    assert.equal(await stat(l, "sidecar-b-baseline", "cluster.c-gray.upstream_rq_total"), grayAtGateway);
    assert.equal(await stat(l, "sidecar-b-baseline", "cluster.c-gray-fallback.upstream_rq_total"), 0);
    // B's sidecar restored every request's lane from baggage (its configuration names no tags, so
    // the per-tag counter is tagging.preserved.tag.other).
    const allAtGateway = Object.values(gateway).reduce((n, v) => n + v, 0);
    assert.equal(await stat(l, "sidecar-b-baseline", "tagging.requests.outcome.preserved"), allAtGateway);
  });

  test("C-gray down: gray users are served by C-baseline and stay gray; back up: the lane returns to C-gray", async () => {
    const fallbackBefore = await stat(l, "sidecar-b-baseline", "cluster.c-gray-fallback.upstream_rq_total");
    await l.apps["c-gray"].stop();
    await l.waitHealthy("sidecar-b-baseline", "c-gray", 0);
    const { res, answer } = await l.request({ "user-id": "120" });
    assert.equal(res.status, 200, res.body);
    assert.equal(hopsOf(answer), "a-gray:gray b-baseline:gray c-baseline:gray");
    assert.equal(await stat(l, "sidecar-b-baseline", "cluster.c-gray-fallback.upstream_rq_total"), fallbackBefore + 1, "the fallback is counted");
    assert.equal((await l.request({ "user-id": "121" })).res.status, 200);

    await l.apps["c-gray"].start();
    await l.waitHealthy("sidecar-b-baseline", "c-gray", 1);
    assert.equal(pathOf((await l.request({ "user-id": "120" })).answer!), "a-gray → b-baseline → c-gray");
  });
});

describe("lanes in Envoy, strict mode", { timeout: 120_000 }, () => {
  let l: Lanes;
  before(async () => { l = await startLanes({ mode: "strict" }); });
  after(() => l?.stop());

  test("the same paths while every lane member is up (B is outside the gray lane: its baseline serves it)", async () => {
    const gray = await l.request({ "user-id": "120" });
    assert.equal(hopsOf(gray.answer), "a-gray:gray b-baseline:gray c-gray:gray");
    const base = await l.request({ "user-id": "121", "x-mesh-tag": "gray" });
    assert.equal(hopsOf(base.answer), "a-baseline:baseline b-baseline:baseline c-baseline:baseline");
  });

  test("C-gray down: gray users get a clear 503 naming the lane and the cluster, counted; baseline users are unaffected", async () => {
    const noneBefore = await stat(l, "sidecar-b-baseline", "cluster.c-lane-gray.upstream_cx_none_healthy");
    await l.apps["c-gray"].stop();
    try {
      await l.waitHealthy("sidecar-b-baseline", "c-gray", 0);
      const { res, answer } = await l.request({ "user-id": "120" });
      assert.equal(res.status, 503, res.body);
      assert.equal(pathOf(answer!), "a-gray → b-baseline", "the request got as far as B");
      assert.equal(answer!.error?.service, "c");
      assert.equal(answer!.error?.laneUnavailable, "c-lane-gray", res.body);
      assert.equal(answer!.error?.body, 'lane unavailable: no healthy instance in cluster c-lane-gray for lane "gray" (strict mode: no fallback to baseline)\n');
      assert.equal(await stat(l, "sidecar-b-baseline", "cluster.c-lane-gray.upstream_cx_none_healthy"), noneBefore + 1);
      assert.equal(l.apps["c-baseline"].seen.filter((h) => h.lane === "gray").length, 0, "C's baseline never served the gray lane");
      const base = await l.request({ "user-id": "121" });
      assert.equal(base.res.status, 200);
      assert.equal(pathOf(base.answer!), "a-baseline → b-baseline → c-baseline");
    } finally {
      await l.apps["c-gray"].start();
      await l.waitHealthy("sidecar-b-baseline", "c-gray", 1);
    }
  });

  test("A-gray down: the gateway itself answers 503 for gray users", async () => {
    await l.apps["a-gray"].stop();
    try {
      await l.waitHealthy("gateway", "a-gray", 0);
      const { res, answer } = await l.request({ "user-id": "220" });
      assert.equal(res.status, 503);
      assert.equal(answer, null, "Envoy's local reply, not an app's answer");
      assert.equal(res.headers["x-lane-unavailable"], "a-lane-gray");
      assert.match(res.body, /^lane unavailable: no healthy instance in cluster a-lane-gray for lane "gray" \(strict mode/);
      assert.equal(await stat(l, "gateway", "cluster.a-lane-gray.upstream_cx_none_healthy"), 1);
    } finally {
      await l.apps["a-gray"].start();
    }
  });
});
