// W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/, Level 2 draft for the
// random flag): `version-traceid-parentid-flags`, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.
import { parseHex64, hexOk, writeHex64 } from "./hex";
import { Parse, TraceContext, FLAG_SAMPLED, FLAG_RANDOM } from "./trace";

/** Length of a version-00 traceparent. */
export const TRACEPARENT_LEN: usize = 55;

// @ts-ignore: decorator
@inline function isOws(c: u32): bool { return c == 0x20 || c == 0x09; }

/**
 * Parses a traceparent value (`len` bytes at `p`) into `out`. Rules (spec §traceparent, §Versioning):
 * surrounding spaces/tabs are ignored; version is 2 lowercase hex digits and not `ff`; version 00 is
 * exactly 55 characters; a higher version must be at least 55 and, when longer, have `-` after the
 * flags (its extra fields are not interpreted); trace-id is 32 and parent-id 16 lowercase hex digits,
 * neither all zeros; flags are 2 lowercase hex digits. Anything else is Invalid.
 */
export function parseTraceparent(p: usize, len: usize, out: TraceContext): Parse {
  while (len > 0 && isOws(<u32>load<u8>(p))) { p++; len--; }
  while (len > 0 && isOws(<u32>load<u8>(p + len - 1))) len--;
  if (len < TRACEPARENT_LEN) return Parse.Invalid;
  const version = <u32>parseHex64(p, 2);
  if (!hexOk || version == 0xff) return Parse.Invalid;
  if (version == 0) {
    if (len != TRACEPARENT_LEN) return Parse.Invalid;
  } else if (len > TRACEPARENT_LEN && load<u8>(p + TRACEPARENT_LEN) != 0x2d) {
    return Parse.Invalid;
  }
  if (load<u8>(p + 2) != 0x2d || load<u8>(p + 35) != 0x2d || load<u8>(p + 52) != 0x2d) return Parse.Invalid;
  const hi = parseHex64(p + 3, 16);
  if (!hexOk) return Parse.Invalid;
  const lo = parseHex64(p + 19, 16);
  if (!hexOk) return Parse.Invalid;
  const span = parseHex64(p + 36, 16);
  if (!hexOk) return Parse.Invalid;
  const flags = <u8>parseHex64(p + 53, 2);
  if (!hexOk) return Parse.Invalid;
  if ((hi | lo) == 0 || span == 0) return Parse.Invalid;
  out.hi = hi;
  out.lo = lo;
  out.span = span;
  out.parent = 0;
  // A future version's flags may carry bits this version does not define: keep only the known ones.
  out.flags = version == 0 ? flags : flags & (FLAG_SAMPLED | FLAG_RANDOM);
  out.sampled = <i32>(flags & FLAG_SAMPLED);
  out.debug = false;
  out.version = <u8>version;
  return Parse.Valid;
}

/** Writes a version-00 traceparent (55 bytes) at `dst`; returns its length. */
export function writeTraceparent(dst: usize, hi: u64, lo: u64, span: u64, flags: u8): usize {
  store<u8>(dst, 0x30);
  store<u8>(dst + 1, 0x30);
  store<u8>(dst + 2, 0x2d);
  writeHex64(dst + 3, hi, 16);
  writeHex64(dst + 19, lo, 16);
  store<u8>(dst + 35, 0x2d);
  writeHex64(dst + 36, span, 16);
  store<u8>(dst + 52, 0x2d);
  writeHex64(dst + 53, <u64>flags, 2);
  return TRACEPARENT_LEN;
}

/** Writes the 32-hex-digit trace id at `dst`; returns 32. */
export function writeTraceId(dst: usize, hi: u64, lo: u64): usize {
  writeHex64(dst, hi, 16);
  writeHex64(dst + 16, lo, 16);
  return 32;
}
