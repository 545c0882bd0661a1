// `package`: each module as an OCI image (compat variant), as an image layout directory and .tar.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { moduleFile } from "../../istio/modules.js";
import { manifestFiles } from "../../istio/manifests.js";
import { MODULES } from "../../istio/plugins.js";
import { packageModule } from "../../oci/index.js";
import { CliError, parse, type Command } from "../command.js";
import { asCliErrors } from "../user-error.js";

/** The shipped modules: the three filters and the chain module (all three in one). */
export const FILTERS = MODULES;
export const DEFAULT_OUT = join("build", "oci");

/** The project's version: the default image tag. */
export function projectVersion(): string {
  return JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version;
}

export const command: Command = {
  summary: "package modules as OCI images (Istio/Envoy compat variant) without Docker",
  usage: `usage: proxy-wasm-as package [MODULE…] [--out DIR] [--tag TAG] [--istio DIR --registry REGISTRY]

  MODULE   a module built by \`npm run build\` (trace-id → build/trace-id.wasm) or a .wasm file;
           default: the filters and the chain module (${FILTERS.join(", ")})
  --out    where to write DIR/<name>/ (OCI image layout) and DIR/<name>.tar (default ${DEFAULT_OUT})
  --tag    the tag recorded in the layout's index (default: the package version)
  --istio DIR         also write the Istio manifests (WasmPlugins, TrafficExtensions) of the three
                      filters and the chain module into DIR, with url oci://REGISTRY/<module>:TAG
                      and the images' sha256
  --registry REGISTRY where the images will be pushed, e.g. registry.example.com/wasm
  --image-pull-secret NAME   a docker-registry Secret for a private registry (in each plugin's namespace)
  --rate-limit-fail-strategy FAIL_OPEN|FAIL_CLOSE|FAIL_RELOAD   (default FAIL_OPEN)

The image has one tar+gzip layer holding plugin.wasm and the annotation
module.wasm.image/variant=compat. It is reproducible: the same module gives the same digest.
Next: proxy-wasm-as push ${DEFAULT_OUT}/<name> registry.example.com/wasm/<name>:<tag>`,
  run: (args) => asCliErrors(async () => {
    const { values, positionals } = parse("package", args, {
      out: { type: "string" }, tag: { type: "string" }, istio: { type: "string" }, registry: { type: "string" },
      "image-pull-secret": { type: "string" }, "rate-limit-fail-strategy": { type: "string" },
    });
    const out = values.out ?? DEFAULT_OUT;
    const tag = values.tag ?? projectVersion();
    if (values.istio && !values.registry) throw new CliError("--istio needs --registry", "add --registry REGISTRY, where the images will be pushed (e.g. registry.example.com/wasm)", 2);
    const failStrategy = values["rate-limit-fail-strategy"];
    if (failStrategy && !["FAIL_OPEN", "FAIL_CLOSE", "FAIL_RELOAD"].includes(failStrategy)) {
      throw new CliError(`--rate-limit-fail-strategy ${failStrategy} is not a failStrategy`, "use FAIL_OPEN, FAIL_CLOSE or FAIL_RELOAD", 2);
    }
    const modules = positionals.length ? positionals : FILTERS;
    if (values.istio && MODULES.some((m) => !modules.includes(m))) throw new CliError(`--istio writes the manifests of ${MODULES.join(", ")}`, "package them all (no MODULE arguments)", 2);
    const digests: Record<string, string> = {};
    for (const m of modules) {
      const path = moduleFile(m);
      if (!existsSync(path)) throw new CliError(`${path} does not exist`, "run `npm run build` first, or pass a .wasm file");
      const p = await packageModule(path, { outDir: out, tag });
      digests[p.name] = p.digest;
      console.log(`${p.name.padEnd(12)} ${p.digest}  ${p.dir}/ ${p.tar}`);
    }
    if (values.istio) {
      const files = manifestFiles({
        registry: values.registry!, tag, digests, imagePullSecret: values["image-pull-secret"],
        rateLimitFailStrategy: failStrategy as any,
      });
      for (const [f, text] of Object.entries(files)) {
        const p = join(values.istio, f);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, text);
      }
      console.log(`Istio manifests for ${values.registry}/<module>:${tag} in ${values.istio}/ (${Object.keys(files).join(", ")})`);
    }
    return 0;
  }),
};
