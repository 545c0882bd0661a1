// The `npm start` demo: every built filter in one Envoy, and every curl line it prints does what it
// says. Also keeps envoy-config/demo.yaml in step with the plan and valid for Envoy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { availableDemoFilters, checkTry, curlLine, envoyPath, projectRoot, renderDemoYaml, startDemo, type Demo } from "./lib/index.js";

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

describe("envoy-config/demo.yaml", () => {
  const file = join(projectRoot, "envoy-config", "demo.yaml");

  test("is what the demo plan renders (run `npm run envoy:demo-config` after changing it)", () => {
    assert.equal(readFileSync(file, "utf8"), renderDemoYaml());
  });

  test("passes `envoy --mode validate` once every module is built", { skip: availableDemoFilters().missing.length ? `not built: ${availableDemoFilters().missing.join(", ")}` : false }, () => {
    const r = spawnSync(envoyPath(), ["--mode", "validate", "-c", file], { cwd: projectRoot, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, (r.stdout + r.stderr).split("\n").filter((l) => /critical|error/.test(l)).join("\n"));
    assert.match(r.stdout + r.stderr, /configuration '.*envoy-config\/demo\.yaml' OK/);
  });
});
