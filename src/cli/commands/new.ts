// `proxy-wasm-as new <name>`: a working filter project from the template shipped in the package.
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { CliError, type Command, parse } from "../command.js";
import { isEmptyDir, writeTemplate } from "../template.js";

const ownVersion = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export const command: Command = {
  summary: "new <name>: create a filter project (filter, as-pect spec, test-host test, Envoy config, scripts)",
  usage: `usage: proxy-wasm-as new <name> [--dir PATH] [--sdk SPEC]

Creates a filter project in ./<name> (or --dir): an API-key filter (assembly/index.ts), an as-pect
spec that drives it on the test host, a node:test test over the compiled module, an Envoy
bootstrap (envoy.yaml), and package.json scripts: build, test, start (Envoy), start:dev (dev proxy),
config:check. The toolchain is wired: AssemblyScript 0.28.14, as-pect 8.1.0 with the
"overrides" entry and "type": "module" its ESM configuration needs.

Then:  cd <name> && npm install && npm test && npm start

options:
  --dir PATH   where to create it (default ./<name>; must be empty or absent)
  --sdk SPEC   the proxy-wasm-as dependency to write (default ^${ownVersion}; e.g. a tarball path)`,
  async run(args) {
    const { values, positionals } = parse("new", args, { dir: { type: "string" }, sdk: { type: "string" } });
    const [name, extra] = positionals;
    if (!name) throw new CliError("missing the project name", "proxy-wasm-as new my-filter", 2);
    if (extra) throw new CliError(`one name only (got "${name}" and "${extra}")`, "proxy-wasm-as new my-filter", 2);
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(name) || name.endsWith("-")) {
      throw new CliError(`"${name}" is not a usable name: it becomes the npm package name and, with "-" → "_", the root_id`,
        "use lower-case letters, digits and dashes, starting with a letter (e.g. my-filter)", 2);
    }
    const dir = resolve(values.dir ?? name);
    if (!isEmptyDir(dir)) throw new CliError(`${dir} exists and is not empty`, "pick another name or --dir, or remove that folder");
    let sdk = values.sdk ?? `^${ownVersion}`;
    // A local tarball or folder: npm wants file: and a path that still works from the new project.
    if (/\.tgz$|^[./]/.test(sdk) && !sdk.startsWith("file:")) sdk = `file:${resolve(sdk)}`;
    const rootId = name.replace(/-/g, "_");
    const files = writeTemplate(dir, { name, rootId, sdk });
    const where = relative(process.cwd(), dir) || ".";
    console.log(`created ${where}/ (root_id "${rootId}"):`);
    for (const f of files) console.log(`  ${f}`);
    console.log(`\nnext:\n  cd ${where}\n  npm install\n  npm test     # build, as-pect spec on the test host, node:test\n  npm start    # the filter in Envoy in front of an echo upstream`);
    return 0;
  },
};
