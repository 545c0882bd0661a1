// Envoy's foreign functions (proxy_call_foreign_function), with typed helpers for the common ones.
import { callForeignFunction, lastStatus } from "./hostcalls";
import { WasmResultValues } from "./types";

const EMPTY = new ArrayBuffer(0);

/**
 * Makes Envoy choose the route again after request headers changed. Envoy ≥ 1.33 no longer does this
 * by itself for modules above ABI 0.2.1 (and other hosts may not), so a filter whose header drives
 * routing calls it; with 0.2.1 modules Envoy also clears the cache on its own. Returns the host status.
 */
export function clearRouteCache(): u32 {
  callForeignFunction("clear_route_cache", EMPTY);
  return lastStatus();
}

export enum FilterStateLifeSpan { FilterChain = 0, DownstreamRequest = 1, DownstreamConnection = 2 }

/**
 * Sets an Envoy filter-state object (foreign function set_envoy_filter_state), readable in access
 * logs as %FILTER_STATE(key:PLAIN)%. `key` must name a filter-state object factory known to Envoy.
 */
export function setEnvoyFilterState(key: string, value: string, span: FilterStateLifeSpan = FilterStateLifeSpan.DownstreamRequest): u32 {
  callForeignFunction("set_envoy_filter_state", encodeFilterStateArgs(key, value, span));
  return lastStatus();
}

/** The protobuf SetEnvoyFilterStateArguments { string path = 1; string value = 2; LifeSpan span = 3; }. */
export function encodeFilterStateArgs(key: string, value: string, span: FilterStateLifeSpan): ArrayBuffer {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  const size = 1 + varintSize(k.byteLength) + k.byteLength + 1 + varintSize(v.byteLength) + v.byteLength + 2;
  const buf = new ArrayBuffer(size);
  let p = changetype<usize>(buf);
  p = putField(p, 0x0a, k);
  p = putField(p, 0x12, v);
  store<u8>(p, 0x18); store<u8>(p + 1, <u8>span);
  return buf;
}

/** Calls any foreign function by name; null when the host has no such function or it failed. */
export function callForeign(name: string, args: ArrayBuffer): ArrayBuffer | null {
  const r = callForeignFunction(name, args);
  return lastStatus() == WasmResultValues.Ok ? r : null;
}

function varintSize(n: i32): i32 { let s = 1; while (n >= 0x80) { n >>>= 7; s++; } return s; }
function putField(p: usize, tag: u8, bytes: ArrayBuffer): usize {
  store<u8>(p++, tag);
  let n = <u32>bytes.byteLength;
  while (n >= 0x80) { store<u8>(p++, <u8>(n | 0x80)); n >>>= 7; }
  store<u8>(p++, <u8>n);
  memory.copy(p, changetype<usize>(bytes), bytes.byteLength);
  return p + bytes.byteLength;
}
