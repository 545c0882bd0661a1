// Lowercase hexadecimal on raw memory: the only id encoding W3C Trace Context and B3 allow
// (uppercase is invalid in both). No strings, no allocation.

const DIGITS: usize = memory.data<u8>([
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
]);

/** The value of one lowercase hex digit, or 16 (bit 4 set) for anything else. */
// @ts-ignore: decorator
@inline export function nibble(c: u32): u32 {
  const d = c - 0x30;
  if (d < 10) return d;
  const l = c - 0x61;
  return l < 6 ? l + 10 : 16;
}

/** Set by parseHex64: false when a character was not lowercase hex. */
export let hexOk = true;

/** Decodes `n` (≤ 16) lowercase hex characters at `p`; check `hexOk` afterwards. */
export function parseHex64(p: usize, n: usize): u64 {
  let v: u64 = 0;
  let bad: u32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const d = nibble(<u32>load<u8>(p + i));
    bad |= d;
    v = (v << 4) | <u64>(d & 15);
  }
  hexOk = (bad & 16) == 0;
  return v;
}

/** Writes `v` as `n` (≤ 16) lowercase hex characters (the low n nibbles) at `dst`; returns dst + n. */
export function writeHex64(dst: usize, v: u64, n: usize): usize {
  let i = n;
  while (i > 0) {
    i--;
    store<u8>(dst + i, load<u8>(DIGITS + <usize>(v & 15)));
    v >>= 4;
  }
  return dst + n;
}

/** True when `len` bytes at `p` are all lowercase hex. */
export function isHex(p: usize, len: usize): bool {
  let bad: u32 = 0;
  for (let i: usize = 0; i < len; i++) bad |= nibble(<u32>load<u8>(p + i));
  return (bad & 16) == 0;
}
