// Safe wrappers over imports.ts. Expected host statuses (NOT_FOUND, CAS_MISMATCH, EMPTY, …) come back
// as values, never as traps; the status of the latest call is also kept in `lastStatus()`.
import * as imp from "./imports";
import { OUT_PTR, OUT_LEN, OUT_EXTRA, SLOT_A, SLOT_B, SLOT_C, SLOT_D, takeString, takeBuffer } from "./memory";
import { Headers, serializeHeaders, deserializeHeaders } from "./headers";
import { WasmResultValues, LogLevelValues, MetricTypeValues, HeaderMapTypeValues } from "./types";
import { requestHeadersWritten, requestLinesStale, LineEdit } from "./headerlines";

let status: u32 = 0;
/** Status of the latest wrapped host call (WasmResultValues). */
export function lastStatus(): u32 { return status; }

function clearOut(): void {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_LEN, 0);
}

// ---------------------------------------------------------------- logging

/** The host's current log level (proxy_get_log_level); info if the host cannot say. */
export function getLogLevel(): u32 {
  store<u32>(OUT_PTR, <u32>LogLevelValues.info);
  status = imp.proxy_get_log_level(OUT_PTR);
  return status == WasmResultValues.Ok ? load<u32>(OUT_PTR) : <u32>LogLevelValues.info;
}

/** True when a message at `level` would be printed: check before formatting an expensive message. */
export function logEnabled(level: u32): bool { return level >= getLogLevel(); }

/** Logs `message` when the host's level lets it through (one cheap host call decides first). */
export function log(level: u32, message: string): void {
  if (level < getLogLevel()) return;
  const s = SLOT_A.set(message);
  status = imp.proxy_log(level, s.ptr, s.len);
}

// ---------------------------------------------------------------- buffers

export function getBufferBytes(bufferType: u32, start: u32, maxSize: u32): ArrayBuffer {
  clearOut();
  status = imp.proxy_get_buffer_bytes(bufferType, start, maxSize, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeBuffer() : new ArrayBuffer(0);
}

export function getBufferString(bufferType: u32, start: u32, maxSize: u32): string {
  clearOut();
  status = imp.proxy_get_buffer_bytes(bufferType, start, maxSize, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeString() : "";
}

/** The size of a buffer, or -1 if the host has none of that type now. */
export function getBufferSize(bufferType: u32): i64 {
  store<u32>(OUT_PTR, 0);
  status = imp.proxy_get_buffer_status(bufferType, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? <i64>load<u32>(OUT_PTR) : -1;
}

/** Replaces bytes [start, start+size) of a buffer (start=0,size=0 prepends; start ≥ length appends). */
export function setBufferBytes(bufferType: u32, start: u32, size: u32, value: ArrayBuffer): u32 {
  status = imp.proxy_set_buffer_bytes(bufferType, start, size, changetype<usize>(value), value.byteLength);
  return status;
}

export function setBufferString(bufferType: u32, start: u32, size: u32, value: string): u32 {
  const s = SLOT_A.set(value);
  status = imp.proxy_set_buffer_bytes(bufferType, start, size, s.ptr, s.len);
  return status;
}

// ---------------------------------------------------------------- header maps

/** A header value, or null when absent. */
export function getHeader(mapType: u32, key: string): string | null {
  const k = SLOT_A.set(key);
  clearOut();
  status = imp.proxy_get_header_map_value(mapType, k.ptr, k.len, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeString() : null;
}

export function addHeader(mapType: u32, key: string, value: string): u32 {
  const k = SLOT_A.set(key);
  const v = SLOT_B.set(value);
  status = imp.proxy_add_header_map_value(mapType, k.ptr, k.len, v.ptr, v.len);
  if (mapType == HeaderMapTypeValues.RequestHeaders) requestHeadersWritten(LineEdit.Add, k.ptr, k.len, v.ptr, v.len, status);
  return status;
}

export function replaceHeader(mapType: u32, key: string, value: string): u32 {
  const k = SLOT_A.set(key);
  const v = SLOT_B.set(value);
  status = imp.proxy_replace_header_map_value(mapType, k.ptr, k.len, v.ptr, v.len);
  if (mapType == HeaderMapTypeValues.RequestHeaders) requestHeadersWritten(LineEdit.Replace, k.ptr, k.len, v.ptr, v.len, status);
  return status;
}

export function removeHeader(mapType: u32, key: string): u32 {
  const k = SLOT_A.set(key);
  status = imp.proxy_remove_header_map_value(mapType, k.ptr, k.len);
  if (mapType == HeaderMapTypeValues.RequestHeaders) requestHeadersWritten(LineEdit.Remove, k.ptr, k.len, 0, 0, status);
  return status;
}

export function getHeaderPairs(mapType: u32): Headers {
  clearOut();
  status = imp.proxy_get_header_map_pairs(mapType, OUT_PTR, OUT_LEN);
  if (status != WasmResultValues.Ok) return new Array();
  const ptr = load<usize>(OUT_PTR);
  const len = load<usize>(OUT_LEN);
  if (ptr == 0) return new Array();
  const result = deserializeHeaders(ptr, len);
  heap.free(ptr);
  return result;
}

export function setHeaderPairs(mapType: u32, headers: Headers): u32 {
  const buf = serializeHeaders(headers);
  if (mapType == HeaderMapTypeValues.RequestHeaders) requestLinesStale();
  status = imp.proxy_set_header_map_pairs(mapType, changetype<usize>(buf), buf.byteLength);
  return status;
}

/** Size of a header map as Envoy reports it (the sum of key and value lengths), or -1. */
export function getHeaderMapSize(mapType: u32): i64 {
  store<u32>(OUT_PTR, 0);
  status = imp.proxy_get_header_map_size(mapType, OUT_PTR);
  return status == WasmResultValues.Ok ? <i64>load<u32>(OUT_PTR) : -1;
}

// ---------------------------------------------------------------- stream control

// Each of these may hand the request to other filters or another stream: the shared request lines are re-read after it.
export function continueStream(streamType: u32): u32 { requestLinesStale(); status = imp.proxy_continue_stream(streamType); return status; }
export function closeStream(streamType: u32): u32 { requestLinesStale(); status = imp.proxy_close_stream(streamType); return status; }
export function setEffectiveContext(contextId: u32): u32 { requestLinesStale(); status = imp.proxy_set_effective_context(contextId); return status; }
export function done(): u32 { status = imp.proxy_done(); return status; }

/** Status code and message of the current callout response or failure (proxy_get_status). */
export class HostStatus { constructor(public code: u32, public message: string) {} }
export function getStatus(): HostStatus {
  store<u32>(OUT_EXTRA, 0);
  clearOut();
  status = imp.proxy_get_status(OUT_EXTRA, OUT_PTR, OUT_LEN);
  if (status != WasmResultValues.Ok) return new HostStatus(0, "");
  const code = load<u32>(OUT_EXTRA);
  return new HostStatus(code, takeString());
}

/**
 * Ends the request with a response made here. `grpcStatus` -1 means a plain HTTP response.
 * Only valid before the response headers have gone downstream.
 */
export function sendLocalResponse(statusCode: u32, details: string, body: ArrayBuffer, headers: Headers, grpcStatus: i32 = -1): u32 {
  const d = SLOT_A.set(details);
  const h = serializeHeaders(headers);
  requestLinesStale();
  status = imp.proxy_send_local_response(statusCode, d.ptr, d.len, changetype<usize>(body), body.byteLength,
    changetype<usize>(h), h.byteLength, grpcStatus);
  return status;
}

// ---------------------------------------------------------------- properties

/** Joins path segments with NUL, as the ABI wants: ["source", "address"] → "source\0address". */
export function propertyPath(segments: string[]): string {
  return segments.join("\0");
}

/** A property's raw bytes, or null when the host has no such property. `path` segments are NUL-joined. */
export function getPropertyBytes(path: string): ArrayBuffer | null {
  const p = SLOT_A.set(path);
  clearOut();
  status = imp.proxy_get_property(p.ptr, p.len, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeBuffer() : null;
}

/** A property as a string (UTF-8), or null. */
export function getPropertyString(path: string): string | null {
  const p = SLOT_A.set(path);
  clearOut();
  status = imp.proxy_get_property(p.ptr, p.len, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeString() : null;
}

export function setProperty(path: string, value: ArrayBuffer): u32 {
  const p = SLOT_A.set(path);
  status = imp.proxy_set_property(p.ptr, p.len, changetype<usize>(value), value.byteLength);
  return status;
}

// ---------------------------------------------------------------- shared data

/** A shared-data value with its CAS token. `value` is null when the key does not exist (cas is then 0). */
export class SharedValue {
  constructor(public value: ArrayBuffer | null, public cas: u32) {}
}

export function getSharedData(key: string): SharedValue {
  const k = SLOT_A.set(key);
  clearOut();
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_get_shared_data(k.ptr, k.len, OUT_PTR, OUT_LEN, OUT_EXTRA);
  if (status != WasmResultValues.Ok) return new SharedValue(null, 0);
  const cas = load<u32>(OUT_EXTRA);
  return new SharedValue(takeBuffer(), cas);
}

/** Sets a shared value; cas 0 writes unconditionally, else CasMismatch if someone wrote in between. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): u32 {
  const k = SLOT_A.set(key);
  status = imp.proxy_set_shared_data(k.ptr, k.len, changetype<usize>(value), value.byteLength, cas);
  return status;
}

// ---------------------------------------------------------------- shared queues

/** Registers (or re-opens) a queue owned by this VM; returns its id, or 0 on failure. */
export function registerSharedQueue(name: string): u32 {
  const n = SLOT_A.set(name);
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_register_shared_queue(n.ptr, n.len, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}

/** Finds a queue registered by the VM `vmId`; returns its id, or 0 (NotFound). */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const v = SLOT_A.set(vmId);
  const n = SLOT_B.set(name);
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_resolve_shared_queue(v.ptr, v.len, n.ptr, n.len, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): u32 {
  status = imp.proxy_enqueue_shared_queue(queueId, changetype<usize>(value), value.byteLength);
  return status;
}

/** The next item, or null (status Empty when the queue is empty, NotFound for a bad id). */
export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  clearOut();
  status = imp.proxy_dequeue_shared_queue(queueId, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeBuffer() : null;
}

// ---------------------------------------------------------------- metrics

/** Defines a metric and returns its id (0 on failure). Tags go in the name, Envoy-style. */
export function defineMetric(type: MetricTypeValues, name: string): u32 {
  const n = SLOT_A.set(name);
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_define_metric(<u32>type, n.ptr, n.len, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}
export function incrementMetric(id: u32, delta: i64): u32 { status = imp.proxy_increment_metric(id, delta); return status; }
export function recordMetric(id: u32, value: u64): u32 { status = imp.proxy_record_metric(id, value); return status; }
export function getMetric(id: u32): u64 {
  store<u64>(OUT_EXTRA, 0);
  status = imp.proxy_get_metric(id, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u64>(OUT_EXTRA) : 0;
}

// ---------------------------------------------------------------- timers and clocks

export function setTickPeriodMilliseconds(ms: u32): u32 { status = imp.proxy_set_tick_period_milliseconds(ms); return status; }

/** Wall-clock time in nanoseconds since the epoch (WASI clock_time_get, realtime clock). */
export function getCurrentTimeNanoseconds(): u64 {
  store<u64>(OUT_EXTRA, 0);
  const errno = imp.wasi_clock_time_get(0, 1, OUT_EXTRA);
  if (errno == 0) return load<u64>(OUT_EXTRA);
  status = imp.proxy_get_current_time_nanoseconds(OUT_EXTRA);
  return load<u64>(OUT_EXTRA);
}

/** Monotonic time in nanoseconds (WASI clock 1); use it to measure intervals. */
export function getMonotonicTimeNanoseconds(): u64 {
  store<u64>(OUT_EXTRA, 0);
  imp.wasi_clock_time_get(1, 1, OUT_EXTRA);
  return load<u64>(OUT_EXTRA);
}

/** The deprecated proxy clock, for hosts without WASI clocks. */
export function getProxyTimeNanoseconds(): u64 {
  store<u64>(OUT_EXTRA, 0);
  status = imp.proxy_get_current_time_nanoseconds(OUT_EXTRA);
  return load<u64>(OUT_EXTRA);
}

// ---------------------------------------------------------------- randomness and environment

/** Fills `buf` with random bytes from the host (WASI random_get). Returns false on failure. */
export function randomFill(buf: ArrayBuffer): bool {
  return imp.wasi_random_get(changetype<usize>(buf), buf.byteLength) == 0;
}

/** Reads `count` NUL-terminated strings whose pointers the host wrote at `ptrs`, all inside buf[0, size). */
function readCStrings(ptrs: usize, count: u32, buf: usize, size: u32, out: string[]): void {
  const end = buf + <usize>size;
  for (let i: u32 = 0; i < count; i++) {
    const p = <usize>load<u32>(ptrs + <usize>i * 4);
    if (p < buf || p >= end) continue; // a host bug must not make us read outside the buffer
    out.push(String.UTF8.decodeUnsafe(p, end - p, true));
  }
}

/** Environment variables given to the VM (Envoy vm_config.environment_variables), as NAME=value. */
export function getEnvironment(): string[] {
  const out = new Array<string>();
  store<u32>(OUT_PTR, 0);
  store<u32>(OUT_LEN, 0);
  if (imp.wasi_environ_sizes_get(OUT_PTR, OUT_LEN) != 0) return out;
  const count = load<u32>(OUT_PTR);
  const size = load<u32>(OUT_LEN);
  if (count == 0) return out;
  const ptrs = heap.alloc(<usize>count * 4);
  const buf = heap.alloc(size == 0 ? 1 : size);
  if (imp.wasi_environ_get(ptrs, buf) == 0) {
    readCStrings(ptrs, count, buf, size, out);
  }
  heap.free(ptrs);
  heap.free(buf);
  return out;
}

/** One environment variable's value, or null. */
export function getEnv(name: string): string | null {
  const all = getEnvironment();
  const prefix = name + "=";
  for (let i = 0; i < all.length; i++) {
    if (all[i].startsWith(prefix)) return all[i].substring(prefix.length);
  }
  return null;
}

/** Command-line arguments (always none under Envoy; here for completeness of the WASI surface). */
export function getArgsCount(): u32 {
  store<u32>(OUT_PTR, 0);
  store<u32>(OUT_LEN, 0);
  imp.wasi_args_sizes_get(OUT_PTR, OUT_LEN);
  return load<u32>(OUT_PTR);
}

/** Command-line arguments (WASI args_get; Envoy passes none). */
export function getArgs(): string[] {
  const out = new Array<string>();
  store<u32>(OUT_PTR, 0);
  store<u32>(OUT_LEN, 0);
  if (imp.wasi_args_sizes_get(OUT_PTR, OUT_LEN) != 0) return out;
  const count = load<u32>(OUT_PTR);
  const size = load<u32>(OUT_LEN);
  if (count == 0) return out;
  const ptrs = heap.alloc(<usize>count * 4);
  const buf = heap.alloc(size == 0 ? 1 : size);
  if (imp.wasi_args_get(ptrs, buf) == 0) {
    readCStrings(ptrs, count, buf, size, out);
  }
  heap.free(ptrs);
  heap.free(buf);
  return out;
}

/** Writes to the host's stdout (INFO log) or stderr (ERROR log) through WASI fd_write. */
export function writeFd(fd: u32, text: string): u32 {
  const s = SLOT_A.set(text);
  store<u32>(OUT_EXTRA, <u32>s.ptr);
  store<u32>(OUT_EXTRA + 4, <u32>s.len);
  store<u32>(OUT_PTR, 0);
  return imp.wasi_fd_write(fd, OUT_EXTRA, 1, OUT_PTR);
}

// ---------------------------------------------------------------- foreign functions

/** Calls a host foreign function; returns its result bytes, or null (status in lastStatus()). */
export function callForeignFunction(name: string, args: ArrayBuffer): ArrayBuffer | null {
  const n = SLOT_A.set(name);
  clearOut();
  status = imp.proxy_call_foreign_function(n.ptr, n.len, changetype<usize>(args), args.byteLength, OUT_PTR, OUT_LEN);
  return status == WasmResultValues.Ok ? takeBuffer() : null;
}

// ---------------------------------------------------------------- callouts

/** Starts an HTTP callout; returns the call id, or 0 (BadArgument: unknown cluster or missing :method/:path/:authority). */
export function httpCall(cluster: string, headers: Headers, body: ArrayBuffer, trailers: Headers, timeoutMs: u32): u32 {
  const c = SLOT_A.set(cluster);
  const h = serializeHeaders(headers);
  const t = serializeHeaders(trailers);
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_http_call(c.ptr, c.len, changetype<usize>(h), h.byteLength, changetype<usize>(body), body.byteLength,
    changetype<usize>(t), t.byteLength, timeoutMs, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}

export function grpcCall(cluster: string, service: string, method: string, metadata: Headers, message: ArrayBuffer, timeoutMs: u32): u32 {
  const c = SLOT_A.set(cluster);
  const s = SLOT_B.set(service);
  const m = SLOT_C.set(method);
  const md = serializeHeaders(metadata);
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_grpc_call(c.ptr, c.len, s.ptr, s.len, m.ptr, m.len, changetype<usize>(md), md.byteLength,
    changetype<usize>(message), message.byteLength, timeoutMs, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}

export function grpcStream(cluster: string, service: string, method: string, metadata: Headers): u32 {
  const c = SLOT_A.set(cluster);
  const s = SLOT_B.set(service);
  const m = SLOT_C.set(method);
  const md = serializeHeaders(metadata);
  store<u32>(OUT_EXTRA, 0);
  status = imp.proxy_grpc_stream(c.ptr, c.len, s.ptr, s.len, m.ptr, m.len, changetype<usize>(md), md.byteLength, OUT_EXTRA);
  return status == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}

export function grpcSend(streamId: u32, message: ArrayBuffer, endStream: bool): u32 {
  status = imp.proxy_grpc_send(streamId, changetype<usize>(message), message.byteLength, endStream ? 1 : 0);
  return status;
}
export function grpcCancel(id: u32): u32 { status = imp.proxy_grpc_cancel(id); return status; }
export function grpcClose(id: u32): u32 { status = imp.proxy_grpc_close(id); return status; }

// SLOT_D is kept for callers composing four strings in one call.
export { SLOT_D };
