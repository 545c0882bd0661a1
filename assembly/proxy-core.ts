// The exports every module needs, and nothing else: the ABI marker, memory allocation, context
// creation and deletion (the SDK's context registry forgets a stream on proxy_on_delete), VM start
// and plugin configuration. A filter adds the callbacks it implements, by name, from the same
// dispatcher (assembly/sdk/dispatcher.ts):
//
//   export * from "proxy-wasm-as/assembly/proxy-core";
//   export { proxy_on_request_headers, proxy_on_response_headers } from "proxy-wasm-as/assembly/sdk/dispatcher";
//
// Why: Envoy (proxy-wasm-cpp-host) looks every callback up once when it loads the module and skips
// one the module does not export, so a callback left out costs nothing per request, while an
// exported one costs a call into V8 even when the SDK's default does nothing (proxy_on_log,
// proxy_on_done, proxy_on_request_body, … on every request). `assembly/proxy.ts` still exports
// every callback: the safe default, and what a filter overriding many callbacks should use.
export {
  proxy_abi_version_0_2_1,
  proxy_on_memory_allocate,
  malloc,
  proxy_on_context_create,
  proxy_on_vm_start,
  proxy_on_configure,
  proxy_on_delete,
} from "./sdk/dispatcher";
