// The conformance suite: every scenario in ./scenarios runs on real Envoy, on the Node test host
// (src/host, driven directly) and on the dev proxy (src/devproxy, over HTTP). Each runner's outcome
// must meet the scenario's expectations and, normalised, equal Envoy's, except for differences the
// scenario lists (each pinned: it must still occur, exactly so).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runOnDevProxy } from "./lib/devproxy-runner.js";
import { runOnEnvoy } from "./lib/envoy-runner.js";
import { runOnHost } from "./lib/host-runner.js";
import { chain, checkExpectations, diff, loadScenarios, normalise, type Outcome, type Runner, type Scenario } from "./lib/scenario.js";

const fmt = (v: unknown) => JSON.stringify(v);

function compare(s: Scenario, runner: Runner, envoy: Outcome, other: Outcome) {
  const problems = checkExpectations(s, other).map((p) => `${runner}: ${p}`);
  if (s.configRejected !== undefined) {
    const ok = runner === "devProxy" ? other.configRejected === "(refused)" : !!other.configRejected?.match(new RegExp(s.configRejected));
    if (!ok) problems.push(`${runner}: configuration not refused as expected: ${other.configRejected}`);
  }
  assert.deepEqual(problems, [], "scenario expectations");
  if (s.configRejected !== undefined) return; // the dev proxy cannot report the plugin's reason

  const diffs = diff(normalise(s, envoy), normalise(s, other));
  const known = (s.knownDifferences ?? []).filter((k) => k[runner] !== undefined);
  const unexplained = diffs.filter((d) => !known.some((k) => k.at === d.at));
  assert.deepEqual(unexplained.map((d) => `${d.at}: envoy ${fmt(d.envoy)} / ${runner} ${fmt(d.other)}`), [], `differences between Envoy and the ${runner}`);
  for (const k of known) {
    const d = diffs.find((x) => x.at === k.at);
    assert.ok(d, `known difference at ${k.at} (${k.why}) no longer occurs on the ${runner}: remove it from ${s.file}`);
    assert.deepEqual({ envoy: d.envoy, [runner]: d.other }, { envoy: k.envoy, [runner]: k[runner] }, `known difference at ${k.at} changed`);
  }
}

for (const s of loadScenarios()) {
  describe(`conformance: ${s.file.replace(/\.json$/, "")} — ${s.name}`, () => {
    let envoy: Outcome;
    before(async () => { envoy = await runOnEnvoy(s); });

    test("Envoy meets the scenario's expectations", () => {
      assert.deepEqual(checkExpectations(s, envoy), []);
      if (s.configRejected !== undefined) assert.match(envoy.configRejected ?? "", new RegExp(s.configRejected));
    });
    // The test host is driven one plugin at a time; chains run on the dev proxy.
    if (chain(s).length === 1) test("the test host agrees with Envoy", async () => compare(s, "testHost", envoy, await runOnHost(s)));
    test("the dev proxy agrees with Envoy", async () => compare(s, "devProxy", envoy, await runOnDevProxy(s)));
  });
}
