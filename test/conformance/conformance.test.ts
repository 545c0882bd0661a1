// The conformance suite: every scenario in ./scenarios runs on real Envoy and on the Node test host.
// Each host's outcome must meet the scenario's expectations, and the two normalised outcomes must be
// equal, except for differences the scenario lists (each pinned: it must still be exactly that).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { runOnEnvoy } from "./lib/envoy-runner.js";
import { runOnHost } from "./lib/host-runner.js";
import { checkExpectations, diff, loadScenarios, normalise } from "./lib/scenario.js";

const fmt = (v: unknown) => JSON.stringify(v);

for (const s of loadScenarios()) {
  describe(`conformance: ${s.file.replace(/\.json$/, "")} — ${s.name}`, () => {
    test("Envoy and the test host agree", async () => {
      const [envoy, host] = [await runOnEnvoy(s), await runOnHost(s)];
      const expectProblems = [
        ...checkExpectations(s, envoy).map((p) => `envoy: ${p}`),
        ...checkExpectations(s, host).map((p) => `host:  ${p}`),
      ];
      if (s.configRejected !== undefined) {
        for (const [name, o] of [["envoy", envoy], ["host", host]] as const) {
          if (!o.configRejected?.match(new RegExp(s.configRejected))) expectProblems.push(`${name}: configuration not refused as expected: ${o.configRejected}`);
        }
      }
      assert.deepEqual(expectProblems, [], "scenario expectations");

      const known = s.knownDifferences ?? [];
      const diffs = diff(normalise(s, envoy), normalise(s, host));
      const unexplained = diffs.filter((d) => !known.some((k) => k.at === d.at));
      assert.deepEqual(unexplained.map((d) => `${d.at}: envoy ${fmt(d.envoy)} / host ${fmt(d.host)}`), [], "differences between Envoy and the test host");
      for (const k of known) {
        const d = diffs.find((x) => x.at === k.at);
        assert.ok(d, `known difference at ${k.at} (${k.why}) no longer occurs: remove it from ${s.file}`);
        assert.deepEqual({ envoy: d.envoy, host: d.host }, { envoy: k.envoy, host: k.host }, `known difference at ${k.at} changed`);
      }
    });
  });
}
