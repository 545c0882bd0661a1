#!/usr/bin/env node
// Installs what the load tests need, idempotently (npm test's setup phase runs this):
//   - vegeta (MIT, open loop at a constant arrival rate), built from the Go module proxy into
//     .tools/bin/vegeta and reused when present — the native load runner and the Envoy benchmark drive it;
//   - Debian's docker.io and docker-compose, for the docker-compose test (images are built locally:
//     no image registry is needed).
//   node scripts/setup-load.mjs             both
//   node scripts/setup-load.mjs --vegeta    vegeta only
import { pathToFileURL } from "node:url";
import { ensureApt, ensureGoTool, SetupError } from "./lib/setup-tools.mjs";

export const VEGETA = { name: "vegeta", module: "github.com/tsenart/vegeta/v12", version: "v12.13.0" };
export const DOCKER_PACKAGES = ["docker.io", "docker-compose"];

/** Builds vegeta if needed and returns its path. */
export function ensureVegeta(log) {
  return ensureGoTool(VEGETA, log);
}

/** Installs the Docker engine and docker-compose (Debian packages) if missing. */
export function ensureDocker(log) {
  ensureApt(DOCKER_PACKAGES, log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const log = (m) => console.log(`setup-load: ${m}`);
  try {
    log(`vegeta ${VEGETA.version}: ${ensureVegeta(log)}`);
    if (!process.argv.includes("--vegeta")) {
      ensureDocker(log);
      log(`docker: ${DOCKER_PACKAGES.join(", ")} installed`);
    }
  } catch (e) {
    console.error(`setup-load: ${e instanceof SetupError ? e.message : e.stack}`);
    process.exit(1);
  }
}
