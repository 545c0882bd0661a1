// `proxy-wasm-as test`: build, then the as-pect specs (on the test host) and the node:test files.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildModule } from "../build-module.js";
import { type Command, parse } from "../command.js";
import { assertToolchain, loadProject, projectBin } from "../project.js";
import { runTee, stripAnsi } from "../run-process.js";

function testFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (statSync(p).isDirectory()) testFiles(p, out);
    else if (/\.test\.(js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** as-pect failures that mean a setup mistake, explained with the fix; null for anything else. */
export function explainAspectFailure(out: string): string | null {
  // Node: `WebAssembly.instantiate(): Import #3 module="env" function="proxy_log" error: …`
  const link = /WebAssembly\.instantiate\(\): Import #\d+ module="([^"]+)"(?: function="([^"]+)")?/.exec(out);
  if (link) {
    const what = link[2] ? `${link[1]}.${link[2]}` : `the module "${link[1]}"`;
    return `the spec imports ${what} and nothing provides it: the filter's host functions, WASI (which the SDK's abort uses: proc_exit) ` +
      `and the TestHost functions (proxy_test) come from the proxy-wasm test host.\n  fix: as-pect.config.js should be \`export { default } from "proxy-wasm-as/aspect";\``;
  }
  if (/Cannot find package 'proxy-wasm-as'|ERR_MODULE_NOT_FOUND[^\n]*proxy-wasm-as/.test(out)) {
    return "as-pect.config.js imports proxy-wasm-as, which is not installed.\n  fix: npm install";
  }
  return null;
}

export const command: Command = {
  summary: "build, then run the as-pect specs on the test host and the node:test files in test/",
  usage: `usage: proxy-wasm-as test [--specs GLOB] [--no-specs] [--no-node]

1. builds the filter (release, as Envoy loads it);
2. runs the as-pect specs (as-pect.config.js: \`export { default } from "proxy-wasm-as/aspect";\`):
   each spec imports the filter and drives it through proxy-wasm-as/assembly/testing on the test host;
3. runs test/**/*.test.{js,mjs} with node --test (the compiled module in proxy-wasm-as/host).
Ends with one line "N passed, N failed"; exit code 1 if anything failed.

Before that it checks the setup as-pect 8.1.0 with AssemblyScript 0.28 needs (the "overrides" entry,
"type": "module", an as-pect.asconfig.json without the filter's abort flag) and says what to change.

options:
  --specs GLOB   only these spec files (comma-separated globs)
  --no-specs     skip as-pect
  --no-node      skip node:test`,
  async run(args) {
    const { values } = parse("test", args, { specs: { type: "string" }, "no-specs": { type: "boolean" }, "no-node": { type: "boolean" } }, false);
    const p = loadProject();
    assertToolchain(p);
    const built = await buildModule(p, { quiet: true });
    console.log(`built ${relative(p.root, built.path)} (${(built.bytes / 1024).toFixed(1)} KiB)`);
    let passed = 0, failed = 0;
    if (!values["no-specs"]) {
      const env: Record<string, string> = values.specs ? { PROXY_WASM_SPECS: values.specs } : {};
      const { code, text } = await runTee(projectBin(p, "asp"), ["--config", "as-pect.config.js", "--no-logo"], { cwd: p.root, env });
      const hint = explainAspectFailure(stripAnsi(text));
      if (hint) console.error(`\nproxy-wasm-as test: ${hint}`);
      const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(stripAnsi(text));
      if (!m) failed++;
      else {
        passed += Number(m[1]);
        failed += Number(m[2]) - Number(m[1]);
        if (code !== 0 && m[1] === m[2]) failed++; // a spec that did not compile
      }
    }
    const files = values["no-node"] ? [] : testFiles(join(p.root, "test"));
    if (files.length) {
      const { code, text } = await runTee(process.execPath, ["--test", "--test-reporter=spec", ...files.map((f) => relative(p.root, f))], { cwd: p.root });
      const clean = stripAnsi(text);
      const num = (label: string) => Number((new RegExp(`ℹ ${label} (\\d+)`).exec(clean) ?? [0, 0])[1]);
      if (!/ℹ tests \d+/.test(clean)) failed++; // node --test ran nothing: not a pass
      passed += num("pass");
      failed += num("fail") + num("cancelled");
      if (code !== 0 && num("fail") + num("cancelled") === 0) failed++;
    }
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  },
};
