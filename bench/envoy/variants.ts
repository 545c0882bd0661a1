// What bench:envoy compares: every variant is a list of HTTP filters rendered by the one bootstrap
// builder (src/envoy/bootstrap.ts) in front of the same routes, so the only difference between two
// variants is their filters. Each Wasm filter has a native or Lua equivalent doing the same work.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHAIN_MODULE, chainConfig, luaFilter, type HttpFilter, type NativeFilter, type RouteSpec, type WasmFilter } from "../../src/envoy/index.js";
import { peerModule, type PeerName } from "./peers.js";
import { benchModule } from "./wasm-modules.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const lua = (name: string) => luaFilter(readFileSync(join(here, "lua", `${name}.lua`), "utf8"));

/** Every benchmark request carries these: user 120 is in the gray lane (120 % 100 == 20), key k1 is rate-limited. */
export const REQUEST_HEADERS: Record<string, string> = { "user-id": "120", "x-api-key": "k1" };
/** Path answered by Envoy itself (direct_response) … */
export const DIRECT_PATH = "/direct";
/** … and a path routed to the upstream (a second Envoy on the generator's core). */
export const UPSTREAM_PATH = "/upstream";

/** Header-match routing as a mesh does it: the tag decides the cluster; no filter needed for it. */
export const ROUTES: RouteSpec[] = [
  { prefix: DIRECT_PATH, headers: { "x-mesh-tag": "gray" }, directResponse: { status: 200, body: "gray\n" } },
  { prefix: DIRECT_PATH, directResponse: { status: 200, body: "stable\n" } },
  { headers: { "x-mesh-tag": "gray" }, cluster: "gray" },
  { cluster: "stable" },
];

// The Wasm filters, configured for the same work as their equivalents below.
export const traceId: WasmFilter = { module: "trace-id", config: {} };
/** One rule (the gray-release rule of the README), baggage off: rule + modulo + header + clear_route_cache. */
export const tagging: WasmFilter = {
  module: "tagging",
  config: {
    rules: [{ name: "uid-mod-100", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } }],
    defaultTag: "stable",
    baggageKey: "",
  },
};
/** One keyed rule whose bucket never runs dry: every request reads and CAS-writes its key's bucket. */
export const rateLimit: WasmFilter = {
  module: "rate-limit",
  config: { rules: [{ name: "per-key", key: [{ source: "header", name: "x-api-key" }], tokens: 1_000_000_000, interval: "1s" }] },
};
/** A filter built with every callback exported (bench/envoy/wasm/<module>-every-export.ts): how the filters were built before. */
const everyExport = (f: WasmFilter): WasmFilter => ({ ...f, module: benchModule(`${f.module}-every-export`), rootId: f.module.replace(/-/g, "_") });
/** The chain module (build/chain.wasm) with these filters' configurations as its sections: one VM, one filter slot. */
export const chainModule = (...filters: WasmFilter[]): WasmFilter =>
  ({ module: CHAIN_MODULE, config: chainConfig((m) => filters.find((f) => f.module === m)!.config) });
export const addHeader: WasmFilter = { module: "add-header", config: "bench" };
/** The same filter exporting every callback (bench/envoy/wasm/): what the floor was before filters chose their exports. */
const addHeaderEveryExport = everyExport(addHeader);

const BIG_BUCKET = { max_tokens: 1_000_000_000, tokens_per_fill: 1_000_000_000, fill_interval: "1s" };
const always = (key: string) => ({ runtime_key: key, default_value: { numerator: 100, denominator: "HUNDRED" } });
/** Envoy's local_ratelimit with a bucket per x-api-key value (a descriptor from the header, dynamic descriptors). */
const localRateLimit: NativeFilter = {
  name: "envoy.filters.http.local_ratelimit",
  typedConfig: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
    stat_prefix: "local_rate_limit",
    token_bucket: BIG_BUCKET,
    filter_enabled: always("local_rate_limit_enabled"),
    filter_enforced: always("local_rate_limit_enforced"),
    rate_limits: [{ actions: [{ request_headers: { header_name: "x-api-key", descriptor_key: "api_key" } }] }],
    descriptors: [{ entries: [{ key: "api_key" }], token_bucket: BIG_BUCKET }],
    max_dynamic_descriptors: 10_000,
  },
};

export type VariantKind = "baseline" | "wasm" | "native" | "lua" | "peer";

export interface Variant {
  id: string;
  label: string;
  kind: VariantKind;
  filters: HttpFilter[];
  /** HttpConnectionManager fields on top of BENCH_HCM. */
  connectionManager?: Record<string, boolean | string | number>;
  /** The variant this one is the equivalent of (shown side by side in the table). */
  equivalentOf?: string;
  /** A peer that must be built first; the variant is skipped (with the reason) when it cannot be. */
  peer?: PeerName;
}

/**
 * Every variant runs with Envoy's request-id generation off, so each adds only its own work; the
 * native request-id variant turns it back on as the native counterpart of trace-id's id generation.
 */
export const BENCH_HCM = { generate_request_id: false };

export const VARIANTS: Variant[] = [
  { id: "none", label: "no filter", kind: "baseline", filters: [] },
  { id: "wasm-floor", label: "pass-through Wasm (add-header)", kind: "wasm", filters: [addHeader] },
  { id: "wasm-floor-every-export", label: "pass-through Wasm, every callback exported (before)", kind: "wasm", filters: [addHeaderEveryExport], equivalentOf: "wasm-floor" },
  { id: "rust-floor", label: "pass-through Wasm, Rust SDK (add-header)", kind: "peer", filters: [], peer: "rust-add-header", equivalentOf: "wasm-floor" },
  { id: "dynamic-module", label: "pass-through dynamic module (native, add-header)", kind: "peer", filters: [], peer: "dynamic-module", equivalentOf: "wasm-floor" },
  { id: "wasm-trace-id", label: "trace-id (Wasm)", kind: "wasm", filters: [traceId] },
  { id: "lua-trace-id", label: "trace-id (Lua)", kind: "lua", filters: [lua("trace-id")], equivalentOf: "wasm-trace-id" },
  { id: "native-request-id", label: "request-id generation (HCM, native)", kind: "native", filters: [], connectionManager: { generate_request_id: true }, equivalentOf: "wasm-trace-id" },
  { id: "wasm-tagging", label: "tagging (Wasm)", kind: "wasm", filters: [tagging] },
  { id: "lua-tagging", label: "tagging (Lua)", kind: "lua", filters: [lua("tagging")], equivalentOf: "wasm-tagging" },
  { id: "wasm-rate-limit", label: "rate-limit, 1 keyed rule (Wasm)", kind: "wasm", filters: [rateLimit] },
  { id: "native-rate-limit", label: "local_ratelimit, 1 keyed descriptor (native)", kind: "native", filters: [localRateLimit], equivalentOf: "wasm-rate-limit" },
  { id: "wasm-chain", label: "chain trace-id + rate-limit + tagging (Wasm)", kind: "wasm", filters: [traceId, rateLimit, tagging] },
  { id: "wasm-chain-module", label: "chain module: trace-id → tagging → rate-limit in one Wasm filter", kind: "wasm", filters: [chainModule(traceId, tagging, rateLimit)], equivalentOf: "wasm-chain" },
  { id: "wasm-chain-every-export", label: "chain of the three Wasm filters, every callback exported (before)", kind: "wasm", filters: [traceId, rateLimit, tagging].map(everyExport), equivalentOf: "wasm-chain" },
  { id: "lua-native-chain", label: "chain Lua trace-id + local_ratelimit + Lua tagging", kind: "lua", filters: [lua("trace-id"), localRateLimit, lua("tagging")], equivalentOf: "wasm-chain" },
];

/** The filters of a variant, with its peer's filter when it has one (throws the peer's build error). */
export function variantFilters(v: Variant): HttpFilter[] {
  return v.peer ? [...v.filters, peerModule(v.peer)] : v.filters;
}
