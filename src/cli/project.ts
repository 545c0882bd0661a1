// The user's filter project as the CLI sees it: package.json (its "proxy-wasm" section names the
// entry, module, root_id and configuration), and the toolchain checks that turn the setup mistakes
// of as-pect 8.1.0 + AssemblyScript 0.28 into messages that say what to change.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CliError } from "./command.js";

export interface ProxyWasmSection {
  /** The filter's entry (default assembly/index.ts). */
  entry?: string;
  /** Where build writes the module (default build/<package name>.wasm). */
  module?: string;
  /** The root_id the filter registers (default: the package name with "-" → "_"). */
  rootId?: string;
  /** The plugin configuration `run` and the Envoy config use (a JSON value or a string). */
  config?: unknown;
}

export interface Project {
  root: string;
  name: string;
  pkg: Record<string, any>;
  entry: string;
  module: string;
  rootId: string;
  config: unknown;
  /** True for this SDK's own repository (its sources are not under node_modules). */
  isSdk: boolean;
}

/** The nearest folder at or above `from` with a package.json. */
export function findProjectRoot(from = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new CliError(`no package.json in ${resolve(from)} or above`, "run this inside a filter project (create one with `npx proxy-wasm-as new my-filter`)");
    dir = up;
  }
}

export function loadProject(from = process.cwd()): Project {
  const root = findProjectRoot(from);
  let pkg: Record<string, any>;
  try {
    pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  } catch (e) {
    throw new CliError(`package.json in ${root} is not valid JSON: ${(e as Error).message}`, "fix the JSON syntax");
  }
  const section: ProxyWasmSection = pkg["proxy-wasm"] ?? {};
  const name = String(pkg.name ?? "filter").replace(/^@[^/]+\//, "");
  const isSdk = pkg.name === "proxy-wasm-as";
  return {
    root, pkg, name, isSdk,
    entry: section.entry ?? "assembly/index.ts",
    module: section.module ?? `build/${name}.wasm`,
    rootId: section.rootId ?? name.replace(/-/g, "_"),
    config: section.config,
  };
}

/** The plugin configuration as Envoy's StringValue text. */
export function configText(config: unknown): string {
  if (config === undefined || config === null) return "";
  return typeof config === "string" ? config : JSON.stringify(config);
}

export interface Problem {
  problem: string;
  fix: string;
}

/**
 * The setup mistakes a fresh as-pect 8.1.0 + AssemblyScript 0.28 project makes, each with its fix:
 * the peer range (npm's ERESOLVE), the ESM configuration in a CommonJS package, a missing config.
 */
export function toolchainProblems(p: Project): Problem[] {
  const out: Problem[] = [];
  const deps = { ...(p.pkg.dependencies ?? {}), ...(p.pkg.devDependencies ?? {}) };
  if (deps["@as-pect/cli"] && !p.pkg.overrides?.assemblyscript) {
    out.push({
      problem: "@as-pect/cli 8.1.0 declares the peer assemblyscript@^0.27.2, so npm refuses AssemblyScript 0.28 (ERESOLVE … peer assemblyscript@\"^0.27.2\")",
      fix: "add to package.json: \"overrides\": { \"assemblyscript\": \"$assemblyscript\" } (then npm install)",
    });
  }
  const config = ["as-pect.config.js", "as-pect.config.mjs"].find((f) => existsSync(join(p.root, f)));
  if (!config) {
    out.push({
      problem: "no as-pect.config.js: the specs have no host to run on",
      fix: "create as-pect.config.js with the line: export { default } from \"proxy-wasm-as/aspect\";",
    });
  } else if (config === "as-pect.config.js" && p.pkg.type !== "module") {
    out.push({
      problem: "as-pect.config.js is an ES module (as-pect 8 imports it), but package.json does not say \"type\": \"module\", so Node reads it as CommonJS",
      fix: "add \"type\": \"module\" to package.json (or rename the file to as-pect.config.mjs and pass --config as-pect.config.mjs)",
    });
  }
  if (!existsSync(join(p.root, "as-pect.asconfig.json"))) {
    out.push({
      problem: "no as-pect.asconfig.json (as-pect's compiler options)",
      fix: "copy it from a new project (`npx proxy-wasm-as new x`); keep the filter's --use abort flag out of it",
    });
  } else if (/proxy_abort/.test(readFileSync(join(p.root, "as-pect.asconfig.json"), "utf8"))) {
    out.push({
      problem: "as-pect.asconfig.json routes abort to the SDK's proxy_abort: every spec that does not import it fails with AS111",
      fix: "remove the \"use\": [\"abort=…\"] entry from as-pect.asconfig.json (as-pect supplies abort itself)",
    });
  }
  return out;
}

export function assertToolchain(p: Project): void {
  const problems = toolchainProblems(p);
  if (problems.length === 0) return;
  throw new CliError(problems.map((x) => x.problem).join("\n  "), problems.map((x) => x.fix).join("\n  fix: "));
}

/** A tool from the project's node_modules/.bin, or a message saying to install the project. */
export function projectBin(p: Project, name: string): string {
  let dir = p.root;
  for (;;) {
    const bin = join(dir, "node_modules", ".bin", name);
    if (existsSync(bin)) return bin;
    const up = dirname(dir);
    if (up === dir) throw new CliError(`${name} is not installed in ${p.root}`, "run `npm install` in the project first");
    dir = up;
  }
}
