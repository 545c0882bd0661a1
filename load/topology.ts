// The load-test topology, one definition for the native runner, the k6 test and docker-compose:
// a front Envoy with a scenario's filters, routing by lane to two upstreams. The upstreams are Envoys
// too (direct responses: native speed, so the generator measures the front Envoy, not a Node
// server); each answers 200 with `x-upstream: <lane>` and echoes the headers it received as
// `x-seen-<name>` (load/scenarios.js ECHOED_HEADERS). All configs come from src/envoy/bootstrap.ts.
import { bootstrap, startEnvoy, toYaml, type Envoy, type RouteSpec, type WasmFilter } from "../src/envoy/index.js";
import type { YamlValue } from "../src/envoy/yaml.js";
import { ECHOED_HEADERS, FILTERS, LANES, PORTS, ROUTES, SCENARIOS, scenarioNamed } from "./scenarios.js";

export type Lane = "stable" | "gray";

/** The front Envoy's Wasm filters for a scenario, in chain order. */
export function scenarioFilters(scenario: string, moduleDir?: string): WasmFilter[] {
  return scenarioNamed(scenario).filters.map((name: string) => {
    const f = (FILTERS as Record<string, WasmFilter & { module: string }>)[name];
    return { ...f, module: moduleDir ? `${moduleDir}/${f.module}.wasm` : f.module };
  });
}

/** An upstream's bootstrap: every request answered by Envoy itself, with the echo headers. */
export function upstreamBootstrap(lane: Lane, port = 0, adminPort = 0): YamlValue {
  return bootstrap({
    filters: [],
    clusters: {},
    routes: [upstreamRoute(lane)],
    listenerPort: port,
    adminPort,
  });
}

export interface FrontOptions {
  scenario: string;
  upstreamPorts: Record<Lane, number>;
  listenerPort?: number;
  adminPort?: number;
  /** Where the modules are, for a static config (e.g. /etc/envoy/wasm in the container); default build/. */
  moduleDir?: string;
}

/** The front Envoy's bootstrap for a scenario. */
export function frontBootstrap(o: FrontOptions): YamlValue {
  return bootstrap({
    filters: scenarioFilters(o.scenario, o.moduleDir),
    clusters: { stable: { port: o.upstreamPorts.stable }, gray: { port: o.upstreamPorts.gray } },
    routes: ROUTES,
    listenerPort: o.listenerPort ?? 0,
    adminPort: o.adminPort ?? 0,
    relativeModulePaths: o.moduleDir !== undefined,
  });
}

/**
 * The static configs docker-compose mounts (file name → YAML text) for the given ports: a front
 * Envoy per scenario (front-<scenario>.yaml; LOAD_SCENARIO picks one) and the two upstreams.
 */
export function composeConfigs(ports: typeof PORTS = PORTS): Record<string, string> {
  const head = (what: string) =>
    `# ${what}: part of the load-test stack (docker-compose.yaml). Generated from load/topology.ts by\n` +
    "# `npm run loadtest -- --write-configs`: edit the plan there, not this file.\n";
  const out: Record<string, string> = {};
  for (const name of Object.keys(SCENARIOS)) {
    out[`front-${name}.yaml`] = head(`The front Envoy of scenario "${name}" (${scenarioNamed(name).filters.join(" → ")})`) +
      toYaml(frontBootstrap({ scenario: name, upstreamPorts: { stable: ports.stable, gray: ports.gray }, listenerPort: ports.envoy, adminPort: ports.admin, moduleDir: COMPOSE_MODULE_DIR }));
  }
  out["upstream-stable.yaml"] = head("The stable upstream") + toYaml(upstreamBootstrap("stable", ports.stable, ports.stableAdmin));
  out["upstream-gray.yaml"] = head("The gray upstream") + toYaml(upstreamBootstrap("gray", ports.gray, ports.grayAdmin));
  return out;
}

/** Where docker-compose.yaml mounts build/ in the Envoy container. */
export const COMPOSE_MODULE_DIR = "/etc/envoy/wasm";

export interface Topology {
  front: Envoy;
  upstreams: Record<Lane, Envoy>;
  /** http://127.0.0.1:<front port> */
  url: string;
  stop(): Promise<void>;
}

/** Starts the upstreams and the front Envoy for a scenario on free loopback ports. */
export async function startTopology(scenario: string, o: { concurrency?: number } = {}): Promise<Topology> {
  scenarioNamed(scenario);
  const started: Envoy[] = [];
  const stopAll = async () => { for (const e of started.reverse()) await e.stop(); };
  try {
    const upstreams = {} as Record<Lane, Envoy>;
    for (const lane of LANES as Lane[]) {
      upstreams[lane] = await startEnvoy({
        filters: [],
        routes: [upstreamRoute(lane)],
        concurrency: 1,
      });
      started.push(upstreams[lane]);
    }
    const front = await startEnvoy({
      filters: scenarioFilters(scenario),
      upstreams: { stable: { port: upstreams.stable.port }, gray: { port: upstreams.gray.port } },
      routes: ROUTES,
      concurrency: o.concurrency ?? 2,
    });
    started.push(front);
    return { front, upstreams, url: front.url, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** The upstream's one route: a direct 200 with `x-upstream` and the `x-seen-*` echo headers. */
function upstreamRoute(lane: Lane): RouteSpec {
  const responseHeaders: Record<string, string> = { "x-upstream": lane };
  for (const h of ECHOED_HEADERS) responseHeaders[`x-seen-${h}`] = `%REQ(${h})%`;
  return { prefix: "/", directResponse: { status: 200, body: `${lane}\n` }, responseHeaders };
}
