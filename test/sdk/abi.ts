// The proxy-wasm ABI 0.2.1 contract (proxy-wasm spec abi-versions/v0.2.1, and what Envoy's host,
// proxy-wasm-cpp-host, registers): every host import and module export with its wasm signature.
// All parameters are i32 except where the ABI passes a 64-bit value.

export type ValType = "i32" | "i64" | "f32" | "f64";
export interface Sig { params: ValType[]; results: ValType[] }
export interface AbiImport extends Sig { module: string; name: string }
export interface AbiExport extends Sig { name: string }

const i32 = (n: number): ValType[] => Array(n).fill("i32");
const status: ValType[] = ["i32"]; // proxy_status_t / wasi_errno_t
const imp = (name: string, params: ValType[], results: ValType[] = status, module = "env"): AbiImport =>
  ({ module, name, params, results });
const wasi = (name: string, params: ValType[], results: ValType[] = status) =>
  imp(name, params, results, "wasi_snapshot_preview1");

/** The 47 host functions a 0.2.1 module may import (module `env` unless WASI). */
export const ABI_IMPORTS: AbiImport[] = [
  // context lifecycle
  imp("proxy_done", []),
  imp("proxy_set_effective_context", i32(1)),
  // logging
  imp("proxy_log", i32(3)),
  wasi("fd_write", i32(4)),
  imp("proxy_get_log_level", i32(1)),
  // clocks, timers, randomness, environment
  imp("proxy_get_current_time_nanoseconds", i32(1)),
  wasi("clock_time_get", ["i32", "i64", "i32"]),
  imp("proxy_set_tick_period_milliseconds", i32(1)),
  wasi("random_get", i32(2)),
  wasi("environ_sizes_get", i32(2)),
  wasi("environ_get", i32(2)),
  // buffers
  imp("proxy_set_buffer_bytes", i32(5)),
  imp("proxy_get_buffer_bytes", i32(5)),
  imp("proxy_get_buffer_status", i32(3)),
  // HTTP fields
  imp("proxy_get_header_map_size", i32(2)),
  imp("proxy_get_header_map_pairs", i32(3)),
  imp("proxy_set_header_map_pairs", i32(3)),
  imp("proxy_get_header_map_value", i32(5)),
  imp("proxy_add_header_map_value", i32(5)),
  imp("proxy_replace_header_map_value", i32(5)),
  imp("proxy_remove_header_map_value", i32(3)),
  // stream operations
  imp("proxy_continue_stream", i32(1)),
  imp("proxy_close_stream", i32(1)),
  imp("proxy_get_status", i32(3)),
  imp("proxy_send_local_response", i32(8)),
  // HTTP and gRPC calls
  imp("proxy_http_call", i32(10)),
  imp("proxy_grpc_call", i32(12)),
  imp("proxy_grpc_stream", i32(9)),
  imp("proxy_grpc_send", i32(4)),
  imp("proxy_grpc_cancel", i32(1)),
  imp("proxy_grpc_close", i32(1)),
  // shared data and queues
  imp("proxy_set_shared_data", i32(5)),
  imp("proxy_get_shared_data", i32(5)),
  imp("proxy_register_shared_queue", i32(3)),
  imp("proxy_resolve_shared_queue", i32(5)),
  imp("proxy_enqueue_shared_queue", i32(3)),
  imp("proxy_dequeue_shared_queue", i32(3)),
  // metrics
  imp("proxy_define_metric", i32(4)),
  imp("proxy_record_metric", ["i32", "i64"]),
  imp("proxy_increment_metric", ["i32", "i64"]),
  imp("proxy_get_metric", i32(2)),
  // properties
  imp("proxy_get_property", i32(4)),
  imp("proxy_set_property", i32(4)),
  // foreign functions
  imp("proxy_call_foreign_function", i32(6)),
  // WASI stubs the host must provide
  wasi("args_sizes_get", i32(2)),
  wasi("args_get", i32(2)),
  wasi("proc_exit", i32(1), []),
];

const exp = (name: string, params: ValType[], results: ValType[] = []): AbiExport => ({ name, params, results });

/** The 31 module functions of the ABI. */
export const ABI_EXPORTS: AbiExport[] = [
  // integration
  exp("proxy_abi_version_0_2_1", []),
  exp("_initialize", []),
  exp("main", i32(2), i32(1)),
  exp("_start", []),
  // memory
  exp("proxy_on_memory_allocate", i32(1), i32(1)),
  exp("malloc", i32(1), i32(1)),
  // context lifecycle
  exp("proxy_on_context_create", i32(2)),
  exp("proxy_on_done", i32(1), i32(1)),
  exp("proxy_on_log", i32(1)),
  exp("proxy_on_delete", i32(1)),
  // configuration
  exp("proxy_on_vm_start", i32(2), i32(1)),
  exp("proxy_on_configure", i32(2), i32(1)),
  // timers
  exp("proxy_on_tick", i32(1)),
  // TCP
  exp("proxy_on_new_connection", i32(1), i32(1)),
  exp("proxy_on_downstream_data", i32(3), i32(1)),
  exp("proxy_on_downstream_connection_close", i32(2)),
  exp("proxy_on_upstream_data", i32(3), i32(1)),
  exp("proxy_on_upstream_connection_close", i32(2)),
  // HTTP
  exp("proxy_on_request_headers", i32(3), i32(1)),
  exp("proxy_on_request_body", i32(3), i32(1)),
  exp("proxy_on_request_trailers", i32(2), i32(1)),
  exp("proxy_on_response_headers", i32(3), i32(1)),
  exp("proxy_on_response_body", i32(3), i32(1)),
  exp("proxy_on_response_trailers", i32(2), i32(1)),
  // callouts
  exp("proxy_on_http_call_response", i32(5)),
  exp("proxy_on_grpc_receive_initial_metadata", i32(3)),
  exp("proxy_on_grpc_receive", i32(3)),
  exp("proxy_on_grpc_receive_trailing_metadata", i32(3)),
  exp("proxy_on_grpc_close", i32(3)),
  // queues, foreign functions
  exp("proxy_on_queue_ready", i32(2)),
  exp("proxy_on_foreign_function", i32(3)),
];

/**
 * ABI exports the SDK deliberately does not export. It exports `_initialize` (WASI reactor), so
 * the host runs that and never `_start`; `main` is optional (called after `_initialize` only if
 * present) and an AssemblyScript module has nothing to do there.
 */
export const NOT_EXPORTED_BY_DESIGN = new Set(["main", "_start"]);

/** A module built from `assembly/proxy.ts` exports exactly these (plus `memory`): every callback. */
export const ALL_SDK_EXPORTS = ABI_EXPORTS.filter((e) => !NOT_EXPORTED_BY_DESIGN.has(e.name));

/**
 * Every module built with the SDK exports at least these: `assembly/proxy-core.ts` plus `_initialize`.
 * The other callbacks are optional — Envoy skips a callback a module does not export — and a filter
 * exports only those it implements, so it pays no V8 call for the rest.
 */
export const REQUIRED_EXPORTS = ABI_EXPORTS.filter((e) => [
  "proxy_abi_version_0_2_1", "_initialize", "proxy_on_memory_allocate", "malloc",
  "proxy_on_context_create", "proxy_on_delete", "proxy_on_vm_start", "proxy_on_configure",
].includes(e.name));

/**
 * Names Envoy does not register under ABI 0.2.x: importing one makes the module fail to load.
 * (0.1.0-only functions, and names from other SDKs' or hosts' extensions.)
 */
export const FORBIDDEN_IMPORTS = new Set([
  "proxy_clear_route_cache",
  "proxy_continue_request",
  "proxy_continue_response",
  "proxy_get_configuration",
  "proxy_send_http_response",
  "proxy_get_header_map_value_size",
  "proxy_call_foreign_function_v2",
  "proxy_redis_init",
  "proxy_redis_call",
  "abort", // AssemblyScript's default env.abort: Envoy has no such import
  "trace",
  "seed",
]);

export const sigText = (s: Sig) => `(${s.params.join(", ")}) -> (${s.results.join(", ")})`;
export const importKey = (i: { module: string; name: string }) => `${i.module}.${i.name}`;
