// Byte helpers shared by the host modules: UTF-8 conversion and the ABI's header-map serialization.
//
// Strings in the test host are byte-exact: a byte sequence that is not well-formed UTF-8 (an overlong
// form, a stray continuation byte, a truncated sequence, an encoded surrogate) decodes each invalid byte
// b to the lone surrogate U+DC00+b (Python's "surrogateescape"), and encoding turns U+DC80–U+DCFF back
// into that byte. So a header value with invalid bytes reaches the module, crosses the test host and
// comes back exactly as Envoy would carry it; well-formed UTF-8 reads as the same string as before.

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type BytesLike = string | Uint8Array;

/** UTF-8 bytes of `s`; U+DC80–U+DCFF (escaped invalid bytes) become the raw bytes 0x80–0xFF. */
export function encodeText(s: string): Uint8Array {
  if (!ESCAPED.test(s)) return encoder.encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHigh(s.charCodeAt(i - 1)))) { out.push(c - 0xdc00); continue; }
    let cp = c;
    if (isHigh(c) && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
    }
    for (const b of encoder.encode(String.fromCodePoint(cp))) out.push(b);
  }
  return Uint8Array.from(out);
}

const ESCAPED = /[\udc80-\udcff]/;

/** encodeText(s).length, without encoding when s holds no escaped bytes. */
export function byteLength(s: string): number {
  return ESCAPED.test(s) ? encodeText(s).length : Buffer.byteLength(s);
}
const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

/** The text of UTF-8 bytes, each invalid byte escaped as U+DC00+byte (see above): lossless. */
export function decodeBytes(b: Uint8Array): string {
  try {
    return strict.decode(b);
  } catch {
    return decodeEscaping(b);
  }
}

/** Length of the well-formed UTF-8 sequence at b[i] (Unicode Table 3-7), or 0 when invalid. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i], n = b.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < n && b[j] >= lo && b[j] <= hi;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80, hi = c === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80, hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

function decodeEscaping(b: Uint8Array): string {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const len = sequenceLength(b, i);
    if (len === 0) { s += String.fromCharCode(0xdc00 + b[i]); i++; continue; }
    s += len === 1 ? String.fromCharCode(b[i]) : strict.decode(b.subarray(i, i + len));
    i += len;
  }
  return s;
}

export function toBytes(v: BytesLike): Uint8Array {
  return typeof v === "string" ? encodeText(v) : v;
}

export function toText(b: Uint8Array): string {
  return decodeBytes(b);
}

/**
 * UTF-8 text of b[p, p+n). ASCII gives the same string as TextDecoder, cheaper: short runs (names) are
 * built by hand, longer ones read as latin1 through `latin1` (a Buffer over b's memory) when given.
 * Anything else goes through decodeBytes (lossless: invalid bytes escaped, a BOM kept).
 */
export function decodeText(b: Uint8Array, p: number, n: number, latin1?: Buffer): string {
  const end = p + n;
  if (n <= 16) {
    let s = "";
    for (let i = p; i < end; i++) {
      const c = b[i];
      if (c > 0x7f) return decodeBytes(b.subarray(p, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  if (!latin1) return decodeBytes(b.subarray(p, end));
  for (let i = p; i < end; i++) if (b[i] > 0x7f) return decodeBytes(b.subarray(p, end));
  return latin1.toString("latin1", p, end);
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export type Pair = [string, string];

/**
 * Serializes pairs in the ABI map format: u32 count, count × (u32 key_len, u32 value_len),
 * then each key and value followed by a NUL byte.
 */
export function serializePairs(pairs: readonly Pair[]): Uint8Array {
  // One buffer, strings written in place (no Uint8Array per key and value): a header map is serialized
  // on every get_header_map_pairs, so this is on the hot path of filters that read whole maps.
  const n = pairs.length;
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) size += textLength(pairs[i][0]) + textLength(pairs[i][1]) + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  let lens = 4;
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = writeText(out, pairs[i][0], data);
    data += kl + 1;
    const vl = writeText(out, pairs[i][1], data);
    data += vl + 1;
    dv.setUint32(lens, kl, true);
    dv.setUint32(lens + 4, vl, true);
    lens += 8;
  }
  return out;
}

/** True when every character of `s` is ASCII (one byte each, written without an encoder). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** encodeText(s).length; short ASCII strings (most header names and values) are counted directly. */
function textLength(s: string): number {
  return s.length <= 64 && isAscii(s) ? s.length : byteLength(s);
}

/** Writes encodeText(s) into `out` at `at`; returns the byte count. */
function writeText(out: Uint8Array, s: string, at: number): number {
  if (s.length <= 64 && isAscii(s)) {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
    return s.length;
  }
  const b = encodeText(s);
  out.set(b, at);
  return b.length;
}

/** Parses the ABI map format. Malformed input yields no pairs, as cpp-host's toPairs does. */
export function deserializePairs(buf: Uint8Array): Pair[] {
  if (buf.length < 4) return [];
  const n = u32le(buf, 0);
  if (4 + n * 8 > buf.length) return [];
  const out: Pair[] = [];
  let p = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = u32le(buf, 4 + i * 8), vl = u32le(buf, 8 + i * 8);
    if (p + kl + vl + 2 > buf.length) return [];
    const k = decodeText(buf, p, kl);
    p += kl + 1;
    const v = decodeText(buf, p, vl);
    p += vl + 1;
    out.push([k, v]);
  }
  return out;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Encodes an integer property value the way Envoy does: 8 bytes, little-endian. */
export function int64Bytes(v: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(v), true);
  return out;
}

export function readInt64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
}
