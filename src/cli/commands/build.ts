// `proxy-wasm-as build`: compile the filter for Envoy and check the module has what Envoy needs.
import { relative } from "node:path";
import { buildModule } from "../build-module.js";
import { type Command, parse } from "../command.js";
import { loadProject } from "../project.js";

export const command: Command = {
  summary: "compile the filter (release or --debug), report its size and check what Envoy needs",
  usage: `usage: proxy-wasm-as build [--debug]

Compiles the project's filter (package.json "proxy-wasm".entry, default assembly/index.ts) to
"proxy-wasm".module (default build/<package name>.wasm) with the flags Envoy needs:
--runtime incremental, --exportStart _initialize, --use abort=<the SDK's abort>, -O3 --noAssert.
Then checks the module: the proxy-wasm ABI exports, the allocator, and that every import is one
Envoy provides. A mistake gets the fix, e.g. a missing
  export * from "proxy-wasm-as/assembly/proxy";

options:
  --debug   debug build (assertions, names, source map) to <module>.debug.wasm
  --json    print the report as JSON`,
  async run(args) {
    const { values } = parse("build", args, { debug: { type: "boolean" }, json: { type: "boolean" } }, false);
    const p = loadProject();
    const built = await buildModule(p, { debug: values.debug });
    const rel = relative(process.cwd(), built.path) || built.path;
    if (values.json) {
      console.log(JSON.stringify({ module: rel, bytes: built.bytes, abi: built.report.abi, rootId: p.rootId, imports: built.report.imports }, null, 2));
      return 0;
    }
    console.log(`built ${rel}: ${(built.bytes / 1024).toFixed(1)} KiB (${built.bytes} bytes), ${values.debug ? "debug" : "release"}`);
    console.log(`  proxy-wasm ABI ${built.report.abi}, root_id "${p.rootId}", ${built.report.imports.length} host imports, all provided by Envoy`);
    return 0;
  },
};
