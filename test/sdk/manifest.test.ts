// The ABI manifest test: every compiled module's imports and exports, with wasm signatures, checked
// against the proxy-wasm ABI 0.2.1 table (test/sdk/abi.ts). Envoy refuses to load a module that
// imports anything it did not register, and silently ignores a misspelt callback export, so both
// directions matter. A fixture that calls every SDK wrapper proves the SDK reaches all 47 imports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ABI_IMPORTS, ABI_EXPORTS, ALL_SDK_EXPORTS, REQUIRED_EXPORTS, NOT_EXPORTED_BY_DESIGN, FORBIDDEN_IMPORTS, importKey } from "./abi.js";
import { type Manifest } from "./wasm-manifest.js";
import { check, manifestOf } from "./abi-check.js";
// @ts-ignore: plain ESM build script without type declarations
import { RELEASE_FLAGS } from "../../scripts/build.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const buildDir = join(root, "build");
test("the ABI 0.2.1 table lists 47 imports and 31 exports, each once", () => {
  assert.equal(ABI_IMPORTS.length, 47);
  assert.equal(new Set(ABI_IMPORTS.map(importKey)).size, 47);
  assert.equal(ABI_EXPORTS.length, 31);
  assert.equal(new Set(ABI_EXPORTS.map((e) => e.name)).size, 31);
  // `main` and `_start` are the only ABI exports the SDK leaves out, by design: it exports `_initialize`
  // (WASI reactor), so the host never calls `_start`, and `main` is optional.
  assert.deepEqual([...NOT_EXPORTED_BY_DESIGN].sort(), ["_start", "main"]);
  assert.equal(ALL_SDK_EXPORTS.length, 29);
  assert.equal(REQUIRED_EXPORTS.length, 8);
  for (const i of ABI_IMPORTS) assert.ok(!FORBIDDEN_IMPORTS.has(i.name), i.name);
});

test("the checker catches a wrong signature, a forbidden import, a missing export and a misspelt callback", () => {
  const good = manifestOf(join(buildDir, modules()[0]));
  assert.deepEqual(check(good), []);
  const bad: Manifest = structuredClone(good);
  bad.imports.push({ module: "env", name: "proxy_clear_route_cache", params: [], results: ["i32"] });
  bad.imports.push({ module: "env", name: "proxy_record_metric", params: ["i32", "i32"], results: ["i32"] });
  bad.exports = bad.exports.filter((e) => e.name !== "proxy_on_memory_allocate");
  bad.exports.push({ name: "proxy_on_grpc_trailing_metadata", kind: "function", params: ["i32", "i32", "i32"], results: [] });
  const problems = check(bad).join("\n");
  assert.match(problems, /proxy_clear_route_cache, which Envoy does not register/);
  assert.match(problems, /proxy_record_metric as \(i32, i32\) -> \(i32\); the ABI says \(i32, i64\) -> \(i32\)/);
  assert.match(problems, /does not export proxy_on_memory_allocate/);
  assert.match(problems, /proxy_on_grpc_trailing_metadata, which is not an ABI 0.2.1 function/);
});

function modules(): string[] {
  const list = existsSync(buildDir) ? readdirSync(buildDir).filter((f) => f.endsWith(".wasm")).sort() : [];
  assert.ok(list.length > 0, "no build/*.wasm: run `npm run build` first");
  return list;
}

for (const file of modules()) {
  test(`build/${file} imports only ABI 0.2.1 functions with exact signatures and exports the required callbacks`, () => {
    const m = manifestOf(join(buildDir, file));
    assert.deepEqual(check(m), [], `build/${file}:\n  ${check(m).join("\n  ")}`);
    assert.ok(m.exports.some((e) => e.name === "_initialize"), "exports _initialize");
    assert.ok(!m.exports.some((e) => e.name === "_start"), "no _start: the host would call it instead of _initialize");
  });
}

/** Compiles the all-imports fixture with the release flags and returns its manifest. */
function compileFixture(): Manifest {
  const dir = mkdtempSync(join(tmpdir(), "pwas-manifest-"));
  try {
    const out = join(dir, "all-imports.wasm");
    const entry = relative(root, fileURLToPath(new URL("./fixtures/all-imports.ts", import.meta.url)));
    const r = spawnSync(join(root, "node_modules/.bin/asc"), [entry, "-o", out, ...RELEASE_FLAGS], { cwd: root, encoding: "utf8" });
    assert.equal(r.status, 0, `asc failed:\n${r.stderr}`);
    return manifestOf(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertAllImports(m: Manifest, what: string) {
  assert.deepEqual(check(m), [], `${what}:\n  ${check(m).join("\n  ")}`);
  const got = m.imports.map(importKey).sort();
  const want = ABI_IMPORTS.map(importKey).sort();
  assert.deepEqual(got, want, `${what} should import exactly the 47 ABI functions; missing: ${
    want.filter((k) => !got.includes(k)).join(", ") || "none"}`);
}

test("the SDK reaches all 47 host imports: a module calling every wrapper imports exactly the ABI list", () => {
  const m = compileFixture();
  assertAllImports(m, "test/sdk/fixtures/all-imports.ts");
  // Built from assembly/proxy.ts: every callback of the ABI is exported.
  const names = m.exports.map((e) => e.name).filter((n) => n.startsWith("proxy_") || ["_initialize", "malloc"].includes(n)).sort();
  assert.deepEqual(names, ALL_SDK_EXPORTS.map((e) => e.name).sort());
});

// The filters export only the callbacks they implement (assembly/proxy-core.ts): Envoy then makes no
// V8 call per request for proxy_on_log, proxy_on_done or a body callback they would ignore.
const FILTER_CALLBACKS: Record<string, string[]> = {
  "add-header.wasm": ["proxy_on_response_headers"],
  "trace-id.wasm": ["proxy_on_request_headers", "proxy_on_response_headers"],
  "tagging.wasm": ["proxy_on_request_headers", "proxy_on_response_headers"],
  "rate-limit.wasm": ["proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers", "proxy_on_response_headers",
    "proxy_on_grpc_receive_initial_metadata", "proxy_on_grpc_receive", "proxy_on_grpc_receive_trailing_metadata", "proxy_on_grpc_close"],
};
for (const [file, callbacks] of Object.entries(FILTER_CALLBACKS)) {
  test(`build/${file} exports the core callbacks and only the ones it implements`, () => {
    const m = manifestOf(join(buildDir, file));
    const names = m.exports.map((e) => e.name).filter((n) => n !== "memory").sort();
    assert.deepEqual(names, [...REQUIRED_EXPORTS.map((e) => e.name), ...callbacks].sort());
  });
}

// The test host's example that drives every host function at run time, once it is built.
for (const file of existsSync(join(buildDir, "abi-probe.wasm")) ? ["abi-probe.wasm"] : []) {
  test(`build/${file} imports exactly the 47 ABI functions`, () => assertAllImports(manifestOf(join(buildDir, file)), file));
}
