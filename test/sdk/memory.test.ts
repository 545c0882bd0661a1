// Memory that stays flat: a filter VM lives as long as Envoy, so a million request lifecycles must
// leave its linear memory exactly where it was after warm-up (--runtime incremental collects; the
// SDK frees every host-allocated buffer). Runs the compiled modules in the test host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const WARMUP = 10_000;
const CHECK_EVERY = 100_000;

function memoryBytes(host: ProxyHost): number {
  return (host.vms[0].instance.exports.memory as WebAssembly.Memory).buffer.byteLength;
}

/** Runs `total` full request lifecycles, sampling linear memory; returns the distinct sizes seen after warm-up. */
function run(host: ProxyHost, total: number, lifecycle: (i: number) => void): { baseline: number; sizes: number[] } {
  for (let i = 0; i < WARMUP; i++) lifecycle(i);
  const baseline = memoryBytes(host);
  const sizes = new Set<number>([baseline]);
  for (let i = 0; i < total; i++) {
    lifecycle(i);
    if ((i + 1) % CHECK_EVERY === 0) sizes.add(memoryBytes(host));
  }
  sizes.add(memoryBytes(host));
  return { baseline, sizes: [...sizes] };
}

test("add-header: linear memory identical after 1,000,000 request lifecycles", async () => {
  const host = await ProxyHost.create({ wasm: "build/add-header.wasm", rootId: "add_header", pluginConfig: "from-config" });
  assert.equal(host.configured, true);
  const req = { ":method": "GET", ":path": "/", ":authority": "example.com", "user-agent": "memory-test" };
  const resp = { ":status": "200", "content-type": "text/plain" };
  let checked = 0;
  const { baseline, sizes } = run(host, 1_000_000, (i) => {
    const s = host.newHttpStream();
    s.sendRequestHeaders(req, { endOfStream: true });
    s.sendResponseHeaders(resp, { endOfStream: true });
    s.complete();
    if (i % 50_000 === 0) { assert.equal(s.responseHeaders.get("hello"), "from-config"); checked++; }
  });
  assert.ok(checked >= 20, "the filter ran and added its header");
  assert.deepEqual(sizes, [baseline], `memory moved from ${baseline} bytes: ${sizes.join(" → ")}`);
  assert.equal(host.liveStreams, 0);
  assert.equal(host.traps.length, 0);
});

test("typed-config: linear memory identical after 200,000 lifecycles that read and append headers", async () => {
  const host = await ProxyHost.create({
    wasm: "build/typed-config.wasm", rootId: "typed_config",
    pluginConfig: { header: "x-env", value: "staging", mode: "append", skip_paths: ["/healthz"] },
  });
  assert.equal(host.configured, true);
  let appended = 0;
  const { baseline, sizes } = run(host, 200_000, (i) => {
    const s = host.newHttpStream();
    s.sendRequestHeaders({ ":method": "GET", ":path": i % 2 ? "/healthz" : `/item/${i}`, ":authority": "example.com", "x-env": "prod" }, { endOfStream: true });
    s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    s.complete();
    if (i % 2 === 0 && s.requestHeaders.getAll("x-env").length === 2) appended++;
  });
  assert.equal(appended, (WARMUP + 200_000) / 2, "every non-skipped request got the header appended");
  assert.deepEqual(sizes, [baseline], `memory moved from ${baseline} bytes: ${sizes.join(" → ")}`);
});
