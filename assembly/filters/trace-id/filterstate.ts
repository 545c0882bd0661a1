// The argument of Envoy's `set_envoy_filter_state` foreign function, protobuf-encoded by hand:
// SetEnvoyFilterStateArguments { string path = 1; string value = 2; LifeSpan span = 3; }
// (Envoy source/extensions/common/wasm/ext/set_envoy_filter_state.proto). Envoy builds the object
// with the factory registered under `path` and stores it under that same key.
import { RawName } from "../../sdk/rawheaders";

/** LifeSpan DownstreamRequest: the value outlives the filter chain, so the access log sees it. */
const SPAN_DOWNSTREAM_REQUEST: u8 = 1;

function varintSize(n: usize): usize { let s: usize = 1; while (n >= 0x80) { n >>= 7; s++; } return s; }
function putVarint(p: usize, n: usize): usize {
  while (n >= 0x80) { store<u8>(p++, <u8>(n | 0x80)); n >>= 7; }
  store<u8>(p++, <u8>n);
  return p;
}

/** Encodes the arguments for key `key` and the `len` value bytes at `ptr`. */
export function filterStateArgs(key: RawName, ptr: usize, len: usize): ArrayBuffer {
  const size: usize = 1 + varintSize(key.len) + key.len + 1 + varintSize(len) + len + 2;
  const buf = new ArrayBuffer(<i32>size);
  let p = changetype<usize>(buf);
  store<u8>(p++, 0x0a);
  p = putVarint(p, key.len);
  memory.copy(p, key.ptr, key.len);
  p += key.len;
  store<u8>(p++, 0x12);
  p = putVarint(p, len);
  memory.copy(p, ptr, len);
  p += len;
  store<u8>(p++, 0x18);
  store<u8>(p, SPAN_DOWNSTREAM_REQUEST);
  return buf;
}
