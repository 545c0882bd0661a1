// Compiled with every spec by the shipped as-pect configuration (proxy-wasm-as/aspect): the spec
// module then exports the proxy-wasm ABI, so the test host can drive the filter the spec imports.
export * from "proxy-wasm-as/assembly/proxy";
