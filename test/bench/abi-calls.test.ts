// ABI crossings per request (bench/envoy/abi-calls.ts, counted in the test host with bench:envoy's
// configurations): deterministic, so they are pinned here — a filter that starts reading the headers
// twice, or a chain whose members stop sharing one read, fails this test, not only a benchmark.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { callsPerRequest, callsTable, countVariants } from "../../bench/envoy/abi-calls.js";

test("the pass-through filter: one host call, three entries (create, response headers, delete)", async () => {
  const c = await callsPerRequest({ module: "add-header", config: "x" }, 5);
  assert.deepEqual(c.host, { proxy_add_header_map_value: 1 });
  assert.deepEqual(c.module, { proxy_on_context_create: 1, proxy_on_delete: 1, proxy_on_response_headers: 1 });
});

test("every filter reads the request headers once per request; the chain module's three filters share that one read", async () => {
  const rows = await countVariants(["wasm-trace-id", "wasm-tagging", "wasm-rate-limit", "wasm-chain", "wasm-chain-module"]);
  const by = Object.fromEntries(rows.map((r) => [r.variant, r]));
  for (const id of ["wasm-trace-id", "wasm-tagging", "wasm-rate-limit", "wasm-chain-module"]) {
    assert.equal(by[id].host.proxy_get_header_map_pairs, 1, `${id}: ${JSON.stringify(by[id].host)}`);
    assert.equal(by[id].host.proxy_get_header_map_value, undefined, `${id} reads headers one by one`);
  }
  const chain = by["wasm-chain-module"], three = by["wasm-chain"];
  // One context, one entry per callback, where the three modules take three of each.
  for (const e of ["proxy_on_context_create", "proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_delete"]) {
    assert.equal(chain.module[e], 1, e);
    assert.equal(three.module[e], 3, e);
  }
  // The same work otherwise: every other host call as often as in the three modules.
  const { proxy_get_header_map_pairs: _a, ...chainRest } = chain.host;
  const { proxy_get_header_map_pairs: _b, ...threeRest } = three.host;
  assert.deepEqual(chainRest, threeRest);
  assert.ok(chain.hostTotal + chain.moduleTotal <= three.hostTotal + three.moduleTotal - 12, callsTable(rows));
});

test("bench/results/abi-calls.md is current (npm run bench:calls)", async () => {
  const rows = await countVariants();
  assert.ok(readFileSync("bench/results/abi-calls.md", "utf8").includes(callsTable(rows)), "run npm run bench:calls");
});
