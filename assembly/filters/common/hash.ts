// Sticky bucketing: the same key always lands in the same bucket, on every worker, VM and restart.
// bucket = fmix64(FNV-1a-64(UTF-8(salt) ‖ UTF-8(key))) % 10000, i.e. 0.01 % resolution.
// FNV-1a alone spreads short sequential keys ("120", "121", …) poorly over its low bits, so the
// murmur3 64-bit finalizer mixes it before the modulo.

export const BUCKETS: u32 = 10000;

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

/** FNV-1a 64 over the UTF-8 bytes of `s`, continuing from `h` (so salt and key hash with no concatenation). */
export function fnv1a64(s: string, h: u64 = FNV_OFFSET): u64 {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c < 0x80) {
      h = (h ^ <u64>c) * FNV_PRIME;
    } else if (c < 0x800) {
      h = (h ^ <u64>(0xc0 | (c >> 6))) * FNV_PRIME;
      h = (h ^ <u64>(0x80 | (c & 0x3f))) * FNV_PRIME;
    } else {
      // A valid surrogate pair is one 4-byte code point; a lone surrogate encodes as U+FFFD, as
      // String.UTF8.encode does, so hashing here equals hashing the encoded bytes.
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const d = <u32>s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          h = (h ^ <u64>(0xf0 | (cp >> 18))) * FNV_PRIME;
          h = (h ^ <u64>(0x80 | ((cp >> 12) & 0x3f))) * FNV_PRIME;
          h = (h ^ <u64>(0x80 | ((cp >> 6) & 0x3f))) * FNV_PRIME;
          h = (h ^ <u64>(0x80 | (cp & 0x3f))) * FNV_PRIME;
          i++;
          continue;
        }
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      h = (h ^ <u64>(0xe0 | (c >> 12))) * FNV_PRIME;
      h = (h ^ <u64>(0x80 | ((c >> 6) & 0x3f))) * FNV_PRIME;
      h = (h ^ <u64>(0x80 | (c & 0x3f))) * FNV_PRIME;
    }
  }
  return h;
}

/** FNV-1a 64 over `len` bytes at `ptr`, continuing from `h` (equals fnv1a64 of the decoded UTF-8 string). */
export function fnv1a64Bytes(ptr: usize, len: i32, h: u64 = FNV_OFFSET): u64 {
  for (let i = 0; i < len; i++) h = (h ^ <u64>load<u8>(ptr + <usize>i)) * FNV_PRIME;
  return h;
}

/** murmur3's 64-bit finalizer: every input bit affects every output bit. */
export function fmix64(k: u64): u64 {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccd;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53;
  k ^= k >> 33;
  return k;
}

/** The sticky bucket of `key` in [0, 10000). */
export function stickyBucket(key: string, salt: string = ""): u32 {
  const h = salt.length ? fnv1a64(key, fnv1a64(salt)) : fnv1a64(key);
  return <u32>(fmix64(h) % <u64>BUCKETS);
}

/** stickyBucket over UTF-8 bytes; `saltHash` = fnv1a64(salt), computed once at configure time. */
export function stickyBucketBytes(ptr: usize, len: i32, saltHash: u64): u32 {
  return <u32>(fmix64(fnv1a64Bytes(ptr, len, saltHash)) % <u64>BUCKETS);
}

/** A percentage (0–100, two decimals) as a bucket threshold: bucket < threshold ⇔ inside. */
export function percentToBuckets(percent: f64): u32 {
  return <u32>Math.round(percent * 100);
}
