// deny-path in Envoy: a local response from the plugin, and a configuration Envoy must refuse.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrap, envoyPath, expectEnvoyToFail, startStack, toYaml, type Stack } from "./lib/index.js";

describe("deny-path: local response", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["stable"],
      filters: [{ module: "deny-path", config: { prefixes: ["/admin", "/internal/"], status: 451, body: "not here\n" } }],
    });
  });
  after(() => stack?.stop());

  test("a denied path is answered by the plugin and never reaches the upstream", async () => {
    stack.upstreams.stable.clear();
    const res = await stack.request("/admin/users", { headers: { "x-client": "e2e" } });
    assert.equal(res.status, 451);
    assert.equal(res.body, "not here\n");
    assert.equal(res.headers["x-denied-by"], "deny-path");
    assert.equal(res.headers["content-type"], "text/plain");
    assert.equal(stack.upstreams.stable.requests.length, 0);
  });

  test("every configured prefix is denied; other paths pass through unchanged", async () => {
    stack.upstreams.stable.clear();
    assert.equal((await stack.request("/internal/metrics")).status, 451);
    const ok = await stack.request("/internal-docs", { headers: { "x-client": "e2e" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["x-denied-by"], undefined);
    assert.deepEqual(stack.upstreams.stable.requests.map((r) => r.path), ["/internal-docs"]);
    assert.equal(stack.upstreams.stable.last()?.headers["x-client"], "e2e");
  });
});

describe("deny-path: invalid configuration", () => {
  const bad = { prefixes: ["admin"], status: 451 };

  test("Envoy refuses to start, and its log says which field is wrong and why", async () => {
    const { code, log } = await expectEnvoyToFail({ upstreams: { stable: { port: 9 } }, filters: [{ module: "deny-path", config: bad }] });
    assert.notEqual(code, 0);
    assert.match(log, /invalid configuration: prefixes\[0\]: must start with "\/", got "admin"/);
    assert.match(log, /Unable to create Wasm plugin deny_path/);
  });

  test("an unknown field and an out-of-range value are reported with their paths", async () => {
    const typo = await expectEnvoyToFail({ upstreams: { stable: { port: 9 } }, filters: [{ module: "deny-path", config: { prefixes: ["/a"], stauts: 403 } }] });
    assert.match(typo.log, /invalid configuration: stauts: unknown field/);
    const range = await expectEnvoyToFail({ upstreams: { stable: { port: 9 } }, filters: [{ module: "deny-path", config: { prefixes: ["/a"], status: 99 } }] });
    assert.match(range.log, /invalid configuration: status: must be between 200 and 599, got 99/);
  });

  test("`envoy --mode validate` runs the plugin's configure step too and fails the same way", () => {
    const dir = mkdtempSync(join(tmpdir(), "envoy-validate-"));
    try {
      const cfg = join(dir, "bad.yaml");
      writeFileSync(cfg, toYaml(bootstrap({ clusters: { stable: { port: 9 } }, filters: [{ module: "deny-path", config: bad }] })));
      const r = spawnSync(envoyPath(), ["--mode", "validate", "-c", cfg], { encoding: "utf8", timeout: 30_000 });
      assert.notEqual(r.status, 0);
      assert.match(r.stdout + r.stderr, /prefixes\[0\]: must start with "\/"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
