// The same lanes for Istio: a DestinationRule per service (one subset per version, by the
// `version` label), a VirtualService per service (the lane header match first, then the baseline),
// the ingress gateway's VirtualService, and the tagging WasmPlugins — lane entry on the gateway and
// baggage → header restoration on every sidecar's outbound side (mode CLIENT).
//
// Fallback in Istio: a VirtualService cannot fail over from one subset to another, so a lane's route
// to a service that has no version in the lane goes to the baseline subset by declaration (the
// plan's lane membership) — in both modes. Failing over when a lane *member's* version is down (what
// the Envoy topology does with aggregate clusters) has no VirtualService/DestinationRule equivalent:
// in Istio the lane member's subset answers 503 "no healthy upstream" then, as in strict mode.
//
// The WasmPlugins are validated by src/istio (CRD schema + CEL, sha256, root id, pluginConfig);
// DestinationRule/VirtualService have no CRD schema here, so checkIstioResources checks them.
import { featureLanes, instances, type LanePlan } from "./plan.js";
import { gatewayTagging, sidecarTagging } from "./envoy.js";
import { COMMITTED, imageUrl } from "../istio/manifests.js";

export interface IstioParams {
  namespace: string;
  /** The OCI image of build/tagging.wasm. */
  image: string;
  /** The image's manifest digest (hex, no "sha256:"), pinned in the WasmPlugins as Istio's `sha256`. */
  sha256?: string;
  /** Host the ingress gateway serves. */
  gatewayHost: string;
  /** The Gateway resource (namespace/name) the entry VirtualService binds to. */
  gateway: string;
  /** The services' port. */
  port: number;
}

export const ISTIO_DEFAULTS: IstioParams = {
  namespace: "shop",
  image: imageUrl(COMMITTED.registry, "tagging", COMMITTED.tag),
  gatewayHost: "shop.example.com",
  gateway: "istio-system/shop-gateway",
  port: 80,
};

type Resource = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: Record<string, unknown> };

const fqdn = (service: string, o: IstioParams) => `${service}.${o.namespace}.svc.cluster.local`;
const LABELS = { "app.kubernetes.io/part-of": "proxy-wasm-as", "app.kubernetes.io/component": "traffic-lanes" };

/** The subset a lane's traffic to `service` goes to in Istio (see the header comment on fallback). */
export function istioSubset(p: LanePlan, service: string, lane: string): string {
  const member = p.lanes.find((l) => l.name === lane)?.services.includes(service);
  return member ? lane : p.baseline;
}

function httpRoutes(p: LanePlan, service: string, o: IstioParams) {
  const dest = (lane: string) => [{ destination: { host: fqdn(service, o), subset: istioSubset(p, service, lane), port: { number: o.port } } }];
  return [
    ...featureLanes(p).map((l) => ({
      name: `lane-${l.name}`,
      match: [{ headers: { [p.header]: { exact: l.name } } }],
      route: dest(l.name),
    })),
    { name: `lane-${p.baseline}`, route: dest(p.baseline) },
  ];
}

export function istioResources(p: LanePlan, o: IstioParams = ISTIO_DEFAULTS): Resource[] {
  const meta = (name: string, namespace = o.namespace) => ({ name, namespace, labels: LABELS });
  const out: Resource[] = [];
  const versionsOf = (service: string) => instances(p).filter((i) => i.service === service).map((i) => i.version);
  for (const service of p.chain) {
    out.push({
      apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: meta(service),
      spec: { host: fqdn(service, o), subsets: versionsOf(service).map((v) => ({ name: v, labels: { version: v } })) },
    });
    out.push({
      apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: meta(service),
      spec: { hosts: [fqdn(service, o)], http: httpRoutes(p, service, o) },
    });
  }
  out.push({
    apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: meta(`${p.chain[0]}-gateway`),
    spec: { hosts: [o.gatewayHost], gateways: [o.gateway], http: httpRoutes(p, p.chain[0], o) },
  });
  out.push({
    apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin", metadata: meta("lane-entry", o.gateway.split("/")[0]),
    spec: {
      selector: { matchLabels: { istio: "ingressgateway" } },
      url: o.image,
      sha256: o.sha256,
      pluginName: "tagging",
      // After authentication, so rules may use authenticated headers; before routing.
      phase: "AUTHZ",
      // Closed: without the plugin, `override` would not strip a client's own lane.
      failStrategy: "FAIL_CLOSE",
      pluginConfig: gatewayTagging(p),
    },
  });
  out.push({
    apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin", metadata: meta("lane-propagation"),
    spec: {
      url: o.image,
      sha256: o.sha256,
      pluginName: "tagging",
      phase: "UNSPECIFIED_PHASE",
      failStrategy: "FAIL_OPEN",
      match: [{ mode: "CLIENT" }],
      pluginConfig: sidecarTagging(p),
    },
  });
  return out;
}

// ---- structural validation (the fields these manifests use, as Istio's API defines them) ----

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PHASES = ["UNSPECIFIED_PHASE", "AUTHN", "AUTHZ", "STATS"];
const FAIL = ["FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"];
const MODES = ["UNDEFINED", "CLIENT", "SERVER", "CLIENT_AND_SERVER"];
const STRING_MATCH = ["exact", "prefix", "regex"];

/** Findings "<kind>/<name>: <field>: <reason>" for anything Istio's API would refuse or misroute. */
export function checkIstioResources(resources: Resource[]): string[] {
  const out: string[] = [];
  const bad = (r: Resource, field: string, reason: string) => out.push(`${r.kind}/${r.metadata?.name}: ${field}: ${reason}`);
  const subsets = new Map<string, Set<string>>();
  for (const r of resources) {
    if (r.kind === "DestinationRule") subsets.set(r.spec.host as string, new Set(((r.spec.subsets ?? []) as { name: string }[]).map((s) => s.name)));
  }
  const seen = new Set<string>();
  for (const r of resources) {
    const id = `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
    if (seen.has(id)) bad(r, "metadata.name", "two resources of this kind share the name in the namespace");
    seen.add(id);
    if (!DNS1123_SUBDOMAIN.test(r.metadata.name) || r.metadata.name.length > 253) bad(r, "metadata.name", "not a DNS-1123 subdomain");
    if (!DNS1123_LABEL.test(r.metadata.namespace)) bad(r, "metadata.namespace", "not a DNS-1123 label");
    const s = r.spec as Record<string, any>;
    if (r.kind === "DestinationRule") {
      if (r.apiVersion !== "networking.istio.io/v1") bad(r, "apiVersion", `expected networking.istio.io/v1`);
      if (typeof s.host !== "string" || !s.host) bad(r, "spec.host", "is required");
      const names = new Set<string>();
      (s.subsets ?? []).forEach((sub: any, i: number) => {
        if (!DNS1123_LABEL.test(sub.name ?? "")) bad(r, `spec.subsets[${i}].name`, "not a DNS-1123 label");
        if (names.has(sub.name)) bad(r, `spec.subsets[${i}].name`, `subset "${sub.name}" appears twice`);
        names.add(sub.name);
        if (!sub.labels || !Object.keys(sub.labels).length) bad(r, `spec.subsets[${i}].labels`, "a subset needs labels to select its pods");
      });
    } else if (r.kind === "VirtualService") {
      if (r.apiVersion !== "networking.istio.io/v1") bad(r, "apiVersion", `expected networking.istio.io/v1`);
      if (!Array.isArray(s.hosts) || !s.hosts.length) bad(r, "spec.hosts", "needs at least one host");
      const http = s.http ?? [];
      if (!http.length) bad(r, "spec.http", "needs at least one route");
      http.forEach((h: any, i: number) => {
        const last = i === http.length - 1;
        if (!last && !h.match?.length) bad(r, `spec.http[${i}].match`, "a route without a match catches everything: the routes after it are never used");
        (h.match ?? []).forEach((m: any, j: number) => {
          for (const [name, sm] of Object.entries(m.headers ?? {}) as [string, Record<string, string>][]) {
            if (name !== name.toLowerCase()) bad(r, `spec.http[${i}].match[${j}].headers.${name}`, "header names must be lower case");
            const kinds = Object.keys(sm);
            if (kinds.length !== 1 || !STRING_MATCH.includes(kinds[0])) bad(r, `spec.http[${i}].match[${j}].headers.${name}`, `one of ${STRING_MATCH.join(", ")}`);
          }
        });
        if (!h.route?.length) bad(r, `spec.http[${i}].route`, "needs a destination");
        (h.route ?? []).forEach((d: any, j: number) => {
          const known = subsets.get(d.destination?.host);
          if (!known) bad(r, `spec.http[${i}].route[${j}].destination.host`, `no DestinationRule for "${d.destination?.host}"`);
          else if (d.destination.subset && !known.has(d.destination.subset)) bad(r, `spec.http[${i}].route[${j}].destination.subset`, `"${d.destination.subset}" is not a subset of ${d.destination.host} (its DestinationRule has: ${[...known].join(", ")})`);
        });
      });
    } else if (r.kind === "WasmPlugin") {
      if (r.apiVersion !== "extensions.istio.io/v1alpha1") bad(r, "apiVersion", `expected extensions.istio.io/v1alpha1`);
      if (!/^(oci|file|https?):\/\//.test(s.url ?? "")) bad(r, "spec.url", "must start with oci://, file://, http:// or https://");
      if (!s.pluginName) bad(r, "spec.pluginName", "is required (the module's root_id)");
      if (s.phase !== undefined && !PHASES.includes(s.phase)) bad(r, "spec.phase", `one of ${PHASES.join(", ")}`);
      if (s.failStrategy !== undefined && !FAIL.includes(s.failStrategy)) bad(r, "spec.failStrategy", `one of ${FAIL.join(", ")}`);
      (s.match ?? []).forEach((m: any, i: number) => { if (!MODES.includes(m.mode)) bad(r, `spec.match[${i}].mode`, `one of ${MODES.join(", ")}`); });
    } else {
      bad(r, "kind", "not a kind this generator makes");
    }
  }
  return out;
}
