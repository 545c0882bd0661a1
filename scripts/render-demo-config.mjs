#!/usr/bin/env node
// `npm run envoy:demo-config`: writes envoy-config/demo.yaml from the demo plan (src/envoy/demo.ts),
// the same plan `npm start` runs. Run it after changing the plan; a test fails while the file is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
const { renderDemoYaml } = await import("../src/envoy/demo.ts");
const out = fileURLToPath(new URL("../envoy-config/demo.yaml", import.meta.url));
writeFileSync(out, renderDemoYaml());
console.log(`wrote ${out}`);
