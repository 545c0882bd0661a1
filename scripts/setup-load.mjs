#!/usr/bin/env node
// Installs the load generator the native load runner and the Envoy benchmark drive: vegeta (MIT,
// open loop at a constant arrival rate), built from the Go module proxy into .tools/bin/vegeta and
// reused when present. `node scripts/setup-load.mjs` prints the path; the test setup calls it.
import { pathToFileURL } from "node:url";
import { ensureGoTool, SetupError } from "./lib/setup-tools.mjs";

export const VEGETA = { name: "vegeta", module: "github.com/tsenart/vegeta/v12", version: "v12.13.0" };

/** Builds vegeta if needed and returns its path. */
export function ensureVegeta(log) {
  return ensureGoTool(VEGETA, log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(`setup-load: vegeta ${VEGETA.version}: ${ensureVegeta((m) => console.log(`setup-load: ${m}`))}`);
  } catch (e) {
    console.error(`setup-load: ${e instanceof SetupError ? e.message : e.stack}`);
    process.exit(1);
  }
}
