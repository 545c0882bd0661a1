// `proxy-wasm-as config check <module> <config.json>`: the filter itself judges a configuration, in
// the test host, exactly as Envoy would (on_vm_start, on_configure); its error lines are the verdict.
import { readFileSync } from "node:fs";
import { ProxyHost } from "../../host/host.js";
import { WasmLoadError } from "../../host/loader.js";
import { CliError, type Command, parse } from "../command.js";

export const command: Command = {
  summary: "config check <module.wasm> <config.json>: let the filter judge a configuration, as Envoy would",
  usage: `usage: proxy-wasm-as config check <module.wasm> <config.json|-> [--root-id ID] [--vm-config FILE]

Loads the module in the test host and configures it with the file's text (as Envoy's
StringValue configuration): on_vm_start, then on_configure. Prints "ok" and exits 0 when the filter
accepts it; otherwise prints the filter's error lines (field path and reason) and exits 1.
"-" reads the configuration from stdin.

options:
  --root-id ID      the root_id to configure (default: the module's file name, "-" → "_")
  --vm-config FILE  vm_config.configuration
  --json            print {"ok": bool, "errors": [...]}`,
  async run(args) {
    const { values, positionals } = parse("config", args, { "root-id": { type: "string" }, "vm-config": { type: "string" }, json: { type: "boolean" } });
    const [sub, wasm, file] = positionals;
    if (sub !== "check") throw new CliError(sub ? `unknown subcommand "config ${sub}"` : "missing subcommand", "use `proxy-wasm-as config check <module.wasm> <config.json>`", 2);
    if (!wasm || !file) throw new CliError("config check needs a module and a configuration file", "proxy-wasm-as config check build/my-filter.wasm config.json", 2);
    const read = (f: string, what: string) => {
      try {
        return readFileSync(f === "-" ? 0 : f, "utf8");
      } catch (e) {
        throw new CliError(`cannot read the ${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "check the path");
      }
    };
    const config = read(file, "configuration");
    const vmConfig = values["vm-config"] ? read(values["vm-config"], "VM configuration") : undefined;
    const rootId = values["root-id"] ?? (wasm.split("/").pop() ?? wasm).replace(/\.wasm$/, "").replace(/-/g, "_");
    let host: ProxyHost;
    try {
      host = await ProxyHost.create({ wasm, rootId, pluginConfig: config, vmConfig, logLevel: "info", failurePolicy: "FAIL_CLOSED" });
    } catch (e) {
      if (e instanceof WasmLoadError) throw new CliError(e.message, "build the module first (`proxy-wasm-as build`) and pass its path");
      throw e;
    }
    const errors = host.logs.filter((l) => l.level === "error" || l.level === "critical").map((l) => l.message);
    const trap = host.traps[0]?.message;
    if (trap) errors.push(trap);
    const ok = host.configured && !trap;
    if (values.json) console.log(JSON.stringify({ ok, rootId, errors }, null, 2));
    else if (ok) console.log(`ok: ${file} is accepted by ${wasm} (root_id "${rootId}")`);
    else {
      console.log(`refused: ${file} by ${wasm} (root_id "${rootId}")`);
      for (const e of errors.length ? errors : ["the filter refused it without logging why (on_configure returned false)"]) console.log(`  ${e}`);
    }
    return ok ? 0 : 1;
  },
};
