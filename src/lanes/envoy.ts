// Envoy bootstraps for a lane plan, rendered by the one bootstrap builder (src/envoy/bootstrap.ts):
// the gateway (lane entry: the tagging filter with rules, a sticky share and `override`) and one
// sidecar per instance (inbound → its app; outbound: the tagging filter restores the routing header
// from baggage, then routes by lane).
//
// Fallback uses Envoy's aggregate cluster: for a feature lane L and service S, `S-lane-L` is the
// aggregate [S-L, S-L-fallback] — S's L version first, S's baseline version second. Envoy moves the
// load to the second cluster when the first has no healthy host: no endpoints at all (S has no L
// version) or all of them failing their health check (S's L version is down). The fallback cluster
// has the baseline's endpoints under its own name, so its stats count exactly the lane-L requests
// that fell back. In strict mode a lane member's aggregate holds S-L alone (panic threshold 0), so
// a missing version is "no healthy upstream" at once, which the local reply mapping turns into a
// clear 503; the route names `S-lane-L` in both modes.
import type { BootstrapOptions, ClusterSpec, LocalReplySpec, RouteSpec, WasmFilter } from "../envoy/bootstrap.js";
import { featureLanes, instances, type Instance, type LanePlan, type LanePorts } from "./plan.js";

/** Where the sticky share hashes from; chosen so that the baseline user 121 is not in it. */
export const STICKY_SALT = "lanes-1";
export const STICKY_PERCENT = 10;

/** The gateway's tagging configuration: the lane entry rules. */
export function gatewayTagging(p: LanePlan, lane = featureLanes(p)[0]?.name ?? p.baseline): Record<string, unknown> {
  return {
    header: p.header,
    baggageKey: p.baggageKey,
    // Clients cannot choose a lane: an incoming x-mesh-tag or baggage entry is re-decided.
    override: true,
    responseHeader: p.header,
    rules: [{
      name: "uid-mod-100", tag: lane,
      match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 },
    }],
    weights: [{ tag: lane, percent: STICKY_PERCENT }],
    weightKey: { source: "header", name: "user-id", salt: STICKY_SALT },
    defaultTag: p.baseline,
  };
}

/** A sidecar's outbound tagging: no rules, restore the routing header from baggage. */
export const sidecarTagging = (p: LanePlan) => ({ header: p.header, baggageKey: p.baggageKey });

export const HEALTH_PATH = "/healthz";
const cluster = (service: string, version: string) => `${service}-${version}`;
const fallbackCluster = (service: string, lane: string) => `${service}-${lane}-fallback`;
const aggregateCluster = (service: string, lane: string) => `${service}-lane-${lane}`;

/** The cluster a lane's traffic to `service` is routed to (the same name in both modes). */
export function laneCluster(p: LanePlan, service: string, lane: string): string {
  return lane === p.baseline ? cluster(service, p.baseline) : aggregateCluster(service, lane);
}

/**
 * What a lane's aggregate holds, in priority order. Permissive: the lane version, then the
 * baseline (fallback). Strict: a lane member's lane version alone (no fallback); a service outside
 * the lane is served by the baseline by declaration (the lane never had a version there).
 */
export function laneMembers(p: LanePlan, service: string, lane: string): string[] {
  if (p.mode === "permissive") return [cluster(service, lane), fallbackCluster(service, lane)];
  const member = p.lanes.find((l) => l.name === lane)?.services.includes(service);
  return member ? [cluster(service, lane)] : [fallbackCluster(service, lane)];
}

/** Clusters for calling `service`: one per version (endpoints: its instances' sidecars), plus fallbacks. */
function serviceClusters(p: LanePlan, ports: LanePorts, service: string): Record<string, ClusterSpec> {
  const endpointsOf = (version: string) =>
    instances(p).filter((i) => i.service === service && i.version === version).map((i) => ({ port: ports.instances[i.id].inbound }));
  // Panic threshold 0: a version whose hosts all fail their checks takes no traffic (Envoy's default
  // 50 % would send it to the dead hosts anyway). Merge window 0: a health change reaches the
  // workers' load balancers at once, not up to 1 s later (Envoy's default batching).
  const versionCluster = (version: string): ClusterSpec => ({
    endpoints: endpointsOf(version), healthCheck: { path: HEALTH_PATH, host: service, intervalMs: 1000 },
    panicThresholdPercent: 0, updateMergeWindowMs: 0,
  });
  const out: Record<string, ClusterSpec> = { [cluster(service, p.baseline)]: versionCluster(p.baseline) };
  for (const lane of featureLanes(p)) {
    const members = laneMembers(p, service, lane.name);
    // Every lane gets the same clusters for every service; the endpoints say which versions exist.
    if (members.includes(cluster(service, lane.name))) out[cluster(service, lane.name)] = versionCluster(lane.name);
    if (members.includes(fallbackCluster(service, lane.name))) out[fallbackCluster(service, lane.name)] = versionCluster(p.baseline);
    out[aggregateCluster(service, lane.name)] = { aggregate: members, panicThresholdPercent: 0 };
  }
  return out;
}

function serviceRoutes(p: LanePlan, service: string): RouteSpec[] {
  return [
    ...featureLanes(p).map((l) => ({ headers: { [p.header]: l.name }, cluster: laneCluster(p, service, l.name) })),
    { cluster: laneCluster(p, service, p.baseline) },
  ];
}

/** Envoy's "no healthy upstream" (flag UH) as a reply that says which lane and cluster had nothing. */
export function laneUnavailableReply(p: LanePlan): LocalReplySpec {
  const why = p.mode === "strict" ? `strict mode: no fallback to ${p.baseline}` : `not even its ${p.baseline} version`;
  return {
    flags: ["UH"],
    status: 503,
    headers: { "x-lane-unavailable": "%UPSTREAM_CLUSTER%" },
    body: `lane unavailable: no healthy instance in cluster %UPSTREAM_CLUSTER% for lane "%REQ(${p.header})%" (${why})\n`,
  };
}

export interface RenderOptions {
  /** How the tagging module is named in the configs: "tagging" (build/, absolute) or a path. */
  module?: string;
  relativeModulePaths?: boolean;
}

const taggingFilter = (config: object, o: RenderOptions, extra: Partial<WasmFilter> = {}): WasmFilter =>
  ({ module: o.module ?? "tagging", rootId: "tagging", config, ...extra });

export function gatewayBootstrap(p: LanePlan, ports: LanePorts, o: RenderOptions = {}): BootstrapOptions {
  const entry = p.chain[0];
  return {
    // FAIL_CLOSED (Envoy's default): without the plugin, `override` would not strip a client's lane.
    filters: [taggingFilter(gatewayTagging(p), o, { name: "lane_entry" })],
    clusters: {},
    clusterSpecs: serviceClusters(p, ports, entry),
    routes: serviceRoutes(p, entry),
    localReplies: [laneUnavailableReply(p)],
    statPrefix: "gateway",
    listenerPort: ports.gateway.listener,
    adminPort: ports.gateway.admin,
    relativeModulePaths: o.relativeModulePaths,
  };
}

export function sidecarBootstrap(p: LanePlan, ports: LanePorts, i: Instance, o: RenderOptions = {}): BootstrapOptions {
  const own = ports.instances[i.id];
  return {
    filters: [],
    clusters: { app: { port: own.app } },
    clusterSpecs: i.next ? serviceClusters(p, ports, i.next) : {},
    routes: [{ cluster: "app" }],
    statPrefix: "inbound",
    listenerPort: own.inbound,
    adminPort: own.admin,
    relativeModulePaths: o.relativeModulePaths,
    listeners: i.next ? [{
      name: "outbound",
      port: own.outbound,
      statPrefix: "outbound",
      // FAIL_OPEN: without the plugin a request loses its lane (baseline), it is not refused.
      filters: [taggingFilter(sidecarTagging(p), o, { name: "lane_propagation", failurePolicy: "FAIL_OPEN" })],
      virtualHosts: [{ name: i.next, domains: [i.next, `${i.next}:*`], routes: serviceRoutes(p, i.next) }],
      localReplies: [laneUnavailableReply(p)],
    }] : undefined,
  };
}

/** Every Envoy of the topology by name: "gateway" and "sidecar-<instance>". */
export function lanesBootstraps(p: LanePlan, ports: LanePorts, o: RenderOptions = {}): Record<string, BootstrapOptions> {
  const out: Record<string, BootstrapOptions> = { gateway: gatewayBootstrap(p, ports, o) };
  for (const i of instances(p)) out[`sidecar-${i.id}`] = sidecarBootstrap(p, ports, i, o);
  return out;
}
