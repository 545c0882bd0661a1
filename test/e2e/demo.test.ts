// The `npm start` demo: every built filter in one Envoy, and every curl line it prints does what it
// says. Also keeps envoy-config/demo.yaml in step with the plan and valid for Envoy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { availableDemoFilters, chainDemoFilters, checkTry, curlLine, envoyPath, projectRoot, renderChainYaml, renderDemoYaml, startDemo, type Demo } from "./lib/index.js";

describe("npm start demo", () => {
  let demo: Demo;
  before(async () => { demo = await startDemo({ port: 0, adminPort: 0 }); });
  after(() => demo?.stop());

  test("chains every built demo module", () => {
    assert.ok(demo.filters.length >= 4, `filters: ${demo.filters.map((f) => f.module).join(", ")}`);
    assert.deepEqual(demo.missing, availableDemoFilters().missing);
  });

  test("each printed request does what the demo promises", async () => {
    for (const f of demo.filters) {
      for (const t of f.tries) {
        const r = await checkTry(demo.url, t);
        assert.ok(r.ok, `${f.module}: ${t.title}: got ${r.got}\n  ${curlLine(demo.url, t)}`);
      }
    }
  });
});

describe("npm start -- --chain: the chain module in the three filters' place", () => {
  let demo: Demo;
  before(async () => { demo = await startDemo({ port: 0, adminPort: 0, chain: true }); });
  after(() => demo?.stop());

  test("one Wasm filter does trace-id, tagging and rate-limit: their printed requests all do what they say", async () => {
    const modules = demo.filters.map((f) => f.module);
    assert.ok(modules.includes("chain"));
    for (const m of ["trace-id", "tagging", "rate-limit"]) assert.ok(!modules.includes(m), `${m} is in the chain module, not beside it`);
    for (const f of demo.filters) {
      for (const t of f.tries) {
        const r = await checkTry(demo.url, t);
        assert.ok(r.ok, `${f.module}: ${t.title}: got ${r.got}\n  ${curlLine(demo.url, t)}`);
      }
    }
  });
});

for (const [name, render, plan] of [["demo.yaml", renderDemoYaml, undefined], ["chain.yaml", renderChainYaml, chainDemoFilters()]] as const) {
  describe(`envoy-config/${name}`, () => {
    const file = join(projectRoot, "envoy-config", name);
    const missing = availableDemoFilters(undefined, plan).missing;

    test("is what the demo plan renders (run `npm run envoy:demo-config` after changing it)", () => {
      assert.equal(readFileSync(file, "utf8"), render());
    });

    test("passes `envoy --mode validate` once every module is built", { skip: missing.length ? `not built: ${missing.join(", ")}` : false }, () => {
      const r = spawnSync(envoyPath(), ["--mode", "validate", "-c", file], { cwd: projectRoot, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, (r.stdout + r.stderr).split("\n").filter((l) => /critical|error/.test(l)).join("\n"));
      assert.match(r.stdout + r.stderr, new RegExp(`configuration '.*envoy-config/${name.replace(".", "\\.")}' OK`));
    });
  });
}
