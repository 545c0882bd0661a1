// The project template shipped in the package (templates/filter): copied with the project's name,
// root_id and SDK dependency filled in, plus an Envoy bootstrap rendered by the SDK's one bootstrap builder.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bootstrap } from "../envoy/bootstrap.js";
import { toYaml } from "../envoy/yaml.js";

export const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/filter", import.meta.url));

export interface TemplateValues {
  name: string;
  rootId: string;
  sdk: string;
}

// npm leaves .gitignore out of packages: the template keeps it as _gitignore.
const RENAMES: Record<string, string> = { _gitignore: ".gitignore" };

/** Copies the template into `dir` (which must not exist or be empty); returns the files written. */
export function writeTemplate(dir: string, v: TemplateValues): string[] {
  const written: string[] = [];
  const fill = (text: string) => text.replaceAll("__NAME__", v.name).replaceAll("__ROOT_ID__", v.rootId).replaceAll("__SDK__", v.sdk);
  const copy = (from: string, to: string, rel: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from).sort()) {
      const src = join(from, entry);
      const name = RENAMES[entry] ?? entry;
      if (statSync(src).isDirectory()) copy(src, join(to, name), `${rel}${name}/`);
      else {
        writeFileSync(join(to, name), fill(readFileSync(src, "utf8")));
        written.push(`${rel}${name}`);
      }
    }
  };
  copy(TEMPLATE_DIR, dir, "");
  const config = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))["proxy-wasm"]?.config;
  const yaml = toYaml(bootstrap({
    filters: [{ module: `build/${v.name}.wasm`, rootId: v.rootId, vmId: v.name, config }],
    clusters: { echo: { port: 9000 } },
    listenerPort: 10000,
    adminPort: 9901,
    relativeModulePaths: true,
  }) as any);
  writeFileSync(join(dir, "envoy.yaml"),
    `# Envoy 1.40 with ${v.name} in front of 127.0.0.1:9000 (your upstream): \`envoy -c envoy.yaml\` from this folder,\n` +
    `# after \`npm run build\`. \`npm start\` does all of it for you, with an echo upstream.\n${yaml}`);
  written.push("envoy.yaml");
  return written;
}

export function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}
