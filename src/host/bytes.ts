// Byte helpers shared by the host modules: UTF-8 conversion and the ABI's header-map serialization.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type BytesLike = string | Uint8Array;

export function toBytes(v: BytesLike): Uint8Array {
  return typeof v === "string" ? encoder.encode(v) : v;
}

export function toText(b: Uint8Array): string {
  return decoder.decode(b);
}

/**
 * UTF-8 text of b[p, p+n). ASCII gives the same string as TextDecoder, cheaper: short runs (names) are
 * built by hand, longer ones read as latin1 through `latin1` (a Buffer over b's memory) when given.
 * Anything else goes through TextDecoder as before (replacement characters, BOM handling).
 */
export function decodeText(b: Uint8Array, p: number, n: number, latin1?: Buffer): string {
  const end = p + n;
  if (n <= 16) {
    let s = "";
    for (let i = p; i < end; i++) {
      const c = b[i];
      if (c > 0x7f) return decoder.decode(b.subarray(p, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  if (!latin1) return decoder.decode(b.subarray(p, end));
  for (let i = p; i < end; i++) if (b[i] > 0x7f) return decoder.decode(b.subarray(p, end));
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
  const encoded = pairs.map(([k, v]) => [encoder.encode(k), encoder.encode(v)] as const);
  let size = 4 + pairs.length * 8;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pairs.length, true);
  let lens = 4;
  let data = 4 + pairs.length * 8;
  for (const [k, v] of encoded) {
    dv.setUint32(lens, k.length, true);
    dv.setUint32(lens + 4, v.length, true);
    lens += 8;
    out.set(k, data);
    data += k.length + 1;
    out.set(v, data);
    data += v.length + 1;
  }
  return out;
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
