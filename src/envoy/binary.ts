// Where the Envoy binary is: ENVOY=/path/to/envoy, else what `npm run setup:envoy` installed and verified.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (this file is src/envoy/binary.ts, or dist/envoy/binary.js once built). */
export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface EnvoyInstall {
  path: string;
  version: string;
  /** e.g. `version: 9e55…/1.40.0/Clean/RELEASE/BoringSSL` */
  versionLine: string;
  /** e.g. `envoy.wasm.runtime: envoy.wasm.runtime.null, envoy.wasm.runtime.v8` */
  runtimeLine: string;
}

const stateFile = join(projectRoot, ".cache", "envoy.json");

/** The verified install, or null when setup has not run (or ENVOY points elsewhere than what was checked). */
export function envoyInstall(): EnvoyInstall | null {
  if (!existsSync(stateFile)) return null;
  try {
    const s = JSON.parse(readFileSync(stateFile, "utf8")) as EnvoyInstall;
    if (process.env.ENVOY && process.env.ENVOY !== s.path) return null;
    return existsSync(s.path) ? s : null;
  } catch {
    return null;
  }
}

/** The Envoy binary to run; throws a one-line explanation when there is none. */
export function envoyPath(): string {
  if (process.env.ENVOY) {
    if (!existsSync(process.env.ENVOY)) throw new Error(`ENVOY=${process.env.ENVOY} does not exist`);
    return process.env.ENVOY;
  }
  const s = envoyInstall();
  if (!s) throw new Error("Envoy is not set up: run `npm run setup:envoy` (or set ENVOY=/path/to/envoy)");
  return s.path;
}
