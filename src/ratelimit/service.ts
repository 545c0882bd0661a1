// envoyproxy/ratelimit (the reference rate-limit service, built from Go source into .tools/bin by
// scripts/setup-ratelimit.mjs) on free loopback ports, configured by environment variables and YAML
// descriptor files, backed by a Redis. Its per-descriptor counters are read from its Prometheus
// endpoint. stop() and start() keep the ports, so a test can take the service away and bring it back.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../envoy/binary.js";
import { request } from "../envoy/http.js";
import { delay, freePort } from "./ports.js";
import { launch, waitUntil, type Service } from "./process.js";

export const serviceBinary = () => join(projectRoot, ".tools", "bin", "service_cmd");

export interface RateLimitServiceOptions {
  /** Redis as host:port. */
  redis: string;
  /** Descriptor files by name: YAML text (one `domain:` each). */
  config: Record<string, string>;
  /** The service adds RateLimit-Limit/-Remaining/-Reset to its answers (response_headers_to_add). */
  responseHeaders?: boolean;
  /** Extra environment (see the service's src/settings/settings.go). */
  env?: Record<string, string>;
}

export interface RateLimitService {
  grpcPort: number;
  httpPort: number;
  /** host:port of the gRPC listener (for an Envoy cluster). */
  grpcAddress: string;
  pid(): number;
  log(): string;
  /** Counters by Prometheus series, e.g. `ratelimit_service_rate_limit_total_hits{domain="edge",key1="generic_key_api"}`. */
  metrics(): Promise<Record<string, number>>;
  /** One counter of one descriptor key (e.g. "generic_key_api"): total_hits, over_limit, within_limit, near_limit. */
  counter(domain: string, key1: string, name: "total_hits" | "over_limit" | "within_limit" | "near_limit"): Promise<number>;
  /** Waits until the counters stop moving (they reach the metrics endpoint on a flush interval). */
  settle(): Promise<void>;
  /** Stops the process (ports and configuration kept). */
  stop(): Promise<void>;
  /** Starts it again on the same ports; resolves once it is healthy. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  dispose(): Promise<void>;
}

const FLUSH_MS = 100;

/** Starts the service; ports taken between choosing and binding them are retried with new ones. */
export async function startRateLimitService(o: RateLimitServiceOptions, attempts = 3): Promise<RateLimitService> {
  for (let i = 1; ; i++) {
    try {
      return await startOnce(o);
    } catch (e) {
      if (i >= attempts || !/in use|exited during start-up/i.test(String(e))) throw e;
    }
  }
}

async function startOnce(o: RateLimitServiceOptions): Promise<RateLimitService> {
  const bin = serviceBinary();
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`node scripts/setup-ratelimit.mjs\` (builds envoyproxy/ratelimit with Go)`);
  const dir = mkdtempSync(join(tmpdir(), "ratelimit-"));
  const configDir = join(dir, "runtime", "current", "config");
  mkdirSync(configDir, { recursive: true });
  for (const [name, yaml] of Object.entries(o.config)) writeFileSync(join(configDir, name.endsWith(".yaml") ? name : `${name}.yaml`), yaml);
  const [grpcPort, httpPort, debugPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: Record<string, string> = {
    REDIS_SOCKET_TYPE: "tcp",
    REDIS_URL: o.redis,
    RUNTIME_ROOT: join(dir, "runtime"),
    RUNTIME_SUBDIRECTORY: "current",
    RUNTIME_WATCH_ROOT: "false",
    USE_STATSD: "false",
    USE_PROMETHEUS: "true",
    PROMETHEUS_ADDR: `127.0.0.1:${metricsPort}`,
    STATS_FLUSH_INTERVAL: `${FLUSH_MS}ms`,
    HOST: "127.0.0.1", PORT: String(httpPort),
    GRPC_HOST: "127.0.0.1", GRPC_PORT: String(grpcPort),
    DEBUG_HOST: "127.0.0.1", DEBUG_PORT: String(debugPort),
    LOG_LEVEL: "warn",
    LIMIT_RESPONSE_HEADERS_ENABLED: o.responseHeaders ? "true" : "false",
    ...o.env,
  };
  let svc: Service | null = null;
  const start = async () => {
    svc = launch(bin, [], env, join(dir, "ratelimit.log"));
    await waitUntil("envoyproxy/ratelimit", svc, async () => (await request(`http://127.0.0.1:${httpPort}`, "/healthcheck", { timeoutMs: 1000 })).status === 200);
  };
  try {
    await start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const metrics = async () => {
    const { body } = await request(`http://127.0.0.1:${metricsPort}`, "/metrics", { timeoutMs: 2000 });
    const out: Record<string, number> = {};
    for (const line of body.split("\n")) {
      if (!line.startsWith("ratelimit_service_")) continue; // not the Go runtime gauges, which always move
      const at = line.lastIndexOf(" ");
      out[line.slice(0, at)] = Number(line.slice(at + 1));
    }
    return out;
  };
  return {
    grpcPort,
    httpPort,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    pid: () => svc?.pid ?? 0,
    log: () => svc?.log() ?? "",
    metrics,
    async counter(domain, key1, name) {
      return (await metrics())[`ratelimit_service_rate_limit_${name}{domain="${domain}",key1="${key1}"}`] ?? 0;
    },
    async settle() {
      let last = "";
      for (let i = 0; i < 50; i++) {
        await delay(FLUSH_MS * 2);
        const now = JSON.stringify(await metrics());
        if (now === last) return;
        last = now;
      }
    },
    async stop() { await svc?.stop(); },
    start,
    async dispose() { await svc?.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}
