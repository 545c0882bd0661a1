// `pull`: an image from a registry, checked by digest, to an image layout and/or the module file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { layoutTar, parseReference, pullImage, writeLayoutDir } from "../../oci/index.js";
import { CliError, parse, type Command } from "../command.js";
import { asCliErrors } from "../user-error.js";
import { REGISTRY_FLAGS, REGISTRY_USAGE, registryOptions } from "../registry-options.js";

export const command: Command = {
  summary: "pull an image from an OCI registry (digests checked) to a layout and a .wasm",
  usage: `usage: proxy-wasm-as pull REFERENCE [--out DIR] [--wasm FILE] [registry options]

  REFERENCE   registry[:port]/repository[:tag][@sha256:…]
  --out DIR   write DIR/<name>/ (OCI image layout) and DIR/<name>.tar
  --wasm FILE write the module (plugin.wasm of the image) to FILE
Without --out or --wasm it checks the image and prints its digest.

${REGISTRY_USAGE}`,
  run: (args) => asCliErrors(async () => {
    const { values, positionals } = parse("pull", args, { ...REGISTRY_FLAGS, out: { type: "string" }, wasm: { type: "string" } });
    if (positionals.length !== 1) throw new CliError("give one REFERENCE", "proxy-wasm-as pull registry.example.com/wasm/trace-id:0.1.0 --wasm trace-id.wasm", 2);
    const ref = positionals[0];
    const r = parseReference(ref);
    const pulled = await pullImage(ref, registryOptions(ref, values));
    if (!pulled.compat) console.error(`  note: the manifest has no module.wasm.image/variant=compat annotation (Istio still reads a single tar+gzip layer)`);
    if (values.out) {
      const name = r.repository.split("/").pop()!;
      const tag = r.tag ?? "latest";
      mkdirSync(values.out, { recursive: true });
      writeLayoutDir(join(values.out, name), pulled.image, tag);
      writeFileSync(join(values.out, `${name}.tar`), await layoutTar(pulled.image, tag));
    }
    if (values.wasm) {
      mkdirSync(dirname(values.wasm), { recursive: true });
      writeFileSync(values.wasm, pulled.wasm);
    }
    console.log(`${pulled.image.digest}  ${pulled.wasm.length} bytes of Wasm`);
    return 0;
  }),
};
