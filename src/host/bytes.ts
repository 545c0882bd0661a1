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
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + n * 8 > buf.length) return [];
  const lens: [number, number][] = [];
  for (let i = 0; i < n; i++) lens.push([dv.getUint32(4 + i * 8, true), dv.getUint32(8 + i * 8, true)]);
  const out: Pair[] = [];
  let p = 4 + n * 8;
  for (const [kl, vl] of lens) {
    if (p + kl + vl + 2 > buf.length) return [];
    const k = decoder.decode(buf.subarray(p, p + kl));
    p += kl + 1;
    const v = decoder.decode(buf.subarray(p, p + vl));
    p += vl + 1;
    out.push([k, v]);
  }
  return out;
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
