// examples/add-header as it was built before filters chose their exports: the same filter (its
// file is imported for its registration), but every ABI callback exported (assembly/proxy.ts), so
// Envoy calls proxy_on_request_headers, proxy_on_log and proxy_on_done into V8 on every request
// although the SDK's defaults do nothing there. bench:envoy's `wasm-floor-every-export` variant.
export * from "../../../assembly/proxy";
import "../../../examples/add-header/assembly/index";
