// Header and property access without string conversions, for per-request hot paths: names are
// encoded to UTF-8 once (RawName), values are read in place from the buffer the host allocated
// (RawValue, freed by release()) and written straight from caller memory.
import * as imp from "./imports";
import { OUT_PTR, OUT_LEN, OUT_EXTRA, receiveInto, receivedInPlace } from "./memory";
import { WasmResultValues, HeaderMapTypeValues } from "./types";
import { RawName } from "./rawname";
import { requestHeadersWritten, requestLinesStale, LineEdit } from "./headerlines";

export { RawName } from "./rawname";

/** A value the host returned, still in the host-allocated buffer. Call release() once read. */
export class RawValue {
  ptr: usize = 0;
  len: usize = 0;
  /** The value landed in caller memory (the *Into readers): nothing to free. */
  inPlace: bool = false;
  release(): void {
    if (this.ptr != 0 && !this.inPlace) heap.free(this.ptr);
    this.ptr = 0;
    this.len = 0;
    this.inPlace = false;
  }
  toString(): string { return this.len == 0 ? "" : String.UTF8.decodeUnsafe(this.ptr, this.len); }
}

/** Reads a header into `out` (release it afterwards). False when absent or the host refused. */
export function getHeaderRaw(mapType: u32, name: RawName, out: RawValue): bool {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_LEN, 0);
  const status = imp.proxy_get_header_map_value(mapType, name.ptr, name.len, OUT_PTR, OUT_LEN);
  if (status != WasmResultValues.Ok) {
    out.ptr = 0;
    out.len = 0;
    return false;
  }
  out.ptr = load<usize>(OUT_PTR);
  out.len = load<usize>(OUT_LEN);
  return true;
}

/**
 * Like getHeaderRaw, but a value of at most `cap` bytes is written by the host straight to `ptr`
 * (out.inPlace; no allocation). A longer value arrives in a heap buffer as usual (release() frees it).
 */
// @ts-ignore: decorator
@inline export function getHeaderRawInto(mapType: u32, name: RawName, ptr: usize, cap: usize, out: RawValue): bool {
  receiveInto(ptr, cap);
  const ok = getHeaderRaw(mapType, name, out);
  out.inPlace = receivedInPlace(out.ptr);
  return ok;
}

/** A property's bytes, landing at `ptr` when at most `cap` bytes (see getHeaderRawInto). False when absent. */
// @ts-ignore: decorator
@inline export function getPropertyRawInto(path: RawName, ptr: usize, cap: usize, out: RawValue): bool {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_LEN, 0);
  receiveInto(ptr, cap);
  const status = imp.proxy_get_property(path.ptr, path.len, OUT_PTR, OUT_LEN);
  out.ptr = status == WasmResultValues.Ok ? load<usize>(OUT_PTR) : 0;
  out.len = status == WasmResultValues.Ok ? load<usize>(OUT_LEN) : 0;
  out.inPlace = receivedInPlace(out.ptr);
  return status == WasmResultValues.Ok;
}

/** Sets a header from `len` bytes at `ptr`, replacing any existing value. Returns the host status. */
export function replaceHeaderRaw(mapType: u32, name: RawName, ptr: usize, len: usize): u32 {
  const status = imp.proxy_replace_header_map_value(mapType, name.ptr, name.len, ptr, len);
  if (mapType == HeaderMapTypeValues.RequestHeaders) requestHeadersWritten(LineEdit.Replace, name.ptr, name.len, ptr, len, status);
  return status;
}

/** Removes a header (OK when absent). Returns the host status. */
export function removeHeaderRaw(mapType: u32, name: RawName): u32 {
  const status = imp.proxy_remove_header_map_value(mapType, name.ptr, name.len);
  if (mapType == HeaderMapTypeValues.RequestHeaders) requestHeadersWritten(LineEdit.Remove, name.ptr, name.len, 0, 0, status);
  return status;
}

/** Sets a stream property (Envoy keeps it as filter state `wasm.<name>`). Returns the host status. */
export function setPropertyRaw(name: RawName, ptr: usize, len: usize): u32 {
  return imp.proxy_set_property(name.ptr, name.len, ptr, len);
}

/** Calls a foreign function with `len` argument bytes at `ptr`; any result is dropped. Returns the status. */
export function callForeignRaw(name: RawName, ptr: usize, len: usize): u32 {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_LEN, 0);
  const status = imp.proxy_call_foreign_function(name.ptr, name.len, ptr, len, OUT_PTR, OUT_LEN);
  const result = load<usize>(OUT_PTR);
  if (result != 0) heap.free(result);
  return status;
}

/** A shared-data value read in place, with its CAS token. */
export class RawShared extends RawValue {
  cas: u32 = 0;
}

/**
 * Reads shared data for the key of `keyLen` bytes at `keyPtr` into `out` (release it afterwards):
 * no managed allocation, for per-request read-modify-write. Returns the host status (NotFound when
 * the key does not exist; `out` is then empty with cas 0).
 */
export function getSharedDataRaw(keyPtr: usize, keyLen: usize, out: RawShared): u32 {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_LEN, 0);
  store<u32>(OUT_EXTRA, 0);
  const status = imp.proxy_get_shared_data(keyPtr, keyLen, OUT_PTR, OUT_LEN, OUT_EXTRA);
  if (status != WasmResultValues.Ok) {
    out.ptr = 0;
    out.len = 0;
    out.cas = 0;
    return status;
  }
  out.ptr = load<usize>(OUT_PTR);
  out.len = load<usize>(OUT_LEN);
  out.cas = load<u32>(OUT_EXTRA);
  return status;
}

/** getSharedDataRaw, landing a value of at most `cap` bytes at `ptr` (out.inPlace; see getHeaderRawInto). */
// @ts-ignore: decorator
@inline export function getSharedDataRawInto(keyPtr: usize, keyLen: usize, ptr: usize, cap: usize, out: RawShared): u32 {
  receiveInto(ptr, cap);
  const status = getSharedDataRaw(keyPtr, keyLen, out);
  out.inPlace = receivedInPlace(out.ptr);
  return status;
}

/** Writes `valueLen` bytes at `valuePtr` to shared data; cas 0 writes unconditionally. Returns the host status. */
export function setSharedDataRaw(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize, cas: u32): u32 {
  return imp.proxy_set_shared_data(keyPtr, keyLen, valuePtr, valueLen, cas);
}

/**
 * Ends the request with a local response whose header map is already serialized (ABI map format,
 * `headersLen` bytes at `headersPtr`); `grpcStatus` -1 means a plain HTTP response. Returns the status.
 */
export function sendLocalResponseRaw(statusCode: u32, details: RawName, bodyPtr: usize, bodyLen: usize,
  headersPtr: usize, headersLen: usize, grpcStatus: i32 = -1): u32 {
  requestLinesStale();
  return imp.proxy_send_local_response(statusCode, details.ptr, details.len, bodyPtr, bodyLen, headersPtr, headersLen, grpcStatus);
}

/**
 * Starts a unary gRPC call whose names were encoded once and whose metadata (ABI map format) and
 * message are in caller memory: nothing is allocated. Returns the call id, or 0 when the host refused
 * (unknown cluster, bad argument).
 */
export function grpcCallRaw(cluster: RawName, service: RawName, method: RawName, metadataPtr: usize, metadataLen: usize,
  messagePtr: usize, messageLen: usize, timeoutMs: u32): u32 {
  store<u32>(OUT_EXTRA, 0);
  const st = imp.proxy_grpc_call(cluster.ptr, cluster.len, service.ptr, service.len, method.ptr, method.len,
    metadataPtr, metadataLen, messagePtr, messageLen, timeoutMs, OUT_EXTRA);
  return st == WasmResultValues.Ok ? load<u32>(OUT_EXTRA) : 0;
}

/**
 * Bytes [start, start+max) of a buffer (a body, a callout's answer), landing at `ptr` when at most `cap`
 * bytes (out.inPlace; no allocation), else in a heap buffer (release() frees it). False when the host
 * has no such buffer.
 */
export function getBufferRawInto(bufferType: u32, start: u32, max: u32, ptr: usize, cap: usize, out: RawValue): bool {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_LEN, 0);
  receiveInto(ptr, cap);
  const status = imp.proxy_get_buffer_bytes(bufferType, start, max, OUT_PTR, OUT_LEN);
  out.ptr = status == WasmResultValues.Ok ? load<usize>(OUT_PTR) : 0;
  out.len = status == WasmResultValues.Ok ? load<usize>(OUT_LEN) : 0;
  out.inPlace = receivedInPlace(out.ptr);
  return status == WasmResultValues.Ok;
}
