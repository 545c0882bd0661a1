// `npm run bench:calls`: how often each bench:envoy Wasm variant crosses the ABI per request — host
// functions the module calls and exports the host enters (context creation, callbacks, the
// allocations the host asks for) — counted in the test host with the variants' own configurations
// and request. Each crossing is a call through V8's C++ API in Envoy, the part of a filter's cost that
// does not depend on the machine: bench:envoy's µs are the other half. Writes
// bench/results/abi-calls.{json,md}.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProxyHost } from "../../src/host/index.js";
import type { WasmFilter } from "../../src/envoy/index.js";
import { DIRECT_PATH, REQUEST_HEADERS, VARIANTS } from "./variants.js";
import { buildBenchModules } from "./wasm-modules.js";

export interface CallRow {
  variant: string;
  label: string;
  /** Per request, summed over the variant's filters. */
  host: Record<string, number>;
  module: Record<string, number>;
  hostTotal: number;
  moduleTotal: number;
}

const REQUESTS = 50;
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** One filter's crossings per request: REQUESTS requests as bench:envoy sends them (headers only, 200). */
export async function callsPerRequest(f: WasmFilter, requests = REQUESTS): Promise<{ host: Record<string, number>; module: Record<string, number> }> {
  const wasm = f.module.endsWith(".wasm") ? f.module : `build/${f.module}.wasm`;
  const rootId = f.rootId ?? f.module.replace(/.*\//, "").replace(/\.wasm$/, "").replace(/-/g, "_");
  const h = await ProxyHost.create({ wasm, rootId, pluginConfig: f.config ?? "", countCalls: true });
  if (!h.configured) throw new Error(`${wasm}: configuration refused: ${h.logMessages("error").join("; ")}`);
  // One request first: a filter's first request may set things up once (buffers grown, slots made).
  const once = () => {
    const s = h.newHttpStream();
    s.sendRequestHeaders({ ":method": "GET", ":path": DIRECT_PATH, ":authority": "bench", ...REQUEST_HEADERS }, { endOfStream: true });
    if (!s.localResponse) s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    s.complete();
  };
  once();
  h.callCounts!.reset();
  for (let i = 0; i < requests; i++) once();
  return h.callCounts!.snapshot(requests);
}

/** Every Wasm variant of bench:envoy built from this repository's modules (peers are not counted). */
export async function countVariants(ids?: string[]): Promise<CallRow[]> {
  const rows: CallRow[] = [];
  const chosen = VARIANTS.filter((v) => v.kind === "wasm" && (!ids || ids.includes(v.id)));
  // The bench-only builds (every callback exported) when they are not there yet.
  buildBenchModules(chosen.flatMap((v) => v.filters as WasmFilter[]).filter((f) => !existsSync(f.module)));
  for (const v of chosen) {
    const host: Record<string, number> = {}, module: Record<string, number> = {};
    for (const f of v.filters as WasmFilter[]) {
      const c = await callsPerRequest(f);
      add(host, c.host);
      add(module, c.module);
    }
    rows.push({ variant: v.id, label: v.label, host, module, hostTotal: sum(host), moduleTotal: sum(module) });
  }
  return rows;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const list = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k.replace(/^proxy_/, "")} ${fmt(v)}`).join(", ");

export function callsTable(rows: CallRow[]): string {
  return [
    "| variant | ABI crossings per request | host functions called | exports entered by the host |",
    "|---|---:|---|---|",
    ...rows.map((r) => `| ${r.label} | **${fmt(r.hostTotal + r.moduleTotal)}** (${fmt(r.hostTotal)} + ${fmt(r.moduleTotal)}) | ${list(r.host)} | ${list(r.module)} |`),
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const only = process.argv.slice(2);
  const rows = await countVariants(only.length ? only : undefined);
  const out = join(fileURLToPath(new URL("../results/", import.meta.url)));
  mkdirSync(out, { recursive: true });
  const md = [
    "# ABI crossings per request (`npm run bench:calls`)",
    "",
    `Counted in the test host over ${REQUESTS} requests after a first one, with bench:envoy's configurations and request`,
    "(`/direct`, `user-id: 120`, `x-api-key: k1`, response 200). Crossings = host functions the module called + exports",
    "the host entered (context creation and deletion, callbacks, `proxy_on_memory_allocate` for each buffer the host",
    "returns). Envoy makes the same calls: each is one call through V8's C++ API.",
    "",
    callsTable(rows),
    "",
  ].join("\n");
  writeFileSync(join(out, "abi-calls.md"), md);
  writeFileSync(join(out, "abi-calls.json"), JSON.stringify({ requests: REQUESTS, rows }, null, 2) + "\n");
  console.log(md);
  console.log(`wrote bench/results/abi-calls.md, bench/results/abi-calls.json`);
}
