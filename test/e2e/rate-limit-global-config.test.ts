// The shipped global rate-limit example stays true: envoy-config/rate-limit-global.yaml and
// envoy-config/ratelimit/config.yaml are what src/ratelimit/example.ts renders, Envoy accepts the
// bootstrap, and envoyproxy/ratelimit loads the descriptor file and answers with its limits.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { envoyPath, request } from "./lib/index.js";
import { EXAMPLE_SERVICE_CONFIG, renderGlobalRateLimitYaml, startRedis, startRateLimitService } from "../../src/ratelimit/index.js";

test("the example files are current (else run npm run envoy:global-rl-config)", () => {
  assert.equal(readFileSync("envoy-config/rate-limit-global.yaml", "utf8"), renderGlobalRateLimitYaml());
  assert.equal(readFileSync("envoy-config/ratelimit/config.yaml", "utf8"), EXAMPLE_SERVICE_CONFIG);
});

test("Envoy validates the example bootstrap", () => {
  const r = spawnSync(envoyPath(), ["--mode", "validate", "-c", "envoy-config/rate-limit-global.yaml"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout + r.stderr, /configuration 'envoy-config\/rate-limit-global.yaml' OK/);
});

test("envoyproxy/ratelimit loads the example descriptors and applies their limits", async () => {
  const redis = await startRedis();
  const service = await startRateLimitService({ redis: redis.address, config: { config: readFileSync("envoy-config/ratelimit/config.yaml", "utf8") } });
  try {
    const ask = async (entries: { key: string; value: string }[]) => {
      const res = await request(`http://127.0.0.1:${service.httpPort}`, "/json", { body: JSON.stringify({ domain: "edge", descriptors: [{ entries }] }) });
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body).statuses[0].currentLimit;
    };
    assert.deepEqual(await ask([{ key: "generic_key", value: "api" }]), { requestsPerUnit: 1000, unit: "MINUTE" });
    assert.deepEqual(await ask([{ key: "api_key", value: "k1" }]), { requestsPerUnit: 60, unit: "MINUTE" });
    assert.deepEqual(await ask([{ key: "api_key", value: "partner-7" }]), { requestsPerUnit: 600, unit: "MINUTE" });
  } finally {
    await service.dispose();
    await redis.stop();
  }
});
