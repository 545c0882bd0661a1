// Runs tools/istio-render (Istio's own config generation and module fetcher; see its README) and
// turns what Istio rendered into an Envoy filter chain this repository's Envoy harness can run:
// the HTTP filters in the order and with the configuration istiod gave, the Wasm filters still
// delivered over ECDS — from files holding the resources istio-agent rewrote (module file from
// Istio's fetcher) instead of from the agent's xDS stream.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../envoy/binary.js";
import type { YamlValue } from "../envoy/yaml.js";

/** Built by scripts/setup-istio.mjs (npm test runs it). */
export const ISTIO_RENDER = join(projectRoot, ".tools", "bin", "istio-render");

export interface RenderedChain { listener: string; filters: any[] }
export interface IstioRender {
  proxy: string;
  chains: RenderedChain[];
  /** ECDS resources as istiod sends them (TypedExtensionConfig, JSON). */
  extensionConfigs: any[];
  /** The same after istio-agent's conversion (module pulled, code rewritten to a local file). */
  fetchedExtensionConfigs?: any[];
}

export interface RenderOptions {
  manifests: string[];
  proxy?: "gateway" | "sidecar";
  namespace?: string;
  labels?: Record<string, string>;
  /** Run the agent's fetcher into this directory. */
  fetchDir?: string;
  insecureRegistry?: string;
}

export function istioRender(o: RenderOptions): IstioRender {
  const args = [
    ...o.manifests.flatMap((f) => ["-f", f]),
    "-proxy", o.proxy ?? "gateway",
    "-namespace", o.namespace ?? "istio-system",
    ...Object.entries(o.labels ?? {}).flatMap(([k, v]) => ["-label", `${k}=${v}`]),
    ...(o.fetchDir ? ["-fetch", o.fetchDir] : []),
    ...(o.insecureRegistry ? ["-insecure-registry", o.insecureRegistry] : []),
  ];
  const r = spawnSync(ISTIO_RENDER, args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`istio-render: ${r.error.message} (run node scripts/setup-istio.mjs to build it)`);
  if (r.status !== 0) throw new Error(`istio-render failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

/** Wasm filters in a rendered chain: the ECDS references, in order. */
export const ecdsNames = (chain: RenderedChain): string[] => chain.filters.filter((f) => f.config_discovery).map((f) => f.name);

/** The istio-proxy–only native filters (not in upstream Envoy); the harness's Envoy cannot load them. */
export const isIstioProxyOnly = (filter: any) => /^istio\./.test(filter.name);

/**
 * The chain for upstream Envoy: Istio's filters in Istio's order and configuration, minus the
 * istio-proxy–only ones; each ECDS reference reads its resource from a file in `dir` (written here
 * from `resources`, e.g. the agent-converted ones) instead of the agent's ADS stream.
 */
export function envoyHttpFilters(chain: RenderedChain, resources: any[], dir: string): { filters: YamlValue[]; dropped: string[] } {
  mkdirSync(dir, { recursive: true });
  const dropped: string[] = [];
  const filters: YamlValue[] = [];
  for (const [i, f] of chain.filters.entries()) {
    if (isIstioProxyOnly(f)) { dropped.push(f.name); continue; }
    if (!f.config_discovery) { filters.push(f); continue; }
    const res = resources.find((r) => r.name === f.name);
    if (!res) throw new Error(`no ECDS resource for ${f.name}`);
    const path = join(dir, `ecds-${i}.json`);
    writeFileSync(path, JSON.stringify({
      version_info: "1",
      resources: [{ "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", ...res }],
    }));
    const { ads: _ads, ...source } = f.config_discovery.config_source;
    filters.push({ ...f, config_discovery: { ...f.config_discovery, config_source: { ...source, path_config_source: { path } } } });
  }
  return { filters, dropped };
}
