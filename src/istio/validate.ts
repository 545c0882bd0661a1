// Validation of Istio manifests (WasmPlugin, TrafficExtension), in three layers:
//   1. the CRD's OpenAPI schema (ajv) and its CEL rules — what the API server would refuse;
//   2. the link to the module: the url's scheme and reference, the sha256 against the image this
//      project builds from the module (or the file's own sha256 for http/file urls), the
//      pluginName against the root ids the module registers — what istio-agent or Envoy would
//      refuse, or silently get wrong;
//   3. the pluginConfig, by the filter itself: the module is loaded in the test host (src/host)
//      and configured with the JSON Istio would send (on_configure must accept it).
// Every finding names the file, the resource, the field path and the reason.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { ProxyHost } from "../host/index.js";
import { buildWasmImage } from "../oci/image.js";
import { parseReference } from "../oci/reference.js";
import { evaluateRule } from "./cel.js";
import { crdSchema, describeSchemaError, KINDS, ruleSites, type Kind } from "./crd.js";
import { moduleInfo } from "./modules.js";

const BUILD_DIR = () => resolve("build");

export interface Finding { file: string; resource: string; path: string; reason: string }

export const formatFinding = (f: Finding) => `${f.file}: ${f.resource}: ${f.path}: ${f.reason}`;

export interface ValidateOptions {
  /** Module files by name (the last path component of the image repository): name → .wasm path. */
  modules?: Record<string, string>;
}

interface Module { name: string; wasm: Buffer; rootIds?: string[]; imageDigest: string; fileDigest: string }

/** Modules are loaded once per validation run. */
class Modules {
  private cache = new Map<string, Module | null>();
  constructor(private o: ValidateOptions) {}

  async get(name: string): Promise<Module | null> {
    if (this.cache.has(name)) return this.cache.get(name)!;
    const given = this.o.modules?.[name];
    const info = moduleInfo(name);
    const path = given ?? info.wasm;
    let m: Module | null = null;
    if (existsSync(path)) {
      const wasm = readFileSync(path);
      m = {
        name, wasm,
        rootIds: given ? undefined : info.rootIds.length ? info.rootIds : undefined,
        imageDigest: (await buildWasmImage(wasm)).digest.slice(7),
        fileDigest: createHash("sha256").update(wasm).digest("hex"),
      };
    }
    this.cache.set(name, m);
    return m;
  }

  /** The module whose image (or file) has this digest: among those given and those in build/. */
  async owner(hex: string): Promise<string | undefined> {
    const built = existsSync(BUILD_DIR()) ? readdirSync(BUILD_DIR()).filter((f) => f.endsWith(".wasm")).map((f) => f.slice(0, -5)) : [];
    for (const n of [...Object.keys(this.o.modules ?? {}), ...built]) await this.get(n);
    for (const [n, m] of this.cache) if (m && (m.imageDigest === hex || m.fileDigest === hex)) return n;
    return undefined;
  }
}

/** The module a url points at: the repository's last component, or the file name without .wasm. */
export function moduleNameOf(url: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (!scheme || scheme === "oci") {
    try { return parseReference(url).repository.split("/").pop(); } catch { return undefined; }
  }
  const last = url.split(/[?#]/)[0].split("/").pop() ?? "";
  return last.replace(/\.wasm$/, "") || undefined;
}

async function checkModuleLink(kind: Kind, spec: any, prefix: string, modules: Modules, add: (path: string, reason: string) => void): Promise<void> {
  const w = kind === "WasmPlugin" ? spec : spec.wasm;
  if (!w || typeof w.url !== "string") return;
  const url: string = w.url;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase() ?? "";
  let pinned: string | undefined;
  if (scheme === "" || scheme === "oci") {
    try {
      pinned = parseReference(url).digest?.slice(7);
    } catch (e: any) {
      return add(`${prefix}url`, e.message);
    }
  }
  const name = moduleNameOf(url);
  const m = name ? await modules.get(name) : null;
  if (!m) {
    return add(`${prefix}url`, `no module "${name ?? url}" here to check the manifest against: build it (npm run build) or pass --module ${name ?? "NAME"}=FILE.wasm`);
  }

  // sha256: the image's manifest digest for oci (what istio-agent compares), the file's for http/file.
  const want = scheme === "" || scheme === "oci" ? m.imageDigest : m.fileDigest;
  const what = scheme === "" || scheme === "oci" ? "image" : "file";
  if (pinned && w.sha256 && pinned !== w.sha256) add(`${prefix}sha256`, `differs from the url's @sha256:${pinned} (Istio requires them to match)`);
  if (typeof w.sha256 === "string" && /^[a-f0-9]{64}$/.test(w.sha256) && w.sha256 !== want) {
    const other = await modules.owner(w.sha256);
    add(`${prefix}sha256`, other && other !== m.name
      ? `is the ${what} digest of module ${other}, not of ${m.name} (${url}); istio-agent would refuse the download`
      : `does not match the ${what} of module ${m.name} built here (${want}); package and push the module again and use the digest \`package\` prints`);
  } else if (!w.sha256 && !pinned) {
    add(`${prefix}sha256`, `not set: pin the ${what} (sha256 ${want} for the module built here), or a re-pushed tag changes what runs`);
  }

  // pluginName: the root id the module registers.
  const pluginName: string | undefined = w.pluginName;
  if (!pluginName) {
    add(`${prefix}pluginName`, `not set: Envoy then passes an empty root_id; the module registers ${JSON.stringify(m.rootIds ?? [])}`);
  } else if (m.rootIds && !m.rootIds.includes(pluginName)) {
    add(`${prefix}pluginName`, `"${pluginName}" is not a root id module ${m.name} registers (it registers ${m.rootIds.map((r) => `"${r}"`).join(", ")})`);
    return; // configuring under a wrong root id says nothing more
  }

  // pluginConfig: what Istio sends (the Struct as JSON text) through on_configure.
  const config = w.pluginConfig === undefined ? "" : JSON.stringify(w.pluginConfig);
  let host: ProxyHost | undefined;
  try {
    host = await ProxyHost.create({ wasm: m.wasm, rootId: pluginName ?? "", pluginConfig: config });
    if (!host.configured) {
      const why = host.logMessages().filter((l) => l.trim()).slice(-3).join("; ") || "on_configure returned false";
      add(`${prefix}pluginConfig`, `the filter refuses it: ${why}`);
    }
  } catch (e: any) {
    add(`${prefix}url`, `module ${m.name} does not load: ${e.message}`);
  } finally {
    host?.shutdown();
  }
}

/** Validates every Istio extension resource in a YAML text (other kinds are skipped). */
export async function validateText(text: string, file: string, o: ValidateOptions = {}, modules = new Modules(o)): Promise<Finding[]> {
  const findings: Finding[] = [];
  const docs = parseAllDocuments(text);
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length) {
      findings.push({ file, resource: `document ${i + 1}`, path: "(yaml)", reason: doc.errors[0].message });
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const kind = obj?.kind;
    const resource = `${kind ?? "document"} ${obj?.metadata?.namespace ? `${obj.metadata.namespace}/` : ""}${obj?.metadata?.name ?? `#${i + 1}`}`;
    const add = (path: string, reason: string) => findings.push({ file, resource, path, reason });
    if (!(kind in KINDS)) {
      if (typeof obj?.apiVersion === "string" && obj.apiVersion.startsWith("extensions.istio.io/")) add("kind", `must be one of ${Object.keys(KINDS).join(", ")}`);
      continue;
    }
    const crd = crdSchema(kind);
    const before = findings.length;
    if (!crd.validate(obj)) {
      const seen = new Set<string>();
      for (const e of crd.validate.errors ?? []) {
        const { path, reason } = describeSchemaError(e);
        if (!seen.has(path + reason)) { seen.add(path + reason); add(path, reason); }
      }
    }
    for (const site of ruleSites(crd.schema, obj)) {
      const r = evaluateRule(site.rule, site.value);
      if (!r.ok) add(site.path, `${site.message}${r.error ? ` (${r.error})` : ""}`);
    }
    if (findings.length > before) continue; // the API server would refuse it already
    await checkModuleLink(kind, obj.spec, kind === "WasmPlugin" ? "spec." : "spec.wasm.", modules, add);
  }
  return findings;
}

export async function validateFiles(files: string[], o: ValidateOptions = {}): Promise<{ findings: Finding[]; resources: number }> {
  const modules = new Modules(o);
  const findings: Finding[] = [];
  let resources = 0;
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    resources += parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d?.kind in KINDS).length;
    findings.push(...(await validateText(text, f, o, modules)));
  }
  return { findings, resources };
}
