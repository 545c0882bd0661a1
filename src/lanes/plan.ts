// The traffic-lane topology, as data: a chain of services, the lanes (baseline holds every service,
// a feature lane only the services it changes), the instances that follows from it, and the ports
// each instance's app and sidecar use. Every other part (Envoy configs, apps, Istio manifests,
// tests, the demo) is derived from this plan.

export type LaneMode = "permissive" | "strict";

export interface Lane {
  name: string;
  /** Services that have a version in this lane. The baseline lane must hold every service. */
  services: string[];
}

export interface LanePlan {
  /** Services in call order: the gateway calls the first, each calls the next. */
  chain: string[];
  /** The lane every service has a version in; requests without a lane tag use it. */
  baseline: string;
  lanes: Lane[];
  /** Routing header the sidecars' routes match on (the tagging filter writes it). */
  header: string;
  /** W3C baggage key carrying the lane between hops (applications forward `baggage`). */
  baggageKey: string;
  mode: LaneMode;
}

export interface Instance {
  /** "<service>-<lane>", e.g. "a-gray". */
  id: string;
  service: string;
  /** The lane (version label) this instance belongs to. */
  version: string;
  /** The service it calls, if any. */
  next?: string;
}

export interface InstancePorts { app: number; inbound: number; outbound: number; admin: number }
export interface LanePorts {
  gateway: { listener: number; admin: number };
  instances: Record<string, InstancePorts>;
}

/** Issue 16's topology: A → B → C; the gray lane has A and C, B has no gray version. */
export function defaultPlan(mode: LaneMode = "permissive"): LanePlan {
  return {
    chain: ["a", "b", "c"],
    baseline: "baseline",
    lanes: [
      { name: "baseline", services: ["a", "b", "c"] },
      { name: "gray", services: ["a", "c"] },
    ],
    header: "x-mesh-tag",
    baggageKey: "mesh-tag",
    mode,
  };
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** Refuses a plan that could not be served: names Envoy/Kubernetes would not take, a baseline missing a service. */
export function checkPlan(p: LanePlan): void {
  const fail = (field: string, reason: string) => { throw new Error(`lanes plan: ${field}: ${reason}`); };
  if (!p.chain.length) fail("chain", "needs at least one service");
  p.chain.forEach((s, i) => { if (!NAME.test(s)) fail(`chain[${i}]`, `"${s}" is not a DNS label (a-z, 0-9, -)`); });
  if (new Set(p.chain).size !== p.chain.length) fail("chain", "a service appears twice");
  const names = new Set<string>();
  p.lanes.forEach((l, i) => {
    if (!NAME.test(l.name)) fail(`lanes[${i}].name`, `"${l.name}" is not a DNS label`);
    if (names.has(l.name)) fail(`lanes[${i}].name`, `lane "${l.name}" appears twice`);
    // Cluster names are <service>-<lane>, <service>-<lane>-fallback and <service>-lane-<lane>.
    if (l.name.startsWith("lane-") || l.name.endsWith("-fallback")) fail(`lanes[${i}].name`, `"${l.name}" would clash with the generated cluster names (no "lane-" prefix, no "-fallback" suffix)`);
    names.add(l.name);
    l.services.forEach((s, j) => { if (!p.chain.includes(s)) fail(`lanes[${i}].services[${j}]`, `"${s}" is not in the chain`); });
  });
  const base = p.lanes.find((l) => l.name === p.baseline);
  if (!base) fail("baseline", `no lane named "${p.baseline}"`);
  for (const s of p.chain) if (!base!.services.includes(s)) fail("baseline", `the baseline lane must hold every service; "${s}" is missing`);
}

/** Lanes other than the baseline. */
export const featureLanes = (p: LanePlan) => p.lanes.filter((l) => l.name !== p.baseline);

export function instances(p: LanePlan): Instance[] {
  checkPlan(p);
  const out: Instance[] = [];
  p.chain.forEach((service, i) => {
    for (const lane of p.lanes) {
      if (lane.services.includes(service)) out.push({ id: `${service}-${lane.name}`, service, version: lane.name, next: p.chain[i + 1] });
    }
  });
  return out;
}

/** Ports from `base` upwards, in a fixed order: the committed configs use these. */
export function sequentialPorts(p: LanePlan, base: number): LanePorts {
  let n = base;
  const gateway = { listener: n++, admin: n++ };
  const byId: Record<string, InstancePorts> = {};
  for (const i of instances(p)) byId[i.id] = { app: n++, inbound: n++, outbound: n++, admin: n++ };
  return { gateway, instances: byId };
}

/** How many ports a plan needs (gateway + four per instance). */
export const portCount = (p: LanePlan) => 2 + 4 * instances(p).length;

/** Ports taken from a list (e.g. free ports found at run time), in the same order as sequentialPorts. */
export function portsFrom(p: LanePlan, list: number[]): LanePorts {
  if (list.length < portCount(p)) throw new Error(`lanes: need ${portCount(p)} ports, got ${list.length}`);
  let k = 0;
  const gateway = { listener: list[k++], admin: list[k++] };
  const byId: Record<string, InstancePorts> = {};
  for (const i of instances(p)) byId[i.id] = { app: list[k++], inbound: list[k++], outbound: list[k++], admin: list[k++] };
  return { gateway, instances: byId };
}
