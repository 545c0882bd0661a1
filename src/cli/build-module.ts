// Compiling the project's filter with the release (or debug) flags Envoy needs, then checking the
// module: shared by `build`, `test` and `run`.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { CliError } from "./command.js";
import { checkForEnvoy, explainCompileError, type ModuleReport } from "./module-check.js";
import { type Project, projectBin } from "./project.js";

export interface Built {
  path: string;
  bytes: number;
  report: ModuleReport;
}

/** asc flags: a long-lived VM needs the incremental GC; Envoy gives no env.abort, the SDK's abort logs and exits. */
export function ascFlags(p: Project, debug: boolean): string[] {
  const abort = p.isSdk ? "assembly/sdk/abort/proxy_abort" : "~lib/proxy-wasm-as/assembly/sdk/abort/proxy_abort";
  const common = ["--runtime", "incremental", "--exportStart", "_initialize", "--use", `abort=${abort}`,
    "--enable", "bulk-memory", "--enable", "sign-extension"];
  return debug ? [...common, "--debug", "--sourceMap"] : [...common, "-O3", "--noAssert"];
}

export function outputPath(p: Project, debug: boolean): string {
  const rel = debug ? p.module.replace(/\.wasm$/, ".debug.wasm") : p.module;
  return join(p.root, rel);
}

export async function buildModule(p: Project, o: { debug?: boolean; quiet?: boolean } = {}): Promise<Built> {
  const debug = o.debug ?? false;
  const out = outputPath(p, debug);
  mkdirSync(dirname(out), { recursive: true });
  const asc = projectBin(p, "asc");
  const args = [p.entry, "-o", out, ...ascFlags(p, debug)];
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn(asc, args, { cwd: p.root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => { output += c; });
    child.stderr.on("data", (c) => { output += c; });
    child.on("close", (c) => resolve({ code: c ?? 1, output }));
  });
  if (code !== 0) {
    process.stderr.write(output);
    const why = explainCompileError(output, p.entry);
    throw new CliError(why ? why.split("\n  fix: ")[0] : `asc failed on ${p.entry} (errors above)`, why?.split("\n  fix: ")[1] ?? "fix the compile errors above");
  }
  if (!o.quiet && output.trim()) process.stderr.write(output);
  const bytes = readFileSync(out);
  const report = checkForEnvoy(bytes, p.entry);
  if (report.problems.length) {
    throw new CliError(`${out}: ${report.problems.map((x) => x.problem).join("; ")}`, [...new Set(report.problems.map((x) => x.fix))].join("\n  fix: "));
  }
  return { path: out, bytes: statSync(out).size, report };
}
