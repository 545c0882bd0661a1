// `proxy-wasm-as dev-proxy`: proxy-wasm plugins in front of an upstream on the Node test host (a
// DEVELOPMENT host, not Envoy), or the `npm start` demo without Envoy (--demo).
import { DEV_BANNER, main as demo, startDevProxy, type DevPlugin } from "../../devproxy/index.js";
import { CliError, type Command } from "../command.js";

const usage = `usage: proxy-wasm-as dev-proxy --upstream URL [--listen PORT] --plugin FILE.wasm [plugin options] … | --demo

Runs proxy-wasm plugins in the Node test host in front of an upstream: a DEVELOPMENT host for
trying filters without Envoy, not a production proxy.

  proxy-wasm-as dev-proxy --listen 8080 --upstream http://127.0.0.1:9000 \\
    --plugin build/add-header.wasm --root-id add_header --config 'hello' \\
    --plugin build/deny-path.wasm --config '{"prefixes":["/admin"]}'

options after a --plugin apply to it: --root-id ID, --config TEXT, --vm-id ID, --vm-config TEXT, --fail-open
global: --cluster name=url (callout targets), --concurrency N, --log-level LEVEL, --demo (the npm start demo)`;

const wrong = (msg: string): never => { throw new CliError(msg, "see `proxy-wasm-as dev-proxy --help`", 2); };

export const command: Command = {
  summary: "serve .wasm plugins in front of an upstream on the Node test host (development only)",
  usage,
  async run(argv) {
    if (argv.includes("--demo")) {
      await demo([]);
      return 0;
    }
    const plugins: DevPlugin[] = [];
    const clusters: Record<string, string> = {};
    let listen = 8080, upstream = "", concurrency = 1, logLevel: any = "info";
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const val = () => argv[++i] ?? wrong(`${a} needs a value`);
      const current = () => plugins[plugins.length - 1] ?? wrong(`${a} must follow a --plugin`);
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
          if (!url) wrong("--cluster wants name=url");
          clusters[name] = url;
          break;
        }
        case "--concurrency": concurrency = Number(val()); break;
        case "--log-level": logLevel = val(); break;
        default: wrong(`unknown option ${a}`);
      }
    }
    if (!upstream) wrong("--upstream is required");
    if (!plugins.length) wrong("give at least one --plugin");
    if (!Number.isInteger(listen) || listen < 0 || listen > 65535) wrong(`--listen: not a port: ${listen}`);
    const proxy = await startDevProxy({ listenPort: listen, upstreamUrl: upstream, plugins, clusters, concurrency, logLevel });
    console.log(`${DEV_BANNER}\nlistening on ${proxy.url} → ${upstream} with ${plugins.length} plugin(s); Ctrl-C stops.`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    await proxy.close();
    return 0;
  },
};
