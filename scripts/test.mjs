#!/usr/bin/env node
// `npm test`: build every module, make sure a real Envoy is installed, then run
//   1. the as-pect specs (assembly/**/__tests__, examples/*/assembly/__tests__) on the test host,
//   2. the node:test suites (test/**/*.test.ts, examples/*/*.test.ts) — host, filters over compiled
//      .wasm, end-to-end in Envoy, conformance, packaging.
// Ends with one line `N passed, N failed` summing both runners.
//   npm test -- <substring>   runs only node test files whose path contains <substring> (as-pect skipped)
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "./build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const filter = process.argv[2] ?? "";

function walk(dir, match, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (statSync(p).isDirectory()) walk(p, match, out);
    else if (match(p)) out.push(p);
  }
  return out;
}

/** Runs a command, echoing its output, and returns the combined text. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    const tee = (stream) => (chunk) => { text += chunk; stream.write(chunk); };
    child.stdout.on("data", tee(process.stdout));
    child.stderr.on("data", tee(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, text }));
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };

async function aspect() {
  const specs = [...walk(join(root, "assembly"), (p) => p.endsWith(".spec.ts")), ...walk(join(root, "examples"), (p) => p.endsWith(".spec.ts"))];
  if (!specs.length) return;
  console.log(`\n== as-pect: ${specs.length} spec file(s)`);
  const { code, text } = await run(join(root, "node_modules/.bin/asp"), ["--config", "as-pect.config.js", "--no-logo"]);
  const clean = text.replace(/\x1b\[[0-9;]*m/g, "");
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(clean);
  if (!m) { totals.failed++; console.log("as-pect: no summary line found (counted as 1 failure)"); return; }
  const passed = Number(m[1]), total = Number(m[2]);
  totals.passed += passed;
  totals.failed += total - passed;
  if (code !== 0 && passed === total) totals.failed++; // a compile error in a spec file
}

async function nodeTests() {
  const files = [
    ...walk(join(root, "test"), (p) => p.endsWith(".test.ts")),
    ...walk(join(root, "examples"), (p) => p.endsWith(".test.ts")),
  ].filter((p) => relative(root, p).includes(filter));
  if (!files.length) return;
  console.log(`\n== node:test: ${files.length} file(s)`);
  const { code, text } = await run(process.execPath, [
    "--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1",
    ...files.map((f) => relative(root, f)),
  ]);
  const clean = text.replace(/\x1b\[[0-9;]*m/g, "");
  const num = (label) => Number((new RegExp(`ℹ ${label} (\\d+)`).exec(clean) ?? [0, 0])[1]);
  totals.passed += num("pass");
  totals.failed += num("fail") + num("cancelled");
  totals.skipped += num("skipped") + num("todo");
  if (code !== 0 && num("fail") + num("cancelled") === 0) totals.failed++;
}

/** Setup scripts run before the tests: [file in scripts/, what it installs, which tests need it]. */
const SETUPS = [
  ["setup-envoy.mjs", "envoy", "the end-to-end tests"],
  ["setup-load.mjs", "load generator (vegeta) and Docker", "the load tests"],
  ["setup-ratelimit.mjs", "redis + envoyproxy/ratelimit", "the global rate-limit tests"],
  ["setup-istio.mjs", "OCI registry, skopeo, Istio's own code (tools/istio-render)", "the OCI and Istio tests"],
];

async function main() {
  console.log("== build");
  try { await build(); } catch (e) { console.error(`build failed: ${e.message}`); totals.failed++; }
  // What the tests need beyond npm: each script installs its part idempotently (seconds when done).
  for (const [script, what, consequence] of SETUPS) {
    if (!existsSync(join(root, "scripts", script))) continue;
    console.log(`\n== ${what}`);
    const { code } = await run(process.execPath, [join(root, "scripts", script)]);
    if (code !== 0) console.log(`${script} failed: ${consequence} will fail and say why`);
  }
  if (!filter) await aspect();
  await nodeTests();
  const skipped = totals.skipped ? `, ${totals.skipped} skipped` : "";
  console.log(`\n${totals.passed} passed, ${totals.failed} failed${skipped}`);
  process.exit(totals.failed ? 1 : 0);
}

main();
