#!/usr/bin/env node
// `npm run lanes:config`: writes envoy-config/lanes/ (the traffic-lane topology's Envoy configs in
// both modes and its Istio manifests) from src/lanes/. A test fails while the files are stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
const { lanesFiles, LANES_DIR } = await import("../src/lanes/files.ts");
const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, LANES_DIR);
const files = await lanesFiles();
// Files the plan no longer makes go away (README.md stays).
for (const sub of ["permissive", "strict", "istio"]) rmSync(join(dir, sub), { recursive: true, force: true });
for (const [rel, text] of Object.entries(files)) {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}
console.log(`wrote ${Object.keys(files).length} files under ${LANES_DIR}/`);
