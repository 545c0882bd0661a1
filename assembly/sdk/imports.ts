// Raw host imports of the proxy-wasm ABI 0.2.1 (module "env") and the WASI calls Envoy provides.
// Names and signatures are exactly the ABI's; AssemblyScript emits an import only when it is used,
// so a module imports nothing Envoy does not register. Safe wrappers live in hostcalls.ts.
// Never add proxy_clear_route_cache, proxy_continue_request or proxy_get_configuration here:
// Envoy does not register them under 0.2.x and the module would fail to load.

// ---- context lifecycle
// @ts-ignore: decorator
@external("env", "proxy_done") export declare function proxy_done(): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_effective_context") export declare function proxy_set_effective_context(context_id: u32): u32;

// ---- logging
// @ts-ignore: decorator
@external("env", "proxy_log") export declare function proxy_log(level: u32, message_data: usize, message_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_log_level") export declare function proxy_get_log_level(return_level: usize): u32;

// ---- clocks and timers
// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds") export declare function proxy_get_current_time_nanoseconds(return_time: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds") export declare function proxy_set_tick_period_milliseconds(period: u32): u32;

// ---- buffers
// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes") export declare function proxy_get_buffer_bytes(buffer_type: u32, start: u32, max_size: u32, return_data: usize, return_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes") export declare function proxy_set_buffer_bytes(buffer_type: u32, start: u32, size: u32, data: usize, data_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status") export declare function proxy_get_buffer_status(buffer_type: u32, return_size: usize, return_unused: usize): u32;

// ---- HTTP fields (header and trailer maps)
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_size") export declare function proxy_get_header_map_size(map_type: u32, return_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs") export declare function proxy_get_header_map_pairs(map_type: u32, return_data: usize, return_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs") export declare function proxy_set_header_map_pairs(map_type: u32, data: usize, size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value") export declare function proxy_get_header_map_value(map_type: u32, key_data: usize, key_size: usize, return_data: usize, return_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value") export declare function proxy_add_header_map_value(map_type: u32, key_data: usize, key_size: usize, value_data: usize, value_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value") export declare function proxy_replace_header_map_value(map_type: u32, key_data: usize, key_size: usize, value_data: usize, value_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value") export declare function proxy_remove_header_map_value(map_type: u32, key_data: usize, key_size: usize): u32;

// ---- stream control
// @ts-ignore: decorator
@external("env", "proxy_continue_stream") export declare function proxy_continue_stream(stream_type: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_close_stream") export declare function proxy_close_stream(stream_type: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_status") export declare function proxy_get_status(return_code: usize, return_message_data: usize, return_message_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_send_local_response") export declare function proxy_send_local_response(status_code: u32, details_data: usize, details_size: usize, body_data: usize, body_size: usize, headers_data: usize, headers_size: usize, grpc_status: i32): u32;

// ---- HTTP and gRPC callouts
// @ts-ignore: decorator
@external("env", "proxy_http_call") export declare function proxy_http_call(upstream_data: usize, upstream_size: usize, headers_data: usize, headers_size: usize, body_data: usize, body_size: usize, trailers_data: usize, trailers_size: usize, timeout_ms: u32, return_call_id: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_call") export declare function proxy_grpc_call(upstream_data: usize, upstream_size: usize, service_data: usize, service_size: usize, method_data: usize, method_size: usize, metadata_data: usize, metadata_size: usize, message_data: usize, message_size: usize, timeout_ms: u32, return_call_id: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_stream") export declare function proxy_grpc_stream(upstream_data: usize, upstream_size: usize, service_data: usize, service_size: usize, method_data: usize, method_size: usize, metadata_data: usize, metadata_size: usize, return_stream_id: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_send") export declare function proxy_grpc_send(stream_id: u32, message_data: usize, message_size: usize, end_stream: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_cancel") export declare function proxy_grpc_cancel(call_id: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_close") export declare function proxy_grpc_close(call_id: u32): u32;

// ---- shared data and shared queues
// @ts-ignore: decorator
@external("env", "proxy_get_shared_data") export declare function proxy_get_shared_data(key_data: usize, key_size: usize, return_value_data: usize, return_value_size: usize, return_cas: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data") export declare function proxy_set_shared_data(key_data: usize, key_size: usize, value_data: usize, value_size: usize, cas: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue") export declare function proxy_register_shared_queue(name_data: usize, name_size: usize, return_queue_id: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue") export declare function proxy_resolve_shared_queue(vm_id_data: usize, vm_id_size: usize, name_data: usize, name_size: usize, return_queue_id: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue") export declare function proxy_enqueue_shared_queue(queue_id: u32, value_data: usize, value_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue") export declare function proxy_dequeue_shared_queue(queue_id: u32, return_value_data: usize, return_value_size: usize): u32;

// ---- metrics
// @ts-ignore: decorator
@external("env", "proxy_define_metric") export declare function proxy_define_metric(metric_type: u32, name_data: usize, name_size: usize, return_metric_id: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_increment_metric") export declare function proxy_increment_metric(metric_id: u32, delta: i64): u32;
// @ts-ignore: decorator
@external("env", "proxy_record_metric") export declare function proxy_record_metric(metric_id: u32, value: u64): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_metric") export declare function proxy_get_metric(metric_id: u32, return_value: usize): u32;

// ---- properties
// @ts-ignore: decorator
@external("env", "proxy_get_property") export declare function proxy_get_property(path_data: usize, path_size: usize, return_value_data: usize, return_value_size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_property") export declare function proxy_set_property(path_data: usize, path_size: usize, value_data: usize, value_size: usize): u32;

// ---- foreign functions
// @ts-ignore: decorator
@external("env", "proxy_call_foreign_function") export declare function proxy_call_foreign_function(name_data: usize, name_size: usize, args_data: usize, args_size: usize, return_results_data: usize, return_results_size: usize): u32;

// ---- WASI (wasi_snapshot_preview1), as Envoy provides it
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write") export declare function wasi_fd_write(fd: u32, iovs: usize, iovs_len: usize, return_written: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get") export declare function wasi_clock_time_get(clock_id: u32, precision: u64, return_time: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get") export declare function wasi_random_get(buf: usize, buf_len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_sizes_get") export declare function wasi_environ_sizes_get(return_count: usize, return_buf_size: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_get") export declare function wasi_environ_get(return_environ: usize, return_buf: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "args_sizes_get") export declare function wasi_args_sizes_get(return_argc: usize, return_buf_size: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "args_get") export declare function wasi_args_get(return_argv: usize, return_buf: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit") export declare function wasi_proc_exit(code: u32): void;
