// The lane topology's generated configs: the plan's checks, the committed envoy-config/lanes/ files
// (fresh, and accepted by `envoy --mode validate`), the routing each mode renders, the Istio
// manifests (structure, and the WasmPlugins' pluginConfig accepted by the tagging module itself),
// and the gateway's sticky share measured over 10,000 user ids in the test host.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { envoyPath, projectRoot } from "../../src/envoy/index.js";
import { ProxyHost } from "../../src/host/index.js";
import { formatFinding, validateText } from "../../src/istio/validate.js";
import { gatewayTagging, laneCluster, laneMembers, lanesBootstraps, sidecarTagging, STICKY_PERCENT } from "../../src/lanes/envoy.js";
import { laneDecisions } from "../../src/lanes/entry.js";
import { lanesFiles, LANES_DIR } from "../../src/lanes/files.js";
import { checkIstioResources, istioResources, istioSubset } from "../../src/lanes/istio.js";
import { checkPlan, defaultPlan, instances, sequentialPorts, type LanePlan } from "../../src/lanes/plan.js";

describe("lanes plan", () => {
  test("issue 16's topology: five instances, B without a gray version", () => {
    assert.deepEqual(instances(defaultPlan()).map((i) => i.id), ["a-baseline", "a-gray", "b-baseline", "c-baseline", "c-gray"]);
    assert.deepEqual(instances(defaultPlan()).map((i) => i.next ?? "-"), ["b", "b", "c", "-", "-"]);
  });

  test("a plan that cannot be served is refused with the field and the reason", () => {
    const bad = (edit: (p: LanePlan) => void) => { const p = defaultPlan(); edit(p); return () => checkPlan(p); };
    assert.throws(bad((p) => { p.lanes[0].services = ["a", "c"]; }), /lanes plan: baseline: the baseline lane must hold every service; "b" is missing/);
    assert.throws(bad((p) => { p.lanes[1].services.push("d"); }), /lanes plan: lanes\[1\]\.services\[2\]: "d" is not in the chain/);
    assert.throws(bad((p) => { p.lanes[1].name = "Gray"; }), /lanes plan: lanes\[1\]\.name: "Gray" is not a DNS label/);
    assert.throws(bad((p) => { p.baseline = "stable"; }), /lanes plan: baseline: no lane named "stable"/);
    assert.throws(bad((p) => { p.lanes[1].name = "gray-fallback"; }), /lanes plan: lanes\[1\]\.name: "gray-fallback" would clash with the generated cluster names/);
  });
});

describe("lanes: Envoy routing by mode", () => {
  const ports = sequentialPorts(defaultPlan(), 10100);

  test("permissive: every service's gray route is an aggregate [gray version, baseline fallback]", () => {
    const p = defaultPlan("permissive");
    for (const s of p.chain) assert.equal(laneCluster(p, s, "gray"), `${s}-lane-gray`);
    const b = lanesBootstraps(p, ports)["sidecar-a-gray"].clusterSpecs!;
    assert.deepEqual(b["b-lane-gray"].aggregate, ["b-gray", "b-gray-fallback"]);
    assert.deepEqual(b["b-gray"].endpoints, [], "B has no gray version: its gray cluster has no endpoints");
    assert.deepEqual(b["b-gray-fallback"].endpoints, b["b-baseline"].endpoints, "the fallback is the baseline's endpoints");
  });

  test("strict: a lane member's aggregate holds its lane version alone; a service outside the lane is baseline by declaration", () => {
    const p = defaultPlan("strict");
    assert.deepEqual(laneMembers(p, "a", "gray"), ["a-gray"]);
    assert.deepEqual(laneMembers(p, "b", "gray"), ["b-gray-fallback"]);
    assert.deepEqual(laneMembers(p, "c", "gray"), ["c-gray"]);
    const c = lanesBootstraps(p, ports)["sidecar-b-baseline"].clusterSpecs!;
    assert.deepEqual(c["c-lane-gray"], { aggregate: ["c-gray"], panicThresholdPercent: 0 }, "no panic routing to a dead version");
    assert.equal(c["c-gray"].panicThresholdPercent, 0);
    assert.equal(c["c-gray"].updateMergeWindowMs, 0, "health changes reach the workers at once");
    assert.equal(c["c-gray-fallback"], undefined);
  });

  test("the gateway decides with override; sidecars only restore from baggage", () => {
    const p = defaultPlan();
    const g = gatewayTagging(p);
    assert.equal(g.override, true);
    assert.deepEqual(g.weights, [{ tag: "gray", percent: STICKY_PERCENT }]);
    assert.deepEqual(sidecarTagging(p), { header: "x-mesh-tag", baggageKey: "mesh-tag" });
  });
});

describe(`${LANES_DIR}/ (committed)`, () => {
  let files: Record<string, string>;
  before(async () => { files = await lanesFiles(); });

  test("is what `npm run lanes:config` writes now", () => {
    for (const [rel, text] of Object.entries(files)) {
      const path = join(projectRoot, LANES_DIR, rel);
      assert.ok(existsSync(path), `${LANES_DIR}/${rel} is missing: run \`npm run lanes:config\``);
      assert.equal(readFileSync(path, "utf8"), text, `${LANES_DIR}/${rel} is stale: run \`npm run build && npm run lanes:config\``);
    }
    for (const sub of ["permissive", "strict", "istio"]) {
      for (const f of readdirSync(join(projectRoot, LANES_DIR, sub))) {
        assert.ok(files[`${sub}/${f}`], `${LANES_DIR}/${sub}/${f} is not generated any more: run \`npm run lanes:config\``);
      }
    }
  });

  test("every Envoy config passes `envoy --mode validate`", () => {
    const envoyFiles = Object.keys(files).filter((f) => !f.startsWith("istio/"));
    assert.equal(envoyFiles.length, 12);
    for (const rel of envoyFiles) {
      const r = spawnSync(envoyPath(), ["--mode", "validate", "-c", join(LANES_DIR, rel)], { cwd: projectRoot, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, `${rel}: ${(r.stdout + r.stderr).split("\n").filter((l) => /critical|error/.test(l)).join("\n")}`);
    }
  });
});

describe("lanes for Istio", () => {
  const p = defaultPlan();
  const docs = istioResources(p);

  test("DestinationRules with a subset per existing version, VirtualServices matching the lane header", () => {
    const dr = (name: string) => docs.find((d) => d.kind === "DestinationRule" && d.metadata.name === name)!;
    assert.deepEqual((dr("b").spec.subsets as { name: string }[]).map((s) => s.name), ["baseline"]);
    assert.deepEqual((dr("c").spec.subsets as { name: string }[]).map((s) => s.name), ["baseline", "gray"]);
    const vs = docs.find((d) => d.kind === "VirtualService" && d.metadata.name === "c")!;
    const http = vs.spec.http as any[];
    assert.deepEqual(http[0].match, [{ headers: { "x-mesh-tag": { exact: "gray" } } }]);
    assert.equal(http[0].route[0].destination.subset, "gray");
    assert.equal(http[1].route[0].destination.subset, "baseline");
    assert.equal(istioSubset(p, "b", "gray"), "baseline", "B has no gray version: the gray lane's route to B is its baseline");
    const client = docs.find((d) => d.metadata.name === "lane-propagation")!;
    assert.deepEqual(client.spec.match, [{ mode: "CLIENT" }]);
  });

  test("pass the structural checks; each check catches what it is for", () => {
    assert.deepEqual(checkIstioResources(docs), []);
    const broken = structuredClone(docs);
    (broken.find((d) => d.kind === "VirtualService" && d.metadata.name === "c")!.spec.http as any[])[0].route[0].destination.subset = "blue";
    (broken.find((d) => d.kind === "WasmPlugin")!.spec as any).failStrategy = "FAIL_CLOSED";
    (broken.find((d) => d.kind === "DestinationRule")!.spec.subsets as any[])[0].labels = {};
    const found = checkIstioResources(broken);
    assert.ok(found.some((f) => /VirtualService\/c: spec\.http\[0\]\.route\[0\]\.destination\.subset: "blue" is not a subset/.test(f)), found.join("\n"));
    assert.ok(found.some((f) => /WasmPlugin\/lane-entry: spec\.failStrategy: one of FAIL_CLOSE/.test(f)), found.join("\n"));
    assert.ok(found.some((f) => /DestinationRule\/a: spec\.subsets\[0\]\.labels/.test(f)), found.join("\n"));
  });

  test("the committed manifests pass Istio's validator (CRD schema and CEL rules, image sha256, root id, pluginConfig)", async () => {
    const file = join(LANES_DIR, "istio", "lanes.yaml");
    const text = readFileSync(join(projectRoot, file), "utf8");
    assert.deepEqual((await validateText(text, file)).map(formatFinding), []);
    // … and the validator reads them: a broken copy is refused.
    const bad = await validateText(text.replace("failStrategy: FAIL_CLOSE", "failStrategy: FAIL_CLOSED").replace("mode: CLIENT", "mode: OUTBOUND"), file);
    assert.deepEqual(bad.map((f) => `${f.resource}: ${f.path}`), ["WasmPlugin istio-system/lane-entry: spec.failStrategy", "WasmPlugin shop/lane-propagation: spec.match[0].mode"]);
  });

  test("each WasmPlugin's pluginConfig is accepted by the tagging module", async () => {
    for (const d of docs.filter((x) => x.kind === "WasmPlugin")) {
      const h = await ProxyHost.create({ wasm: "build/tagging.wasm", rootId: (d.spec as any).pluginName, pluginConfig: (d.spec as any).pluginConfig });
      assert.ok(h.configured, `${d.metadata.name}: ${h.logMessages("error").join("; ")}`);
    }
  });
});

describe("lane entry: the sticky share over 10,000 user ids (test host, the gateway's configuration)", () => {
  test(`≈ ${STICKY_PERCENT} % of the users no rule picks are gray, ±1 point, the same users in two fresh VMs`, async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => 1_000_000 + i * 7);
    const [first, second] = [await laneDecisions(ids), await laneDecisions(ids)];
    let ruled = 0, sticky = 0;
    for (const id of ids) {
      const d = first.get(String(id))!;
      assert.deepEqual(second.get(String(id)), d, `user ${id} decided differently in a second VM`);
      if (d.rule === "uid-mod-100") { ruled++; assert.equal(id % 100, 20); continue; }
      if (d.tag === "gray") { sticky++; assert.equal(d.rule, "weights"); } else assert.equal(d.tag, "baseline");
    }
    const share = (100 * sticky) / (ids.length - ruled);
    console.log(`sticky share: ${sticky} of ${ids.length - ruled} users not picked by a rule = ${share.toFixed(2)} % (target ${STICKY_PERCENT} %); rule uid-mod-100: ${ruled}`);
    assert.ok(Math.abs(share - STICKY_PERCENT) <= 1, `share ${share.toFixed(2)} % is not within ±1 point of ${STICKY_PERCENT} %`);
  });
});
