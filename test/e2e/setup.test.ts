// scripts/setup-envoy.mjs: what it installed and verified, and its one-line errors.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { envoyInstall, projectRoot } from "./lib/index.js";

const setup = (env: Record<string, string>) =>
  spawnSync(process.execPath, [join(projectRoot, "scripts", "setup-envoy.mjs")], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });

describe("setup-envoy", () => {
  test("recorded a verified Envoy: version 1.40.0 (unless ENVOY overrides) with the V8 runtime", () => {
    const s = envoyInstall();
    assert.ok(s, "npm test runs setup-envoy before the tests: .cache/envoy.json must exist");
    if (!process.env.ENVOY) assert.equal(s.version, "1.40.0");
    assert.match(s.versionLine, /^version: [0-9a-f]{40}\/\d+\.\d+\.\d+\/Clean\/RELEASE\/BoringSSL$/);
    assert.match(s.runtimeLine, /^envoy\.wasm\.runtime: .*envoy\.wasm\.runtime\.v8/);
  });

  test("is idempotent: a second run re-checks without reinstalling", { skip: process.env.ENVOY ? "ENVOY is set" : false }, () => {
    const r = setup({});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /already installed/);
    assert.doesNotMatch(r.stdout, /installing/);
  });

  test("ENVOY pointing at nothing fails with one clear line", () => {
    const r = setup({ ENVOY: "/nonexistent/envoy" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^setup-envoy: error: Envoy binary not found or not executable: \/nonexistent\/envoy$/m);
  });

  test("ENVOY pointing at something that is not Envoy is refused", () => {
    const r = setup({ ENVOY: process.execPath });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /does not look like Envoy/);
  });
});
