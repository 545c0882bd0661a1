// Runs a lane topology on 127.0.0.1: every app, then every Envoy (gateway + one sidecar per
// instance, started in parallel, one worker each), then waits until each Envoy's health checks see
// every endpoint that exists. stop() stops all of it; a failed start stops what did start.
import { request, type ClientResponse } from "../envoy/http.js";
import { freePorts } from "../envoy/ports.js";
import { startEnvoy, type Envoy } from "../envoy/process.js";
import type { BootstrapOptions } from "../envoy/bootstrap.js";
import { startLaneApp, type AppAnswer, type LaneApp } from "./app.js";
import { lanesBootstraps } from "./envoy.js";
import { defaultPlan, instances, portCount, portsFrom, sequentialPorts, type LaneMode, type LanePlan, type LanePorts } from "./plan.js";

export interface Lanes {
  plan: LanePlan;
  ports: LanePorts;
  /** "gateway" and "sidecar-<instance id>". */
  envoys: Record<string, Envoy>;
  gateway: Envoy;
  /** By instance id ("a-gray"). */
  apps: Record<string, LaneApp>;
  /** One request through the gateway; the body is the app chain's answer (or an Envoy local reply). */
  request(headers?: Record<string, string>, path?: string): Promise<{ res: ClientResponse; answer: AppAnswer | null }>;
  /** Resolves once `envoy`'s health checks count `healthy` healthy hosts in `cluster`. */
  waitHealthy(envoy: string, cluster: string, healthy: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LanesOptions {
  mode?: LaneMode;
  plan?: LanePlan;
  /** Envoy worker threads per process (default 1: seven Envoys share the machine). */
  concurrency?: number;
  /** The tagging module (default build/tagging.wasm). */
  module?: string;
  /** Fixed ports from here upwards (as in envoy-config/lanes/) instead of free ones. */
  basePort?: number;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startLanes(o: LanesOptions = {}): Promise<Lanes> {
  const plan = o.plan ?? defaultPlan(o.mode ?? "permissive");
  const ports = o.basePort ? sequentialPorts(plan, o.basePort) : portsFrom(plan, await freePorts(portCount(plan)));
  const apps: Record<string, LaneApp> = {};
  const envoys: Record<string, Envoy> = {};
  const stopAll = async () => {
    await Promise.all(Object.values(envoys).map((e) => e.stop()));
    await Promise.all(Object.values(apps).map((a) => a.stop()));
  };
  try {
    for (const i of instances(plan)) {
      apps[i.id] = await startLaneApp({
        service: i.service, version: i.version, port: ports.instances[i.id].app, header: plan.header, baggageKey: plan.baggageKey,
        next: i.next ? { service: i.next, outboundPort: ports.instances[i.id].outbound } : undefined,
      });
    }
    const configs = lanesBootstraps(plan, ports, { module: o.module });
    const started = await Promise.allSettled(Object.entries(configs).map(async ([name, b]) => {
      const { clusters, ...rest } = b;
      envoys[name] = await startEnvoy({ ...rest, upstreams: clusters, concurrency: o.concurrency ?? 1 });
    }));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;

    const lanes: Lanes = {
      plan, ports, envoys, apps, gateway: envoys.gateway,
      async request(headers = {}, path = "/") {
        const res = await request(envoys.gateway.url, path, { headers });
        let answer: AppAnswer | null = null;
        try { answer = JSON.parse(res.body); } catch { /* a local reply */ }
        return { res, answer };
      },
      async waitHealthy(envoy, cluster, healthy, timeoutMs = 15_000) {
        const end = Date.now() + timeoutMs;
        const name = `cluster.${cluster}.membership_healthy`;
        for (;;) {
          const stats = await envoys[envoy].stats(name);
          if (stats[name] === healthy) return;
          if (Date.now() > end) throw new Error(`${envoy}: ${name} is ${stats[name]} after ${timeoutMs} ms, expected ${healthy}`);
          await delay(50);
        }
      },
      stop: stopAll,
    };
    await waitAllHealthy(lanes, configs);
    return lanes;
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Every cluster with endpoints reports all of them healthy, in every Envoy. */
async function waitAllHealthy(l: Lanes, configs: Record<string, BootstrapOptions>): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const [envoy, b] of Object.entries(configs)) {
    for (const [cluster, spec] of Object.entries(b.clusterSpecs ?? {})) {
      if (spec.healthCheck && spec.endpoints?.length) waits.push(l.waitHealthy(envoy, cluster, spec.endpoints.length));
    }
  }
  await Promise.all(waits);
}
