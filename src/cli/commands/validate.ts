// `validate`: Istio manifests against the CRDs (schema + CEL), the modules they point at, and
// each pluginConfig by the filter itself.
import { existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ISTIO_DIR, yamlFilesIn } from "../../istio/committed.js";
import { formatFinding, validateFiles } from "../../istio/validate.js";
import { parse } from "../args.js";
import { UsageError, type Command } from "../command.js";

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
  async run(args) {
    const { values, positionals } = parse(args, { module: { type: "string", multiple: true } });
    const modules: Record<string, string> = {};
    for (const m of values.module ?? []) {
      const i = m.indexOf("=");
      if (i <= 0) throw new UsageError(`--module ${m}: write NAME=FILE.wasm`);
      if (!existsSync(m.slice(i + 1))) throw new UsageError(`--module ${m}: ${m.slice(i + 1)} does not exist`);
      modules[m.slice(0, i)] = m.slice(i + 1);
    }
    const files: string[] = [];
    for (const p of positionals.length ? positionals : [ISTIO_DIR]) {
      if (!existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
      if (statSync(p).isDirectory()) files.push(...yamlFilesIn(p).map((f) => join(p, f)));
      else files.push(p);
    }
    if (!files.length) throw new UsageError("no .yaml files to validate");
    const { findings, resources } = await validateFiles(files, { modules });
    const rel = (f: string) => (f.startsWith("/") ? relative(process.cwd(), f) || f : f);
    for (const f of findings) console.log(formatFinding({ ...f, file: rel(f.file) }));
    if (findings.length) {
      console.error(`${findings.length} problem(s) in ${resources} resource(s); fix the fields named above`);
      return 1;
    }
    console.log(`ok: ${resources} resource(s) in ${files.length} file(s): schema, CEL rules, image digests, plugin names and configurations`);
    return 0;
  },
};
