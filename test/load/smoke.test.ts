// The native load runner's smoke run (what `npm run loadtest -- --smoke` does): the chain in a real
// Envoy in front of the echoing upstreams, vegeta at a constant rate for a few seconds, every response
// checked against its class's expected outcome and every trial key against its token budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SMOKE } from "../../load/scenarios.js";
import { runScenario } from "../../load/run.js";
import { startTopology } from "../../load/topology.js";

test("smoke: the chain at a constant rate, every class as expected", async () => {
  const summary = await runScenario({ scenario: SMOKE.scenario, rate: SMOKE.rate, duration: SMOKE.duration, log: (l) => console.log(l.replace(/^/gm, "# ")), progress: () => {} });
  assert.ok(summary.ok, "the smoke run failed (summary above)");
  assert.ok(summary.requests >= SMOKE.rate * SMOKE.duration * 0.99);
  for (const c of summary.classes) assert.ok(c.requests > 0 && c.passed === c.requests, `${c.name}: ${c.passed}/${c.requests}`);
  // The trial clients went over their limit: some 429s, and each key stayed within its budget.
  const trial = summary.classes.find((c) => c.name === "trial-over-limit")!;
  assert.ok((trial.statuses["429"] ?? 0) > 0 && (trial.statuses["200"] ?? 0) > 0, JSON.stringify(trial.statuses));
  assert.ok(summary.keys.length > 0 && summary.keys.every((k) => k.ok));
  assert.ok(summary.rate > SMOKE.rate * 0.9 && summary.rate < SMOKE.rate * 1.1, `sent at ${summary.rate}/s`);
});

test("the runner fails a run whose responses miss their expected outcome", async () => {
  // The tagging scenario against an Envoy that runs trace-id only: nothing reaches the gray lane.
  const topology = await startTopology("trace-id");
  try {
    const summary = await runScenario({ url: topology.url, scenario: "tagging", rate: 50, duration: 1, log: () => {}, progress: () => {} });
    assert.equal(summary.ok, false);
    const gray = summary.classes.find((c) => c.name === "gray-users")!;
    assert.equal(gray.passed, 0);
    assert.equal(gray.failures["routed to gray"], gray.requests);
    assert.equal(summary.classes.find((c) => c.name === "stable-users")!.passed, summary.classes.find((c) => c.name === "stable-users")!.requests);
  } finally {
    await topology.stop();
  }
});
