// The k6 scripts for users (load/k6/*.js), run under the k6 stand-in against a real Envoy: every
// class of each scenario is sent once or more, every check must pass, and every threshold must parse
// by k6's grammar, match samples, and hold. k6 itself is never run (AGPL).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { projectRoot } from "../../src/envoy/index.js";
import { SCENARIOS } from "../../load/scenarios.js";
import { startTopology, type Topology } from "../../load/topology.js";
import { readdirSync, readFileSync } from "node:fs";
import { k6SyntaxProblems, parseThresholdExpression, parseThresholdKey, runK6Script, validateOptions } from "./k6-stand-in/runner.js";

const script = (name: string) => join(projectRoot, "load", "k6", `${name}.js`);
const period = (name: string) => (SCENARIOS as any)[name].classes.reduce((t: number, c: { weight: number }) => t + c.weight, 0);

for (const name of Object.keys(SCENARIOS)) {
  describe(`load/k6/${name}.js under the k6 stand-in`, () => {
    let topology: Topology;
    before(async () => { topology = await startTopology(name); });
    after(() => topology?.stop());

    test("every class passes its checks and every threshold holds", async () => {
      const iterations = period(name);
      const r = await runK6Script(script(name), { env: { BASE_URL: topology.url }, iterations });
      assert.deepEqual(r.scenarios, [name]);
      assert.ok(r.requests >= iterations, `${r.requests} requests for ${iterations} iterations`);
      const failed = Object.entries(r.checks).filter(([, c]) => c.fails).map(([n, c]) => `${n}: ${c.fails} failed`);
      assert.deepEqual(failed, []);
      assert.ok(Object.keys(r.checks).length >= 2, `checks: ${Object.keys(r.checks).join(", ")}`);
      const bad = r.thresholds.filter((t) => !t.ok).map((t) => `${t.key} ${t.expression}: ${t.samples ? t.value : "no samples"}`);
      assert.deepEqual(bad, []);
      assert.ok(r.thresholds.some((t) => t.key.startsWith("checks{")) && r.thresholds.some((t) => t.key.startsWith("http_req_duration{")));
      // Trial clients over their limit got 429s, and those counted as expected responses.
      if (name === "rate-limit") assert.ok((r.checks["429 has retry-after and x-ratelimit-limit"]?.passes ?? 0) > 0, JSON.stringify(r.checks));
    });
  });
}

describe("the stand-in fails what k6 would fail", () => {
  let topology: Topology;
  before(async () => { topology = await startTopology("trace-id"); });
  after(() => topology?.stop());

  test("a script whose expected outcomes do not hold fails its checks and thresholds", async () => {
    // tagging.js expects gray lanes; Envoy here runs trace-id only, so nothing is routed to gray.
    const r = await runK6Script(script("tagging"), { env: { BASE_URL: topology.url }, iterations: period("tagging") });
    assert.ok((r.checks["routed to gray"]?.fails ?? 0) > 0, JSON.stringify(r.checks));
    assert.ok(r.thresholds.some((t) => t.key === "checks{scenario:tagging}" && !t.ok));
  });

  test("the scripts and the scenarios use only syntax k6's runtime parses", async () => {
    const files = [join(projectRoot, "load", "scenarios.js"), ...readdirSync(join(projectRoot, "load", "k6")).filter((f) => f.endsWith(".js")).map((f) => join(projectRoot, "load", "k6", f))];
    for (const f of files) assert.deepEqual(await k6SyntaxProblems(readFileSync(f, "utf8")), [], f);
    assert.deepEqual(await k6SyntaxProblems("let a = 1_000;\na ||= 2;\n"), ["1: a numeric separator (ES2021)", "2: logical assignment ||= (ES2021)"]);
  });

  test("threshold names and expressions are checked against k6's grammar", () => {
    assert.throws(() => parseThresholdKey("http_req_duraton{scenario:chain}"), /no metric "http_req_duraton"/);
    assert.throws(() => parseThresholdKey("checks{scenario}"), /not tag:value/);
    assert.deepEqual(parseThresholdKey("http_req_duration{scenario:chain,expected_response:true}"),
      { metric: "http_req_duration", tags: { scenario: "chain", expected_response: "true" } });
    assert.throws(() => parseThresholdExpression("p95<100", "http_req_duration"), /not an aggregation/);
    assert.throws(() => parseThresholdExpression("rate=1", "checks"), /no operator/);
    assert.throws(() => parseThresholdExpression("p(99)<100", "checks"), /not an aggregation of checks/);
    assert.throws(() => parseThresholdExpression("rate<abc", "http_req_failed"), /not a number/);
    assert.deepEqual(parseThresholdExpression("p(99.9) <= 250", "http_req_duration"), { method: "p(99.9)", op: "<=", value: 250 });
  });

  test("options are checked as k6 checks them", () => {
    const fn = { iteration() {} };
    const base = (sc: object) => ({ scenarios: { chain: { executor: "constant-arrival-rate", exec: "iteration", rate: 10, duration: "5s", preAllocatedVUs: 2, ...sc } } });
    assert.doesNotThrow(() => validateOptions(base({}), fn));
    assert.throws(() => validateOptions(base({ exec: "run" }), fn), /exports no function "run"/);
    assert.throws(() => validateOptions(base({ duration: "5 sec" }), fn), /not a k6 duration/);
    assert.throws(() => validateOptions(base({ vus: 3 }), fn), /not a field of the constant-arrival-rate executor/);
    assert.throws(() => validateOptions({ scenarios: { "a b": base({}).scenarios.chain } }, fn), /scenario names/);
    assert.throws(() => validateOptions({ ...base({}), thresholds: { "checks{scenario:chain}": ["p(95)<1"] } }, fn), /not an aggregation/);
  });
});
