#!/usr/bin/env node
// dev-proxy: run proxy-wasm plugins in front of an upstream on the Node test host (a DEVELOPMENT
// host, not Envoy).
//   node --import tsx src/cli/dev-proxy.ts --listen 8080 --upstream http://127.0.0.1:9000 \
//     --plugin build/add-header.wasm --root-id add_header --config 'hello' \
//     --plugin build/deny-path.wasm --config '{"prefixes":["/admin"]}'
//   node --import tsx src/cli/dev-proxy.ts --demo        (the npm start demo, without Envoy)
// Options after a --plugin apply to it: --root-id, --config, --vm-id, --vm-config, --fail-open.
// Also: --cluster name=url (callout targets), --concurrency N, --log-level debug.
import { DEV_BANNER, main as demo, startDevProxy, type DevPlugin } from "../devproxy/index.js";

function usage(msg: string): never {
  console.error(`dev-proxy: ${msg}\nusage: dev-proxy --upstream URL [--listen PORT] --plugin FILE.wasm [--root-id ID] [--config TEXT] … | --demo`);
  process.exit(2);
}

async function run(argv: string[]): Promise<void> {
  if (argv.includes("--demo")) return demo([]);
  const plugins: DevPlugin[] = [];
  const clusters: Record<string, string> = {};
  let listen = 8080, upstream = "", concurrency = 1, logLevel: any = "info";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const current = () => plugins[plugins.length - 1] ?? usage(`${a} must follow a --plugin`);
    switch (a) {
      case "--listen": listen = Number(val()); break;
      case "--upstream": upstream = val(); break;
      case "--plugin": plugins.push({ wasm: val() }); break;
      case "--root-id": current().rootId = val(); break;
      case "--config": current().config = val(); break;
      case "--vm-id": current().vmId = val(); break;
      case "--vm-config": current().vmConfig = val(); break;
      case "--fail-open": current().failurePolicy = "FAIL_OPEN"; break;
      case "--cluster": {
        const [name, url] = val().split("=");
        if (!url) usage("--cluster wants name=url");
        clusters[name] = url;
        break;
      }
      case "--concurrency": concurrency = Number(val()); break;
      case "--log-level": logLevel = val(); break;
      default: usage(`unknown option ${a}`);
    }
  }
  if (!upstream) usage("--upstream is required");
  if (!plugins.length) usage("give at least one --plugin");
  if (!Number.isInteger(listen) || listen < 0 || listen > 65535) usage(`--listen: not a port: ${listen}`);
  const proxy = await startDevProxy({ listenPort: listen, upstreamUrl: upstream, plugins, clusters, concurrency, logLevel });
  console.log(`${DEV_BANNER}\nlistening on ${proxy.url} → ${upstream} with ${plugins.length} plugin(s); Ctrl-C stops.`);
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

run(process.argv.slice(2)).catch((e) => {
  console.error(`dev-proxy: ${(e as Error).message}`);
  process.exit(1);
});
