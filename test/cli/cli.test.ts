// The CLI's pieces in this repository: the dispatcher, `config check` over a built example, the
// module check and the compiler-error translation (the new-project test runs the rest from the tarball).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkForEnvoy, explainCompileError } from "../../src/cli/module-check.js";
import { explainAspectFailure } from "../../src/cli/commands/test.js";
import { commands } from "../../src/cli/commands.js";

const cli = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", input, timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

test("--help lists every command of the table; each command has its own --help", () => {
  const r = cli(["--help"]);
  assert.equal(r.status, 0);
  for (const [name, c] of Object.entries(commands)) {
    assert.match(r.out, new RegExp(`^  ${name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    assert.ok(c.usage.startsWith(`usage: proxy-wasm-as ${name}`), `${name}: usage starts with its synopsis`);
  }
  const sub = cli(["build", "--help"]);
  assert.equal(sub.status, 0);
  assert.equal(sub.out.trim(), commands.build.usage);
});

test("an unknown command or option says what to do", () => {
  const r = cli(["biuld"]);
  assert.equal(r.status, 2);
  assert.match(r.err, /unknown command "biuld"\n {2}fix: one of new, build, test, run, config/);
  const o = cli(["build", "--relase"]);
  assert.equal(o.status, 2);
  assert.match(o.err, /Unknown option '--relase'[\s\S]*fix: see `proxy-wasm-as build --help`/);
  const n = cli(["new", "My_Filter"]);
  assert.equal(n.status, 2);
  assert.match(n.err, /fix: use lower-case letters, digits and dashes/);
});

test("config check: the filter accepts or refuses, naming field and reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "pwas-cfg-"));
  try {
    writeFileSync(join(dir, "good.json"), `{"prefixes": ["/admin"]}`);
    writeFileSync(join(dir, "bad.json"), `{"prefixes": ["admin"]}`);
    const good = cli(["config", "check", "build/deny-path.wasm", join(dir, "good.json")]);
    assert.equal(good.status, 0, good.err);
    assert.match(good.out, /^ok: .*good\.json is accepted by build\/deny-path\.wasm \(root_id "deny_path"\)/);
    const bad = cli(["config", "check", "build/deny-path.wasm", join(dir, "bad.json"), "--json"]);
    assert.equal(bad.status, 1);
    const verdict = JSON.parse(bad.out);
    assert.equal(verdict.ok, false);
    assert.ok(verdict.errors.some((e: string) => e.includes("prefixes[0]: must start with \"/\"")), bad.out);
    const stdin = cli(["config", "check", "build/deny-path.wasm", "-"], `{"prefixes": ["/x"]}`);
    assert.equal(stdin.status, 0, stdin.err);
    const missing = cli(["config", "check", "build/nope.wasm", join(dir, "good.json")]);
    assert.equal(missing.status, 1);
    assert.match(missing.err, /Wasm module not found[\s\S]*fix: build the module first/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the module check names the missing export line; a good module passes", () => {
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const r = checkForEnvoy(empty, "assembly/index.ts");
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0].fix, /add `export \* from "proxy-wasm-as\/assembly\/proxy";` as the first line of assembly\/index\.ts/);
  assert.deepEqual(checkForEnvoy(readFileSync("build/deny-path.wasm"), "x.ts").problems, []);
});

test("compiler and as-pect errors of the issue are translated into their fix", () => {
  const as111 = "ERROR AS111: Element '~lib/proxy-wasm-as/assembly/sdk/abort/proxy_abort' not found.";
  assert.match(explainCompileError(as111, "assembly/index.ts")!, /fix: add `export \* from "proxy-wasm-as\/assembly\/proxy";`/);
  assert.equal(explainCompileError("ERROR TS2304: Cannot find name 'x'.", "a.ts"), null);
  const link = `TypeError: WebAssembly.instantiate(): Import #0 module="wasi_snapshot_preview1" function="proc_exit" error: function import requires a callable`;
  assert.match(explainAspectFailure(link)!, /wasi_snapshot_preview1\.proc_exit[\s\S]*fix: as-pect\.config\.js should be `export \{ default \} from "proxy-wasm-as\/aspect";`/);
});
