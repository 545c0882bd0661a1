// The module exports Envoy calls (ABI 0.2.1). Every filter's entry file re-exports this:
//   export * from "proxy-wasm-as/assembly/proxy";
export * from "./sdk/dispatcher";
