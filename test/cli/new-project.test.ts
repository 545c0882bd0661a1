// A new user's path, from the packed tarball in a folder outside the repo: `npx proxy-wasm-as new`,
// `npm install`, `npm test` (an as-pect spec on the test host + a test-host test), `npm run build`,
// `npm start` serving requests through a real Envoy — and each setup mistake of the issue giving a
// message that names the fix. Installs come from npm's cache after the first run (--prefer-offline).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "pwas-new-"));
after(() => rmSync(work, { recursive: true, force: true }));
const project = join(work, "my-filter");

interface Run { status: number | null; out: string; stdout: string }
function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 300_000): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: "false", ...env } });
  return { status: r.status, stdout: r.stdout ?? "", out: `${r.stdout ?? ""}${r.stderr ?? ""}`.replace(/\x1b\[[0-9;]*m/g, "") };
}
// Under `npm test`, node_modules/.bin may hold an old npm (a dependency of as-pect's glob-promise): use ours.
const npmCli = process.env.npm_execpath;
const npm = (args: string[], cwd: string, env: Record<string, string> = {}) => {
  const flags = ["--no-audit", "--no-fund", "--loglevel=error", ...args]; // before any `--` of args
  return npmCli && npmCli.endsWith(".js") ? sh(process.execPath, [npmCli, ...flags], cwd, env) : sh("npm", flags, cwd, env);
};
const ok = (r: Run, what: string) => assert.equal(r.status, 0, `${what} failed (${r.status}):\n${r.out.slice(-3000)}`);
const cli = (args: string[]) => sh(join(project, "node_modules/.bin/proxy-wasm-as"), args, project);

let tarball = "";
let packedFiles: string[] = [];

test("npx proxy-wasm-as new my-filter, from the packed tarball, outside the repo", () => {
  const packed = npm(["pack", "--json", "--pack-destination", work], root);
  ok(packed, "npm pack");
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")))[0];
  tarball = join(work, info.filename);
  packedFiles = info.files.map((f: { path: string }) => f.path);
  assert.ok(!work.startsWith(root));
  const r = npm(["exec", "--yes", `--package=${tarball}`, "--", "proxy-wasm-as", "new", "my-filter", "--sdk", tarball], work);
  ok(r, "npx proxy-wasm-as new");
  for (const f of ["package.json", "assembly/index.ts", "assembly/__tests__/filter.spec.ts", "test/filter.test.mjs", "envoy.yaml", "as-pect.config.js", ".gitignore"]) {
    assert.ok(existsSync(join(project, f)), `the project has ${f}`);
  }
  const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  assert.equal(pkg.type, "module");
  assert.equal(pkg.overrides.assemblyscript, "$assemblyscript");
  assert.match(readFileSync(join(project, "envoy.yaml"), "utf8"), /filename: build\/my-filter\.wasm/);
});

test("every relative link in the packed Markdown resolves inside the tarball", () => {
  assert.ok(packedFiles.length, "needs the tarball");
  const files = new Set(packedFiles);
  const dirs = new Set(packedFiles.flatMap((f) => f.split("/").slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join("/"))));
  const extracted = join(work, "extracted");
  sh("tar", ["xzf", tarball, "-C", work], work);
  sh("mv", [join(work, "package"), extracted], work);
  const broken: string[] = [];
  let checked = 0;
  for (const md of packedFiles.filter((f) => f.endsWith(".md"))) {
    const text = readFileSync(join(extracted, md), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1].split("#")[0];
      if (!href || /^[a-z]+:/i.test(href)) continue;
      const target = posix.normalize(posix.join(posix.dirname(md), href)).replace(/\/$/, "");
      checked++;
      if (!files.has(target) && !dirs.has(target)) broken.push(`${md}: ${m[1]}`);
    }
  }
  assert.ok(checked > 10, `found ${checked} links`);
  assert.deepEqual(broken, [], "links that do not resolve in the package");
  for (const f of ["docs/api.md", "docs/testing.md", "docs/sdk.md", "src/host/README.md", "assembly/testing/index.ts", "templates/filter/package.json", "dist/cli/main.js", "dist/host/aspect.js", "dist/envoy/index.js", "dist/devproxy/index.js", "scripts/setup-envoy.mjs"]) {
    assert.ok(files.has(f), `the package ships ${f}`);
  }
});

test("npm install, then npm test passes: the as-pect spec (request headers → local reply) and the test-host test", () => {
  assert.ok(tarball, "needs the project");
  ok(npm(["install", "--prefer-offline"], project), "npm install");
  const r = npm(["test"], project);
  ok(r, "npm test");
  assert.match(r.out, /✔ assembly\/__tests__\/filter\.spec\.ts Pass: 3 \/ 3/);
  assert.match(r.out, /ℹ pass 2/);
  assert.match(r.out, /^5 passed, 0 failed$/m);
});

test("npm run build reports the module and what Envoy needs", () => {
  const r = npm(["run", "build"], project);
  ok(r, "npm run build");
  assert.match(r.out, /built build\/my-filter\.wasm: \d+\.\d KiB \(\d+ bytes\), release/);
  assert.match(r.out, /proxy-wasm ABI 0\.2\.1, root_id "my_filter"/);
  const bytes = readFileSync(join(project, "build/my-filter.wasm"));
  assert.ok(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).some((e) => e.name === "proxy_on_request_headers"));
});

test("the harness and the dev proxy are package entry points", () => {
  const r = sh(process.execPath, ["--input-type=module", "-e",
    "const e = await import('proxy-wasm-as/envoy'); const d = await import('proxy-wasm-as/devproxy'); const a = await import('proxy-wasm-as/aspect');" +
    "console.log(typeof e.startEnvoy, typeof e.bootstrap, typeof e.startUpstream, typeof d.startDevProxy, typeof a.aspectConfig)"], project);
  ok(r, "importing the entry points");
  assert.equal(r.out.trim(), "function function function function function");
});

test("npm start (proxy-wasm-as run) serves requests through Envoy in front of the echo upstream", async () => {
  // No ENVOY: the SDK's setup installs Envoy 1.40 (pip, from its cache after the first time).
  const env = { ...process.env };
  delete env.ENVOY;
  const child = spawn(join(project, "node_modules/.bin/proxy-wasm-as"), ["run", "--port", "0"], { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c) => { out += c; });
  child.stderr.on("data", (c) => { out += c; });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 240_000;
    while (!/Ctrl-C stops/.test(out)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `run did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const url = /Envoy 1\.40\.\d+ on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(url, `run names the Envoy URL:\n${out}`);
    assert.match(out, new RegExp(`curl -si -H 'x-api-key: s3cret' ${url}/hello`));
    const good = await fetch(`${url}/hello`, { headers: { "x-api-key": "s3cret" } });
    assert.equal(good.status, 200);
    assert.equal(good.headers.get("server"), "envoy");
    const echoed = await good.json() as { path: string; headers: Record<string, string> };
    assert.equal(echoed.path, "/hello");
    assert.equal(echoed.headers["x-api-key"], undefined, "the filter removed the key before the upstream");
    const bad = await fetch(`${url}/hello`);
    assert.equal(bad.status, 401);
    assert.equal(await bad.text(), "missing or invalid API key\n");
    const logDir = dirname(/Envoy log: (\S+)/.exec(out)![1]);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.ok(!existsSync(logDir), "Envoy's work folder is removed on Ctrl-C");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

test("the generated envoy.yaml is a valid Envoy 1.40 bootstrap with the built module", () => {
  const install = JSON.parse(readFileSync(join(project, "node_modules/proxy-wasm-as/.cache/envoy.json"), "utf8")) as { path: string };
  const r = sh(install.path, ["--mode", "validate", "-c", "envoy.yaml"], project, {}, 120_000);
  ok(r, "envoy --mode validate -c envoy.yaml");
  assert.match(r.out, /configuration 'envoy\.yaml' OK/);
});

test("config check: the filter judges a configuration", () => {
  ok(cli(["config", "check", "build/my-filter.wasm", "config.json"]), "config check of the shipped config");
  writeFileSync(join(work, "bad.json"), `{"header": "x-api-key", "keys": []}`);
  const r = cli(["config", "check", "build/my-filter.wasm", join(work, "bad.json")]);
  assert.equal(r.status, 1);
  assert.match(r.out, /refused: .*bad\.json/);
  assert.match(r.out, /keys: is required/);
});

/** Runs `fn` on a changed copy of a project file and restores it. */
function withFile(file: string, change: (text: string) => string, fn: () => void): void {
  const path = join(project, file);
  const saved = readFileSync(path, "utf8");
  writeFileSync(path, change(saved));
  try { fn(); } finally { writeFileSync(path, saved); }
}

test("forgetting the proxy export: the build names the line to add, not only AS111", () => {
  withFile("assembly/index.ts", (t) => t.replace(/^export \* from "proxy-wasm-as\/assembly\/proxy";.*$/m, ""), () => {
    const r = cli(["build"]);
    assert.equal(r.status, 1);
    assert.match(r.out, /AS111/);
    assert.match(r.out, /fix: add `export \* from "proxy-wasm-as\/assembly\/proxy";` as the first line of assembly\/index\.ts/);
  });
});

test("as-pect's peer range: without the overrides entry, test names it before npm's ERESOLVE bites", () => {
  withFile("package.json", (t) => { const p = JSON.parse(t); delete p.overrides; return JSON.stringify(p, null, 2); }, () => {
    const r = cli(["test"]);
    assert.equal(r.status, 1);
    assert.match(r.out, /ERESOLVE/);
    assert.match(r.out, /fix: add to package\.json: "overrides": \{ "assemblyscript": "\$assemblyscript" \}/);
  });
});

test("ESM as-pect config in a CommonJS package: test names \"type\": \"module\"", () => {
  withFile("package.json", (t) => { const p = JSON.parse(t); delete p.type; return JSON.stringify(p, null, 2); }, () => {
    const r = cli(["test"]);
    assert.equal(r.status, 1);
    assert.match(r.out, /as-pect\.config\.js is an ES module/);
    assert.match(r.out, /fix: add "type": "module" to package\.json/);
  });
});

test("a spec without the test host (WASI proc_exit and the host functions unresolved): test names the config line", () => {
  withFile("as-pect.config.js", () => `export default {
  entries: ["assembly/**/__tests__/**/*.spec.ts"], include: [],
  instantiate: (memory, createImports, instantiate, binary) => instantiate(binary, createImports({ env: { memory } })),
};\n`, () => {
    const r = cli(["test", "--no-node"]);
    assert.equal(r.status, 1);
    assert.match(r.out, /the spec imports .* and nothing provides it/);
    assert.match(r.out, /fix: as-pect\.config\.js should be `export \{ default \} from "proxy-wasm-as\/aspect";`/);
  });
});
