// The module's exports: every callback of ABI 0.2.1, dispatched to the registered contexts.
// A filter's entry file re-exports this module (`export * from "proxy-wasm-as/assembly/proxy"`).
import { allocate } from "./memory";
import "./abort"; // keeps the abort handler (asc --use abort=...) in every module
import { getBufferString } from "./hostcalls";
import { BufferTypeValues } from "./types";
import { vmContext, vmStarted, markVmStarted, roots, createRoot, createStream, stream, findStream, root, forget } from "./registry";

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_memory_allocate(size: usize): usize { return allocate(size); }
/** Deprecated name Envoy still looks up first. */
export function malloc(size: usize): usize { return allocate(size); }

// ---- context lifecycle
export function proxy_on_context_create(context_id: u32, parent_context_id: u32): void {
  if (parent_context_id == 0) createRoot(context_id);
  else createStream(context_id, parent_context_id);
}

export function proxy_on_done(context_id: u32): bool {
  const s = findStream(context_id);
  if (s !== null) return s.onDone();
  if (roots.has(context_id)) return roots.get(context_id).onDone();
  return true;
}

export function proxy_on_log(context_id: u32): void {
  const s = findStream(context_id);
  if (s !== null) s.onLog();
  else if (roots.has(context_id)) roots.get(context_id).onLog();
}

export function proxy_on_delete(context_id: u32): void {
  const s = findStream(context_id);
  if (s !== null) s.onDelete();
  else if (roots.has(context_id)) roots.get(context_id).onDelete();
  forget(context_id);
}

// ---- configuration
export function proxy_on_vm_start(root_context_id: u32, vm_configuration_size: u32): bool {
  const vm = vmContext;
  if (vm !== null && !vmStarted) {
    markVmStarted();
    const text = vm_configuration_size == 0 ? "" : getBufferString(BufferTypeValues.VmConfiguration, 0, vm_configuration_size);
    if (!vm.onVmStart(text)) return false;
  }
  return root(root_context_id).onStart(vm_configuration_size);
}

export function proxy_on_configure(root_context_id: u32, configuration_size: u32): bool {
  return root(root_context_id).onConfigure(configuration_size);
}

// ---- timers, queues, foreign functions
export function proxy_on_tick(root_context_id: u32): void { root(root_context_id).onTick(); }
export function proxy_on_queue_ready(root_context_id: u32, queue_id: u32): void { root(root_context_id).onQueueReady(queue_id); }
export function proxy_on_foreign_function(root_context_id: u32, function_id: u32, arguments_size: u32): void {
  root(root_context_id).onForeignFunction(function_id, arguments_size);
}

// ---- TCP
export function proxy_on_new_connection(context_id: u32): u32 { return stream(context_id).onNewConnection(); }
export function proxy_on_downstream_data(context_id: u32, data_size: u32, end_of_stream: u32): u32 {
  return stream(context_id).onDownstreamData(data_size, end_of_stream != 0);
}
export function proxy_on_downstream_connection_close(context_id: u32, peer_type: u32): void {
  stream(context_id).onDownstreamConnectionClose(peer_type);
}
export function proxy_on_upstream_data(context_id: u32, data_size: u32, end_of_stream: u32): u32 {
  return stream(context_id).onUpstreamData(data_size, end_of_stream != 0);
}
export function proxy_on_upstream_connection_close(context_id: u32, peer_type: u32): void {
  stream(context_id).onUpstreamConnectionClose(peer_type);
}

// ---- HTTP
export function proxy_on_request_headers(context_id: u32, num_headers: u32, end_of_stream: u32): u32 {
  return stream(context_id).onRequestHeaders(num_headers, end_of_stream != 0);
}
export function proxy_on_request_body(context_id: u32, body_size: u32, end_of_stream: u32): u32 {
  return stream(context_id).onRequestBody(body_size, end_of_stream != 0);
}
export function proxy_on_request_trailers(context_id: u32, num_trailers: u32): u32 {
  return stream(context_id).onRequestTrailers(num_trailers);
}
export function proxy_on_response_headers(context_id: u32, num_headers: u32, end_of_stream: u32): u32 {
  return stream(context_id).onResponseHeaders(num_headers, end_of_stream != 0);
}
export function proxy_on_response_body(context_id: u32, body_size: u32, end_of_stream: u32): u32 {
  return stream(context_id).onResponseBody(body_size, end_of_stream != 0);
}
export function proxy_on_response_trailers(context_id: u32, num_trailers: u32): u32 {
  return stream(context_id).onResponseTrailers(num_trailers);
}

// ---- callouts
export function proxy_on_http_call_response(root_context_id: u32, call_id: u32, num_headers: u32, body_size: u32, num_trailers: u32): void {
  root(root_context_id).on_http_call_response(call_id, num_headers, body_size, num_trailers);
}
export function proxy_on_grpc_receive_initial_metadata(root_context_id: u32, call_id: u32, num_elements: u32): void {
  root(root_context_id).on_grpc_event(0, call_id, num_elements);
}
export function proxy_on_grpc_receive(root_context_id: u32, call_id: u32, message_size: u32): void {
  root(root_context_id).on_grpc_event(1, call_id, message_size);
}
export function proxy_on_grpc_receive_trailing_metadata(root_context_id: u32, call_id: u32, num_elements: u32): void {
  root(root_context_id).on_grpc_event(2, call_id, num_elements);
}
export function proxy_on_grpc_close(root_context_id: u32, call_id: u32, status_code: u32): void {
  root(root_context_id).on_grpc_event(3, call_id, status_code);
}
