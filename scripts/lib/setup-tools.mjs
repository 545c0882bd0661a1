// Installs the system packages and Go tools the tests and benchmarks need, idempotently: one place for
// "make sure X is here", used by every setup script (Docker, Redis, registry, load generator, Go helpers).
//
//   ensureApt(["redis-server", ...])        Debian packages (apt-get; runs `apt-get update` once when needed)
//   ensureGoTool({ name, module, version }) `go install module@version` into .tools/bin (reused when the
//                                            stamp matches), or { name, dir } builds a Go program of this
//                                            repository (`go build` in dir, rebuilt when its sources change)
//   toolPath(name)                          .tools/bin/<name>
//
// Every failure throws a SetupError whose message says what is missing and what to do.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const toolsDir = join(root, ".tools");
const binDir = join(toolsDir, "bin");

export class SetupError extends Error {}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: opts.timeout ?? 900_000, maxBuffer: 64 << 20, ...opts });
  return { code: r.error ? -1 : r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}

const lastLines = (text, n) => text.trim().split("\n").slice(-n).join("\n");

/** True when the Debian package is installed. */
export function aptInstalled(pkg) {
  const r = sh("dpkg-query", ["-W", "-f=${Status}", pkg]);
  return r.code === 0 && r.out.includes("install ok installed");
}

let aptUpdated = false;

/** Installs the Debian packages that are missing. `log` receives one line per step. */
export function ensureApt(pkgs, log = (m) => console.log(`setup: ${m}`)) {
  const missing = pkgs.filter((p) => !aptInstalled(p));
  if (!missing.length) return;
  if (sh("which", ["apt-get"]).code !== 0) {
    throw new SetupError(`missing system packages ${missing.join(", ")} and no apt-get here: install them with your package manager`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    log("apt-get update");
    const u = sh("apt-get", ["update", "-q"], { env });
    if (u.code !== 0) throw new SetupError(`apt-get update failed (run as root, with Debian's package mirror reachable):\n${lastLines(u.out, 4)}`);
    aptUpdated = true;
  }
  log(`apt-get install ${missing.join(" ")}`);
  const r = sh("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { env });
  if (r.code !== 0) throw new SetupError(`apt-get install ${missing.join(" ")} failed (run as root):\n${lastLines(r.out, 6)}`);
}

export function toolPath(name) {
  return join(binDir, name);
}

function goBinary() {
  for (const g of ["go", "/usr/local/go/bin/go"]) if (sh(g, ["version"]).code === 0) return g;
  throw new SetupError("Go is not installed: install Go 1.26 (https://go.dev/dl) or your distribution's golang package");
}

/** A hash of every .go/go.mod/go.sum file under dir: a local tool is rebuilt when its sources change. */
function sourceHash(dir) {
  const h = createHash("sha256");
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.go$|^go\.(mod|sum)$/.test(name)) h.update(name).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

/**
 * Makes .tools/bin/<name> exist and returns its path.
 *   { name, module, version }  `go install <module>@<version>` (module is the package path to install)
 *   { name, dir }              `go build -o .tools/bin/<name> .` inside dir (a Go program of this repository)
 */
export function ensureGoTool(spec, log = (m) => console.log(`setup: ${m}`)) {
  const out = toolPath(spec.name);
  const stampFile = `${out}.stamp`;
  const want = spec.dir ? `src:${sourceHash(join(root, spec.dir))}` : `${spec.module}@${spec.version}`;
  if (existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === want) return out;
  mkdirSync(binDir, { recursive: true });
  const go = goBinary();
  const env = { ...process.env, GOBIN: binDir, GOFLAGS: process.env.GOFLAGS ?? "-mod=mod", GOTOOLCHAIN: "local" };
  const started = Date.now();
  log(`building ${spec.name} (${spec.dir ?? want}); a first build downloads Go modules and can take minutes`);
  const r = spec.dir
    ? sh(go, ["build", "-o", out, "."], { cwd: join(root, spec.dir), env })
    : sh(go, ["install", want], { env });
  if (r.code !== 0) {
    throw new SetupError(`building ${spec.name} failed (Go module proxy reachable? GOPROXY=${process.env.GOPROXY ?? "default"}):\n${lastLines(r.out, 10)}`);
  }
  writeFileSync(stampFile, want);
  log(`${spec.name} built in ${((Date.now() - started) / 1000).toFixed(0)} s → .tools/bin/${spec.name}`);
  return out;
}
