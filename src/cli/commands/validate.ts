// `validate`: Istio manifests against the CRDs (schema + CEL), the modules they point at, and
// each pluginConfig by the filter itself.
import { existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { yamlFilesIn } from "../../istio/committed.js";
import { formatFinding, validateFiles } from "../../istio/validate.js";
import { CliError, parse, type Command } from "../command.js";
import { asCliErrors } from "../user-error.js";

export const command: Command = {
  summary: "check Istio WasmPlugin/TrafficExtension manifests: CRD schema and CEL rules, image sha256, pluginName, pluginConfig",
  usage: `usage: proxy-wasm-as validate [FILE.yaml | DIR …] [--module NAME=FILE.wasm …]

  FILE, DIR   manifests to check (a directory: every .yaml under it); default envoy-config/istio
  --module    the module an image repository NAME stands for (default build/NAME.wasm, e.g.
              oci://registry/wasm/trace-id:1.0 → build/trace-id.wasm)

Checks, per WasmPlugin or TrafficExtension: the CRD's OpenAPI schema and CEL rules (as the API
server does); the url; sha256 = the digest of the image \`package\` builds from the module (the
file's sha256 for http/file urls); pluginName = a root id the module registers; pluginConfig
accepted by the filter's on_configure (the module runs in the test host).
Prints FILE: KIND NS/NAME: FIELD: REASON per problem; exit status 1 when there is any.`,
  run: (args) => asCliErrors(async () => {
    const { values, positionals } = parse("validate", args, { module: { type: "string", multiple: true } });
    const modules: Record<string, string> = {};
    for (const m of values.module ?? []) {
      const i = m.indexOf("=");
      if (i <= 0) throw new CliError(`--module ${m} is not NAME=FILE.wasm`, "e.g. --module trace-id=build/trace-id.wasm", 2);
      if (!existsSync(m.slice(i + 1))) throw new CliError(`--module ${m}: ${m.slice(i + 1)} does not exist`, "build the module first (npm run build)", 2);
      modules[m.slice(0, i)] = m.slice(i + 1);
    }
    const files: string[] = [];
    for (const p of positionals.length ? positionals : [join("envoy-config", "istio")]) {
      if (!existsSync(p)) throw new CliError(`${p}: no such file or directory`, "give manifest files or directories (default envoy-config/istio)", 2);
      if (statSync(p).isDirectory()) files.push(...yamlFilesIn(p).map((f) => join(p, f)));
      else files.push(p);
    }
    if (!files.length) throw new CliError("no .yaml files to validate", "give .yaml manifests or a directory holding them", 2);
    const { findings, resources } = await validateFiles(files, { modules });
    const rel = (f: string) => (f.startsWith("/") ? relative(process.cwd(), f) || f : f);
    for (const f of findings) console.log(formatFinding({ ...f, file: rel(f.file) }));
    if (findings.length) {
      console.error(`${findings.length} problem(s) in ${resources} resource(s); fix the fields named above`);
      return 1;
    }
    console.log(`ok: ${resources} resource(s) in ${files.length} file(s): schema, CEL rules, image digests, plugin names and configurations`);
    return 0;
  }),
};
