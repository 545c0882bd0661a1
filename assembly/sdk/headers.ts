// Header-map serialization (ABI §HTTP fields): u32 count, count × (u32 key_len, u32 value_len),
// then each key and value followed by a NUL byte.

export class HeaderPair {
  constructor(public key: string, public value: string) {}
  toString(): string { return this.key + ": " + this.value; }
}
export type Headers = Array<HeaderPair>;

export function makeHeaderPair(key: string, value: string): HeaderPair {
  return new HeaderPair(key, value);
}

/** Serializes header pairs into one buffer in the ABI's map format. */
export function serializeHeaders(headers: Headers): ArrayBuffer {
  const n = headers.length;
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    size += String.UTF8.byteLength(h.key) + String.UTF8.byteLength(h.value) + 2;
  }
  const buf = new ArrayBuffer(size);
  const base = changetype<usize>(buf);
  store<u32>(base, n);
  let lens = base + 4;
  let data = base + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    const k = String.UTF8.encodeUnsafe(changetype<usize>(h.key), h.key.length, data);
    store<u8>(data + k, 0);
    data += k + 1;
    const v = String.UTF8.encodeUnsafe(changetype<usize>(h.value), h.value.length, data);
    store<u8>(data + v, 0);
    data += v + 1;
    store<u32>(lens, <u32>k);
    store<u32>(lens + 4, <u32>v);
    lens += 8;
  }
  return buf;
}

/** Parses the ABI map format at ptr/len. Malformed input gives the pairs that fit, never a trap. */
export function deserializeHeaders(ptr: usize, len: usize): Headers {
  const result = new Array<HeaderPair>();
  if (len < 4) return result;
  const n = <usize>load<u32>(ptr);
  if (<u64>4 + <u64>n * 8 > <u64>len) return result; // in 64 bits: a huge count must not wrap into "fits"
  let lens = ptr + 4;
  let data = ptr + 4 + n * 8;
  const end = ptr + len;
  for (let i: usize = 0; i < n; i++) {
    const k = <usize>load<u32>(lens);
    const v = <usize>load<u32>(lens + 4);
    lens += 8;
    if (data + k + v + 2 > end) break;
    const key = String.UTF8.decodeUnsafe(data, k);
    data += k + 1;
    const value = String.UTF8.decodeUnsafe(data, v);
    data += v + 1;
    result.push(new HeaderPair(key, value));
  }
  return result;
}
