#!/usr/bin/env node
// Installs what the global rate-limit tests and benchmark run against, idempotently:
//   - Redis: Debian's redis-server (with redis-cli);
//   - envoyproxy/ratelimit, the reference rate-limit service, built from its Go source through the Go
//     module proxy into .tools/bin/service_cmd (cold, with empty Go module and build caches: 288 s on 2
//     busy cores; 65 s with other Go builds cached), reused afterwards;
//   - rls-proto (test/ratelimit/rls-proto): the rate-limit protocol's messages encoded and decoded by
//     the reference Go protobuf implementation, to check the filter's own codec against.
// `npm test` runs it in its setup phase; run it yourself before `npm run bench:global-rl`.
import { ensureApt, ensureGoTool, SetupError } from "./lib/setup-tools.mjs";

export const RATELIMIT = {
  name: "service_cmd",
  module: "github.com/envoyproxy/ratelimit/src/service_cmd",
  version: "v1.4.1-0.20260122083618-3fb702589d36",
};

export function setupRateLimit(log = (m) => console.log(`setup-ratelimit: ${m}`)) {
  ensureApt(["redis-server"], log);
  const service = ensureGoTool(RATELIMIT, log);
  const codec = ensureGoTool({ name: "rls-proto", dir: "test/ratelimit/rls-proto" }, log);
  return { service, codec };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { service, codec } = setupRateLimit();
    console.log(`setup-ratelimit: ok: redis-server, ${service}, ${codec}`);
  } catch (e) {
    console.error(`setup-ratelimit: ${e instanceof SetupError ? e.message : e.stack}`);
    process.exit(1);
  }
}
