// The committed envoy-config/lanes/ files: every Envoy of the topology in both modes (fixed ports
// from COMMITTED_BASE_PORT, module paths relative to the repository root) and the Istio manifests.
// `npm run lanes:config` writes them; a test fails while they are stale.
import { bootstrap } from "../envoy/bootstrap.js";
import { toYaml, type YamlValue } from "../envoy/yaml.js";
import { lanesBootstraps } from "./envoy.js";
import { currentDigests } from "../istio/manifests.js";
import { istioResources, ISTIO_DEFAULTS } from "./istio.js";
import { defaultPlan, instances, sequentialPorts, type LaneMode } from "./plan.js";

export const COMMITTED_BASE_PORT = 10100;
export const LANES_DIR = "envoy-config/lanes";

function portTable(mode: LaneMode): string[] {
  const plan = defaultPlan(mode);
  const ports = sequentialPorts(plan, COMMITTED_BASE_PORT);
  return [
    `#   gateway              listener 127.0.0.1:${ports.gateway.listener}, admin :${ports.gateway.admin}`,
    ...instances(plan).map((i) => {
      const p = ports.instances[i.id];
      return `#   ${`sidecar-${i.id}`.padEnd(20)} inbound :${p.inbound} → app :${p.app}${i.next ? `, outbound :${p.outbound} (app → ${i.next})` : ""}, admin :${p.admin}`;
    }),
  ];
}

/**
 * Relative path (under LANES_DIR) → file text. The WasmPlugins pin the image digest of
 * build/tagging.wasm as packaged now (src/istio), as the other committed Istio manifests do.
 */
export async function lanesFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const mode of ["permissive", "strict"] as const) {
    const plan = defaultPlan(mode);
    const ports = sequentialPorts(plan, COMMITTED_BASE_PORT);
    for (const [name, b] of Object.entries(lanesBootstraps(plan, ports, { module: "build/tagging.wasm", relativeModulePaths: true }))) {
      out[`${mode}/${name}.yaml`] = [
        `# Traffic lanes (${mode} mode), ${name}. Generated from src/lanes/ by \`npm run lanes:config\`:`,
        "# edit the plan there, not this file. The whole topology (run from the repository root after",
        "# `npm run build`, each Envoy with --concurrency 1; the apps are src/lanes/app.ts):",
        ...portTable(mode),
        toYaml(bootstrap(b)),
      ].join("\n");
    }
  }
  // Istio has no subset failover, so both modes render the same resources (see src/lanes/istio.ts).
  const sha256 = (await currentDigests(["tagging"])).tagging.slice("sha256:".length);
  const docs = istioResources(defaultPlan(), { ...ISTIO_DEFAULTS, sha256 });
  out["istio/lanes.yaml"] = [
    "# Traffic lanes for Istio: DestinationRules (subsets by the version label), VirtualServices",
    "# (x-mesh-tag match, then baseline; a lane without a version of a service routes to its baseline),",
    "# the gateway's entry VirtualService and the tagging WasmPlugins (lane entry on the ingress",
    "# gateway; baggage → header on every sidecar's outbound side).",
    `# Generated from src/lanes/istio.ts by \`npm run lanes:config\` for namespace ${ISTIO_DEFAULTS.namespace} and`,
    `# ${ISTIO_DEFAULTS.image} (sha256: the image of build/tagging.wasm as packaged now).`,
    ...docs.map((d) => `---\n${toYaml(d as unknown as YamlValue).trimEnd()}`),
  ].join("\n") + "\n";
  return out;
}
