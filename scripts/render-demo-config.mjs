#!/usr/bin/env node
// `npm run envoy:demo-config`: writes envoy-config/demo.yaml and chain.yaml (the same demo with the
// chain module) from the demo plan (src/envoy/demo.ts), the plan `npm start` runs. Run it after
// changing the plan; a test fails while a file is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
const { renderDemoYaml, renderChainYaml } = await import("../src/envoy/demo.ts");
for (const [file, render] of [["demo.yaml", renderDemoYaml], ["chain.yaml", renderChainYaml]]) {
  const out = fileURLToPath(new URL(`../envoy-config/${file}`, import.meta.url));
  writeFileSync(out, render());
  console.log(`wrote ${out}`);
}
