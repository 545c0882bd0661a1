// `push`: an image (layout dir, layout .tar, or a module) to a registry.
import { existsSync } from "node:fs";
import { moduleFile } from "../../istio/modules.js";
import { loadImage, pushImage } from "../../oci/index.js";
import { CliError, parse, type Command } from "../command.js";
import { asCliErrors } from "../user-error.js";
import { REGISTRY_FLAGS, REGISTRY_USAGE, registryOptions } from "../registry-options.js";

export const command: Command = {
  summary: "push an image to an OCI registry",
  usage: `usage: proxy-wasm-as push SOURCE REFERENCE [registry options]

  SOURCE      an image layout written by \`package\` (build/oci/trace-id or build/oci/trace-id.tar),
              or a module (trace-id, path/to/module.wasm), packaged on the fly
  REFERENCE   registry[:port]/repository:tag, e.g. registry.example.com/wasm/trace-id:0.1.0

Prints the pinned reference (…@sha256:…): put its digest in the WasmPlugin's sha256.

${REGISTRY_USAGE}`,
  run: (args) => asCliErrors(async () => {
    const { values, positionals } = parse("push", args, REGISTRY_FLAGS);
    if (positionals.length !== 2) throw new CliError("give SOURCE and REFERENCE", "proxy-wasm-as push build/oci/trace-id registry.example.com/wasm/trace-id:0.1.0", 2);
    const [source, ref] = positionals;
    const path = existsSync(source) ? source : moduleFile(source);
    if (!existsSync(path)) throw new CliError(`${source}: no image layout or module there`, "run `proxy-wasm-as package` (or `npm run build`) first", 2);
    const image = await loadImage(path);
    const o = registryOptions(ref, values);
    const { reference } = await pushImage(image, ref, o);
    console.log(reference);
    return 0;
  }),
};
