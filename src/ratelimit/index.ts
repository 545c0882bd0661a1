// Real rate-limit components for tests and benchmarks: Redis, envoyproxy/ratelimit, a delaying proxy.
export { startRedis, type Redis } from "./redis.js";
export { startRateLimitService, serviceBinary, type RateLimitService, type RateLimitServiceOptions } from "./service.js";
export { startDelayProxy, type DelayProxy } from "./delay-proxy.js";
export { freePort } from "./ports.js";
export { EXAMPLE_SERVICE_CONFIG, EXAMPLE_FILTER_CONFIG, renderGlobalRateLimitYaml } from "./example.js";
