// Envoy for `run`: the package's ensureEnvoy(), with its failure turned into what to do instead.
import type { EnvoyInstall } from "../envoy/binary.js";
import { ensureEnvoy as install, EnvoySetupError } from "../envoy/install.js";
import { CliError } from "./command.js";

export async function ensureEnvoy(): Promise<EnvoyInstall> {
  try {
    return await install();
  } catch (e) {
    if (e instanceof EnvoySetupError) throw new CliError(`cannot set up Envoy: ${e.message}`, "set ENVOY=/path/to/envoy, or use --dev-proxy (the Node development proxy)");
    throw e;
  }
}
