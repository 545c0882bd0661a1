// A tag as bytes: 1–64 RFC 3986 unreserved characters (ASCII only). Incoming tags are checked on the
// bytes the host gave, never on a decoded string, so no byte sequence outside that set — invalid or
// overlong UTF-8 included — can read as a tag.
import { MAX_TAG_LENGTH } from "./config";

// @ts-ignore: decorator
@inline export function isTagByte(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}

/** Whether the `n` bytes at `p` are a valid tag. */
export function isTagBytes(p: usize, n: i32): bool {
  if (n <= 0 || n > MAX_TAG_LENGTH) return false;
  for (let i = 0; i < n; i++) if (!isTagByte(<i32>load<u8>(p + <usize>i))) return false;
  return true;
}
