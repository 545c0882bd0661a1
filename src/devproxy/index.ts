// The dev proxy (a development host on the Node test host — not Envoy) and the demo `npm start`
// falls back to when no Envoy is available: the same demo upstreams and filter chain as the Envoy demo.
import { availableDemoFilters, chainDemoFilters, checkTry, curlLine, DEMO_FILTERS, DEMO_ROUTES, demoUpstreams } from "../envoy/demo.js";
import { modulePath } from "../envoy/bootstrap.js";
import { startUpstream, type Upstream } from "../envoy/upstream.js";
import { startDevProxy, type DevProxy } from "./proxy.js";

export { startDevProxy, type DevProxy, type DevProxyOptions, type DevPlugin, type DevRoute } from "./proxy.js";

export const DEV_BANNER = "DEVELOPMENT HOST — the Node proxy-wasm test host, not Envoy. For trying filters locally; not for production traffic.";

export interface DevDemo {
  proxy: DevProxy;
  upstreams: Upstream[];
  stop(): Promise<void>;
}

/** Starts the demo upstreams and the dev proxy with every built demo filter, in the Envoy demo's order. */
export async function startDevDemo(o: { port?: number; concurrency?: number; printLogs?: boolean; chain?: boolean } = {}): Promise<DevDemo & { filters: ReturnType<typeof availableDemoFilters> }> {
  const upstreams: Upstream[] = [];
  for (const [name, respond] of Object.entries(demoUpstreams)) upstreams.push(await startUpstream(name, respond));
  const clusters = Object.fromEntries(upstreams.map((u) => [u.name, u.url]));
  const filters = availableDemoFilters(undefined, o.chain ? chainDemoFilters() : DEMO_FILTERS);
  let proxy: DevProxy;
  try {
    proxy = await startDevProxy({
      listenPort: o.port ?? 10000,
      upstreamUrl: clusters.stable,
      clusters,
      routes: DEMO_ROUTES.filter((r) => r.cluster).map((r) => ({ headers: r.headers, prefix: r.prefix, cluster: r.cluster! })),
      plugins: filters.filters.map((f) => ({
        wasm: modulePath(f.module), rootId: f.rootId, name: f.name, config: f.config, vmId: f.vmId,
        vmConfig: typeof f.vmConfig === "object" ? JSON.stringify(f.vmConfig) : f.vmConfig, failurePolicy: f.failurePolicy,
      })),
      concurrency: o.concurrency ?? 2,
      printLogs: o.printLogs ?? false,
    });
  } catch (e) {
    await Promise.all(upstreams.map((u) => u.stop()));
    throw e;
  }
  return {
    proxy, upstreams, filters,
    stop: async () => {
      await proxy.close();
      await Promise.all(upstreams.map((u) => u.stop()));
    },
  };
}

/** `npm start` without Envoy: run the demo on the dev proxy, check each "try" once, print curl lines. */
export async function main(argv: string[] = []): Promise<void> {
  const port = process.env.PORT ? Number(process.env.PORT) : 10000;
  const demo = await startDevDemo({ port, concurrency: process.env.CONCURRENCY ? Number(process.env.CONCURRENCY) : 2, chain: argv.includes("--chain") });
  console.log(`\n${DEV_BANNER}\n`);
  console.log(`  listener   ${demo.proxy.url}`);
  console.log(`  upstreams  ${demo.upstreams.map((u) => `${u.name} :${u.port}`).join(", ")}   (they answer with the request they saw)`);
  console.log(`\nFilters in chain order, each with requests to paste (✓ = checked just now):`);
  for (const f of demo.filters.filters) {
    console.log(`\n  ${f.module} — ${f.about}`);
    for (const t of f.tries) {
      const r = await checkTry(demo.proxy.url, t).catch((e: Error) => ({ ok: false, got: e.message }));
      console.log(`    ${r.ok ? "✓" : "✗"} ${t.title}  (${r.got})`);
      console.log(`      ${curlLine(demo.proxy.url, t)}`);
    }
  }
  if (demo.filters.missing.length) console.log(`\n  not built yet, so not in the chain: ${demo.filters.missing.join(", ")}`);
  console.log(`\nCtrl-C stops the dev proxy and the upstreams.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping …`);
    await demo.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
