#!/usr/bin/env node
// `npm run envoy:global-rl-config`: writes envoy-config/rate-limit-global.yaml and the rate-limit
// service's example descriptors (envoy-config/ratelimit/config.yaml) from src/ratelimit/example.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
const { renderGlobalRateLimitYaml, EXAMPLE_SERVICE_CONFIG } = await import("../src/ratelimit/example.ts");
const envoy = fileURLToPath(new URL("../envoy-config/rate-limit-global.yaml", import.meta.url));
const service = fileURLToPath(new URL("../envoy-config/ratelimit/config.yaml", import.meta.url));
mkdirSync(fileURLToPath(new URL("../envoy-config/ratelimit/", import.meta.url)), { recursive: true });
writeFileSync(envoy, renderGlobalRateLimitYaml());
writeFileSync(service, EXAMPLE_SERVICE_CONFIG);
console.log(`wrote ${envoy}\nwrote ${service}`);
