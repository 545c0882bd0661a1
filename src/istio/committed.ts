// The committed manifests in envoy-config/istio/: written by `npm run istio:manifests`, checked
// for staleness by test/istio.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { projectRoot } from "../envoy/binary.js";
import { COMMITTED, currentDigests, manifestFiles } from "./manifests.js";

export const ISTIO_DIR = join(projectRoot, "envoy-config", "istio");

export async function committedManifests(): Promise<Record<string, string>> {
  return manifestFiles({ ...COMMITTED, digests: await currentDigests() });
}

/** YAML files under envoy-config/istio/, relative paths. */
export function yamlFilesIn(dir = ISTIO_DIR): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith(".yaml")) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

export async function writeCommittedManifests(): Promise<string[]> {
  const files = await committedManifests();
  mkdirSync(ISTIO_DIR, { recursive: true });
  for (const f of yamlFilesIn()) if (!(f in files)) rmSync(join(ISTIO_DIR, f));
  return Object.entries(files).map(([f, text]) => {
    const p = join(ISTIO_DIR, f);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    return relative(projectRoot, p);
  });
}
