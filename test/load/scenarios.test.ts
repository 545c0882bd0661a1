// The scenario definitions: the filter configurations are the documented ones, the mix and the
// generated requests are what the classes say, and the outcome checks catch wrong answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/envoy/index.js";
import {
  FILTERS, SCENARIOS, checkResponse, classOfPath, mixSequence, rateLimitBudget, requestFor,
} from "../../load/scenarios.js";
import { composeConfigs } from "../../load/topology.js";
import { summarize } from "../../load/report.js";

/** The JSON plugin configuration of an envoy-config/*.yaml stanza (its `value: |` block). */
function stanzaConfig(file: string) {
  const text = readFileSync(join(projectRoot, "envoy-config", file), "utf8");
  const m = /value: \|\n((?: {10}.*\n)+)/.exec(text);
  assert.ok(m, `no configuration block in ${file}`);
  return JSON.parse(m[1]);
}

test("trace-id and tagging run with the configurations envoy-config/ documents", () => {
  assert.deepEqual(FILTERS["trace-id"].config, stanzaConfig("trace-id.yaml"));
  assert.deepEqual(FILTERS.tagging.config, stanzaConfig("tagging.yaml"));
});

test("the mix has each class's weight in every period", () => {
  for (const s of Object.values(SCENARIOS) as any[]) {
    const total = s.classes.reduce((t: number, c: any) => t + c.weight, 0);
    const seq = mixSequence(s, total * 3);
    for (const c of s.classes) assert.equal(seq.filter((x: any) => x === c).length, c.weight * 3, `${c.name}`);
  }
});

test("requests carry what their class says", () => {
  const chain = SCENARIOS.chain;
  const cls = (name: string) => chain.classes.find((c: any) => c.name === name);
  for (let n = 0; n < 500; n++) {
    const gray = requestFor("chain", cls("gray-user"), n, "r1");
    assert.equal(Number(gray.headers["user-id"]) % 100, 20);
    assert.match(gray.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const stable = requestFor("chain", cls("app-user"), n, "r1");
    assert.notEqual(Number(stable.headers["user-id"]) % 100, 20);
    assert.doesNotMatch(requestFor("chain", cls("broken-client"), n, "r1").headers.traceparent, /^00-[0-9a-f]{32}-/);
    assert.deepEqual(classOfPath(gray.path), { scenario: "chain", cls: cls("gray-user"), n });
  }
  // Deterministic per run, different across runs (fresh rate-limit keys, fresh trace ids).
  assert.deepEqual(requestFor("chain", cls("app-user"), 7, "a"), requestFor("chain", cls("app-user"), 7, "a"));
  assert.notEqual(requestFor("chain", cls("app-user"), 7, "a").headers["x-api-key"], requestFor("chain", cls("app-user"), 7, "b").headers["x-api-key"]);
  const trialKeys = new Set(Array.from({ length: 50 }, (_, n) => requestFor("chain", cls("trial-over-limit"), n * 20, "r").headers["x-api-key"]));
  assert.equal(trialKeys.size, 2);
});

test("the outcome checks fail wrong answers", () => {
  const s = SCENARIOS.chain;
  const gray = s.classes.find((c: any) => c.name === "gray-user");
  const req = requestFor("chain", gray, 1, "r");
  const trace = req.headers.traceparent.split("-")[1];
  const good = {
    status: 200,
    headers: {
      "x-upstream": "gray", "x-trace-id": trace, "x-seen-traceparent": req.headers.traceparent, "x-seen-tracestate": req.headers.tracestate,
      "x-seen-b3": `${trace}-${req.headers.traceparent.split("-")[2]}-1`, "x-seen-x-mesh-tag": "gray", "x-seen-baggage": "mesh-tag=gray",
    },
  };
  assert.deepEqual(checkResponse(s, gray, req, good).filter(([, ok]: any) => !ok), []);
  const failing = (res: any) => checkResponse(s, gray, req, res).filter(([, ok]: any) => !ok).map(([n]: any) => n);
  assert.deepEqual(failing({ ...good, headers: { ...good.headers, "x-upstream": "stable" } }), ["routed to gray"]);
  assert.deepEqual(failing({ ...good, headers: { ...good.headers, "x-trace-id": "1".repeat(32) } }), ["x-trace-id echoes the upstream's trace", "incoming trace kept"]);
  assert.deepEqual(failing({ status: 429, headers: { "retry-after": "1", "x-ratelimit-limit": "2" } }), ["status is 200"]);
});

test("the token budget: burst plus refill over the elapsed time", () => {
  assert.equal(rateLimitBudget("trial-plan", 0), 2);
  assert.equal(rateLimitBudget("trial-plan", 3000), 5);
  assert.equal(rateLimitBudget("per-api-key", 1000), 3000);
});

test("the summary flags a key admitted past its budget", () => {
  const s = SCENARIOS["rate-limit"];
  const trial = s.classes.find((c: any) => c.name === "trial-over-limit");
  const results = [];
  // 20 requests of one trial key within 100 ms, all admitted: the budget is 2 (+0.1 refill).
  for (let n = 0; n < 40; n += 2) {
    const req = requestFor("rate-limit", trial, n, "x");
    if (!req.headers["x-api-key"].endsWith("-0")) continue;
    results.push({ seq: n, code: 200, startMs: 1000 + n * 2, latencyMs: 1, error: "", url: `http://h${req.path}`, headers: {} });
  }
  const summary = summarize({ scenario: "rate-limit", rate: results.length, duration: 1, run: "x", results });
  assert.equal(summary.ok, false);
  assert.ok(summary.keys.some((k) => !k.ok && k.admitted === results.length && k.max < results.length), JSON.stringify(summary.keys));
});

test("load/envoy/*.yaml (docker-compose's configs) are generated from load/topology.ts", () => {
  for (const [name, text] of Object.entries(composeConfigs())) {
    assert.equal(readFileSync(join(projectRoot, "load", "envoy", name), "utf8"), text, `load/envoy/${name} is stale: run \`npm run loadtest -- --write-configs\``);
  }
});

test("docker-compose.yaml has a front config and a k6 script for every LOAD_SCENARIO", () => {
  const compose = readFileSync(join(projectRoot, "docker-compose.yaml"), "utf8");
  assert.match(compose, /\/etc\/envoy\/load\/front-\$\{LOAD_SCENARIO:-chain\}\.yaml/);
  assert.match(compose, /\/load\/k6\/\$\{LOAD_SCENARIO:-chain\}\.js/);
  for (const name of Object.keys(SCENARIOS)) {
    assert.ok(existsSync(join(projectRoot, "load", "envoy", `front-${name}.yaml`)), `load/envoy/front-${name}.yaml`);
    assert.ok(existsSync(join(projectRoot, "load", "k6", `${name}.js`)), `load/k6/${name}.js`);
  }
});
