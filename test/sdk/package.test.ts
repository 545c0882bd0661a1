// The package as a user gets it: `npm pack` the repo, install the tarball into a throwaway filter
// project outside the repo (with assemblyscript from the registry; the npm cache makes it quick),
// build a ten-line filter against `proxy-wasm-as/assembly`, and check the module against the ABI.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, manifestOf } from "./abi-check.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "pwas-package-"));
after(() => rmSync(work, { recursive: true, force: true }));

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const asVersion: string = pkg.devDependencies.assemblyscript;

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: "false" } });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed (status ${r.status}${r.signal ? `, ${r.signal}` : ""}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
// Under `npm test`, node_modules/.bin comes first on PATH and holds an old npm (a dependency of
// as-pect's glob-promise); run the npm that started us instead.
const npmCli = process.env.npm_execpath;
const npm = (args: string[], cwd: string) => {
  const flags = ["--no-audit", "--no-fund", "--loglevel=error", ...args];
  return npmCli && npmCli.endsWith(".js") ? sh(process.execPath, [npmCli, ...flags], cwd) : sh("npm", flags, cwd);
};

const FILTER = `export * from "proxy-wasm-as/assembly/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "proxy-wasm-as/assembly";

class Hello extends Context {
  onResponseHeaders(n: u32, endOfStream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("hello", "world");
    return FilterHeadersStatusValues.Continue;
  }
}
class HelloRoot extends RootContext { createContext(id: u32): Context { return new Hello(id, this); } }
registerRootContext((id: u32) => new HelloRoot(id), "hello");
`;

let tarball = "";
let project = "";

test("npm pack ships the AssemblyScript sources, the ABI exports, the asconfig preset and the test host", () => {
  const out = npm(["pack", "--json", "--pack-destination", work], root); // runs prepack (tsc → dist/)
  const [info] = JSON.parse(out.slice(out.indexOf("[")));
  tarball = join(work, info.filename);
  assert.ok(existsSync(tarball));
  const files = new Set<string>(info.files.map((f: { path: string }) => f.path));
  for (const f of ["assembly/index.ts", "assembly/proxy.ts", "assembly/sdk/dispatcher.ts", "assembly/sdk/imports.ts",
    "assembly/sdk/abort.ts", "asconfig.preset.json", "package.json", "README.md"]) {
    assert.ok(files.has(f), `tarball lacks ${f}`);
  }
  if (existsSync(join(root, "src/host/index.ts"))) assert.ok(files.has("dist/host/index.js"), "tarball lacks dist/host/index.js");
  // The project template (templates/filter) carries a spec of its own; nothing else ships tests.
  for (const f of files) assert.ok((!f.includes("__tests__") || f.startsWith("templates/")) && !f.startsWith("test/") && !f.startsWith("build/"), `tarball ships ${f}`);
});

test("a filter project outside the repo installs the tarball and builds with the release flags", () => {
  assert.ok(tarball, "needs the tarball from the previous test");
  project = join(work, "my-filter");
  mkdirSync(join(project, "assembly"), { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({
    name: "my-filter", version: "1.0.0", private: true, type: "module",
    dependencies: { "proxy-wasm-as": `file:${tarball}` },
    devDependencies: { assemblyscript: asVersion },
  }, null, 2));
  writeFileSync(join(project, "assembly/index.ts"), FILTER);
  npm(["install", "--prefer-offline"], project);
  assert.ok(!project.startsWith(root), "the project is outside the repo");

  // Plain asc command line: a package's files are ~lib/<package>/… to AssemblyScript.
  const asc = join(project, "node_modules/.bin/asc");
  sh(asc, ["assembly/index.ts", "-o", "build/hello.wasm", "--runtime", "incremental", "--exportStart", "_initialize",
    "--use", "abort=~lib/proxy-wasm-as/assembly/sdk/abort/proxy_abort", "-O3", "--noAssert"], project);
  const m = manifestOf(join(project, "build/hello.wasm"));
  assert.deepEqual(check(m), []);
  assert.ok(m.imports.some((i) => i.name === "proxy_add_header_map_value"), "the filter's header write is compiled in");
  assert.ok(m.imports.some((i) => i.name === "proc_exit"), "abort is routed to the SDK's handler (WASI proc_exit)");
});

test("the shipped asconfig preset builds the same filter with `asc --target release`", () => {
  assert.ok(project, "needs the project from the previous test");
  writeFileSync(join(project, "asconfig.json"), JSON.stringify({
    extends: "./node_modules/proxy-wasm-as/asconfig.preset.json",
    entries: ["assembly/index.ts"],
    targets: { release: { outFile: "build/preset.wasm" } },
  }, null, 2));
  sh(join(project, "node_modules/.bin/asc"), ["--target", "release"], project);
  const m = manifestOf(join(project, "build/preset.wasm"));
  assert.deepEqual(check(m), []);
  // Same flags, same module.
  assert.deepEqual(readFileSync(join(project, "build/preset.wasm")), readFileSync(join(project, "build/hello.wasm")));
});

test("the built module instantiates and adds its header when the host calls it", () => {
  assert.ok(project, "needs the project from the previous test");
  const mod = new WebAssembly.Module(readFileSync(join(project, "build/hello.wasm")));
  let memory: WebAssembly.Memory | undefined;
  const added: string[] = [];
  const text = (p: number, n: number) => Buffer.from(memory!.buffer, p, n).toString();
  const env: Record<string, (...a: number[]) => number> = {
    proxy_get_property: () => 1, // NotFound: the single registered factory serves any root_id
    proxy_get_log_level: () => 1,
    proxy_add_header_map_value: (map, kp, kl, vp, vl) => { added.push(`${map}:${text(kp, kl)}=${text(vp, vl)}`); return 0; },
  };
  const imports: Record<string, Record<string, unknown>> = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    (imports[i.module] ??= {})[i.name] = env[i.name] ?? (() => { throw new Error(`unexpected host call ${i.name}`); });
  }
  const ex = new WebAssembly.Instance(mod, imports as WebAssembly.Imports).exports as Record<string, any>;
  memory = ex.memory;
  ex._initialize();
  ex.proxy_on_context_create(1, 0);
  assert.equal(ex.proxy_on_configure(1, 0), 1);
  ex.proxy_on_context_create(2, 1);
  assert.equal(ex.proxy_on_response_headers(2, 0, 1), 0);
  assert.deepEqual(added, ["2:hello=world"]); // map 2 = HTTP_RESPONSE_HEADERS
});

test("the packaged test host (`proxy-wasm-as/host`) runs the filter from the user's project", () => {
  assert.ok(project, "needs the project from the previous tests");
  writeFileSync(join(project, "check.mjs"), `
import { ProxyHost } from "proxy-wasm-as/host";
const host = await ProxyHost.create({ wasm: "build/hello.wasm", rootId: "hello" });
const s = host.newHttpStream();
s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "x" }, { endOfStream: true });
s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
s.complete();
console.log(JSON.stringify({ configured: host.configured, hello: s.responseHeaders.get("hello"), traps: host.traps.length }));
`);
  const out = sh(process.execPath, ["check.mjs"], project);
  assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), { configured: true, hello: "world", traps: 0 });
});
