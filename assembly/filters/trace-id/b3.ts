// B3 propagation (https://github.com/openzipkin/b3-propagation): the single `b3` header
// `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]` (or a sampling state alone), and the
// multi-header form X-B3-TraceId / X-B3-SpanId / X-B3-ParentSpanId / X-B3-Sampled / X-B3-Flags.
// Ids are lowercase hex; a 64-bit (16-digit) TraceId maps to 128 bits by left zero-padding.
import { parseHex64, hexOk, writeHex64 } from "./hex";
import { Parse, TraceContext, FLAG_SAMPLED } from "./trace";

/**
 * Reads a B3 TraceId (16 or 32 lowercase hex digits, not all zeros) into out.hi/out.lo.
 * Returns false when malformed.
 */
export function parseB3TraceId(p: usize, len: usize, out: TraceContext): bool {
  let hi: u64 = 0, lo: u64 = 0;
  if (len == 32) {
    hi = parseHex64(p, 16);
    if (!hexOk) return false;
    lo = parseHex64(p + 16, 16);
  } else if (len == 16) {
    lo = parseHex64(p, 16);
  } else {
    return false;
  }
  if (!hexOk || (hi | lo) == 0) return false;
  out.hi = hi;
  out.lo = lo;
  return true;
}

/** A 16-digit span id, or 0 when malformed or all zeros (both invalid). */
export function parseB3SpanId(p: usize, len: usize): u64 {
  if (len != 16) return 0;
  const v = parseHex64(p, 16);
  return hexOk ? v : 0;
}

/**
 * A sampling state: `1` accept, `0` deny, `d` debug (returned as 2); `true`/`false` accepted
 * leniently, as the spec allows. -1 for anything else.
 */
export function parseB3Sampling(p: usize, len: usize): i32 {
  if (len == 1) {
    const c = load<u8>(p);
    if (c == 0x31) return 1;
    if (c == 0x30) return 0;
    if (c == 0x64) return 2;
    return -1;
  }
  if (len == 4 && load<u32>(p) == 0x65757274) return 1; // "true"
  if (len == 5 && load<u32>(p) == 0x736c6166 && load<u8>(p + 4) == 0x65) return 0; // "false"
  return -1;
}

/** Applies a sampling state from parseB3Sampling to `out`. */
export function applyB3Sampling(state: i32, out: TraceContext): void {
  out.debug = state == 2;
  out.sampled = state == 2 ? 1 : state;
  out.flags = out.sampled == 1 ? FLAG_SAMPLED : 0;
}

/** The longest single `b3` value: 32-digit trace id, span id, state and parent id with their dashes. */
export const B3_SINGLE_MAX: usize = 68;

/** Parses the single `b3` header. A lone sampling state gives SamplingOnly. Reads at most 68 bytes. */
export function parseB3Single(p: usize, len: usize, out: TraceContext): Parse {
  out.reset();
  if (len > B3_SINGLE_MAX) return Parse.Invalid;
  if (len == 1) {
    const s = parseB3Sampling(p, 1);
    if (s < 0) return Parse.Invalid;
    applyB3Sampling(s, out);
    return Parse.SamplingOnly;
  }
  // TraceId: 16 or 32 digits, so the first dash is at 16 or 32.
  const tl: usize = len > 16 && load<u8>(p + 16) == 0x2d ? 16 : len > 32 && load<u8>(p + 32) == 0x2d ? 32 : len;
  if (tl == len || !parseB3TraceId(p, tl, out)) return Parse.Invalid;
  // SpanId
  let q = p + tl + 1;
  let rest = len - tl - 1;
  if (rest < 16) return Parse.Invalid;
  const span = parseB3SpanId(q, 16);
  if (span == 0) return Parse.Invalid;
  out.span = span;
  q += 16; rest -= 16;
  if (rest == 0) return Parse.Valid; // sampling deferred
  // -SamplingState
  if (load<u8>(q) != 0x2d || rest < 2) return Parse.Invalid;
  const state = parseB3Sampling(q + 1, 1);
  if (state < 0) return Parse.Invalid;
  applyB3Sampling(state, out);
  q += 2; rest -= 2;
  if (rest == 0) return Parse.Valid;
  // -ParentSpanId: an all-zero parent is read as "no parent" rather than rejecting the trace.
  if (rest != 17 || load<u8>(q) != 0x2d) return Parse.Invalid;
  const parent = parseHex64(q + 1, 16);
  if (!hexOk) return Parse.Invalid;
  out.parent = parent;
  return Parse.Valid;
}

/** Writes the B3 TraceId: 16 digits when the high half is zero (a 64-bit id), else 32. */
export function writeB3TraceId(dst: usize, hi: u64, lo: u64): usize {
  if (hi == 0) return writeHex64(dst, lo, 16) - dst;
  writeHex64(dst, hi, 16);
  writeHex64(dst + 16, lo, 16);
  return 32;
}

/**
 * Writes a single `b3` value at `dst`: trace-span-state[-parent]. The state is always sent
 * (`d` for debug). Returns its length (at most 68).
 */
export function writeB3Single(dst: usize, hi: u64, lo: u64, span: u64, sampled: bool, debug: bool, parent: u64): usize {
  let p = dst + writeB3TraceId(dst, hi, lo);
  store<u8>(p++, 0x2d);
  p = writeHex64(p, span, 16);
  store<u8>(p++, 0x2d);
  store<u8>(p++, debug ? 0x64 : sampled ? 0x31 : 0x30);
  if (parent != 0) {
    store<u8>(p++, 0x2d);
    p = writeHex64(p, parent, 16);
  }
  return p - dst;
}
