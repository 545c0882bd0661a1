// `package`: each module as an OCI image (compat variant), as an image layout directory and .tar.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { modulePath } from "../../envoy/bootstrap.js";
import { packageModule } from "../../oci/index.js";
import { parse } from "../args.js";
import { UsageError, type Command } from "../command.js";

export const FILTERS = ["trace-id", "tagging", "rate-limit"];
export const DEFAULT_OUT = join("build", "oci");

/** The project's version: the default image tag. */
export function projectVersion(): string {
  return JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version;
}

export const command: Command = {
  summary: "package modules as OCI images (Istio/Envoy compat variant) without Docker",
  usage: `usage: proxy-wasm-as package [MODULE…] [--out DIR] [--tag TAG]

  MODULE   a module built by \`npm run build\` (trace-id → build/trace-id.wasm) or a .wasm file;
           default: the three filters (${FILTERS.join(", ")})
  --out    where to write DIR/<name>/ (OCI image layout) and DIR/<name>.tar (default ${DEFAULT_OUT})
  --tag    the tag recorded in the layout's index (default: the package version)

The image has one tar+gzip layer holding plugin.wasm and the annotation
module.wasm.image/variant=compat. It is reproducible: the same module gives the same digest.
Next: proxy-wasm-as push ${DEFAULT_OUT}/<name> registry.example.com/wasm/<name>:<tag>`,
  async run(args) {
    const { values, positionals } = parse(args, { out: { type: "string" }, tag: { type: "string" } });
    const out = values.out ?? DEFAULT_OUT;
    const tag = values.tag ?? projectVersion();
    for (const m of positionals.length ? positionals : FILTERS) {
      const path = modulePath(m);
      if (!existsSync(path)) throw new UsageError(`${path} does not exist: run \`npm run build\` first, or pass a .wasm file`);
      const p = await packageModule(path, { outDir: out, tag });
      console.log(`${p.name.padEnd(12)} ${p.digest}  ${p.dir}/ ${p.tar}`);
    }
    return 0;
  },
};
