// assembly/filters/trace-id as it was built before filters chose their exports: the same filter (its
// file is imported for its registration) with every ABI callback exported. bench:envoy's
// `wasm-chain-every-export` variant uses it.
export * from "../../../assembly/proxy";
import "../../../assembly/filters/trace-id/index";
