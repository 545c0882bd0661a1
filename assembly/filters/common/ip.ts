// IP addresses and CIDR ranges, IPv4 and IPv6, in one 128-bit space: an IPv4 address a.b.c.d is
// held as its IPv4-mapped IPv6 form ::ffff:a.b.c.d and an IPv4 prefix /n as /(96+n), so a v4 range
// also matches a v4-mapped v6 peer address. Parsing sets two globals instead of allocating.
import { hexVal } from "../../sdk/json";
import { quoteExcerpt } from "../../sdk/config";

/** The address parsed by the latest successful parseIp(): high and low 64 bits. */
export let ipHi: u64 = 0;
export let ipLo: u64 = 0;

const GROUPS: usize = memory.data(16); // 8 × u16 while parsing IPv6

// @ts-ignore: decorator
@inline function at(s: usize, i: i32): i32 { return <i32>load<u8>(s + <usize>i); }

// Parsing works on UTF-8 bytes (s = their address), so request values are parsed where they lie.

/** Dotted-quad IPv4 in s[start, end) as a u32, or -1. No leading zeros (never octal ambiguity). */
function parseV4(s: usize, start: i32, end: i32): i64 {
  let value: u32 = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const from = i;
    let octet: u32 = 0;
    while (i < end && i - from < 3) {
      const c = at(s, i);
      if (c < 0x30 || c > 0x39) break;
      octet = octet * 10 + <u32>(c - 0x30);
      i++;
    }
    const digits = i - from;
    if (digits == 0 || octet > 255 || (digits > 1 && at(s, from) == 0x30)) return -1;
    value = (value << 8) | octet;
    parts++;
    if (parts < 4) {
      if (i >= end || at(s, i) != 0x2e) return -1;
      i++;
    }
  }
  return i == end ? <i64>value : -1;
}


function parseV6(s: usize, end: i32): bool {
  let i = 0;
  let count = 0;
  let gap = -1;
  if (end < 2) return false;
  if (at(s, 0) == 0x3a) {
    if (at(s, 1) != 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    if (count == 8) return false;
    let j = i;
    let v: i32 = 0;
    while (j < end) {
      const d = hexVal(at(s, j));
      if (d < 0) break;
      v = (v << 4) | d;
      j++;
      if (j - i > 4) return false;
    }
    if (j < end && at(s, j) == 0x2e) {
      // Trailing embedded IPv4 (::ffff:10.1.2.3) fills the last two groups.
      if (count > 6) return false;
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      store<u16>(GROUPS + (<usize>count << 1), <u16>(v4 >> 16));
      store<u16>(GROUPS + (<usize>(count + 1) << 1), <u16>(v4 & 0xffff));
      count += 2;
      i = end;
      break;
    }
    if (j == i) return false;
    store<u16>(GROUPS + (<usize>count << 1), <u16>v);
    count++;
    i = j;
    if (i == end) break;
    if (at(s, i) != 0x3a) return false;
    i++;
    if (i < end && at(s, i) == 0x3a) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i == end) {
      return false; // a single trailing colon
    }
  }
  if (gap < 0) {
    if (count != 8) return false;
  } else {
    if (count > 7) return false;
    // Move the groups after "::" to the end and zero the gap.
    const tail = count - gap;
    for (let k = tail - 1; k >= 0; k--) {
      store<u16>(GROUPS + (<usize>(8 - tail + k) << 1), load<u16>(GROUPS + (<usize>(gap + k) << 1)));
    }
    for (let k = gap; k < 8 - tail; k++) store<u16>(GROUPS + (<usize>k << 1), 0);
  }
  let hi: u64 = 0, lo: u64 = 0;
  for (let k = 0; k < 4; k++) hi = (hi << 16) | <u64>load<u16>(GROUPS + (<usize>k << 1));
  for (let k = 4; k < 8; k++) lo = (lo << 16) | <u64>load<u16>(GROUPS + (<usize>k << 1));
  ipHi = hi;
  ipLo = lo;
  return true;
}

/** Parses an IPv4 or IPv6 address (no port, no zone) into ipHi/ipLo; false if it is not one. */
export function parseIp(s: string): bool {
  const b = String.UTF8.encode(s);
  return parseIpBytes(changetype<usize>(b), b.byteLength);
}

/** parseIp over `len` UTF-8 bytes at `ptr`. */
export function parseIpBytes(ptr: usize, len: i32): bool {
  return parseIpRange(ptr, len);
}

function parseIpRange(s: usize, end: i32): bool {
  for (let i = 0; i < end; i++) {
    if (at(s, i) == 0x3a) return parseV6(s, end);
  }
  const v4 = parseV4(s, 0, end);
  if (v4 < 0) return false;
  ipHi = 0;
  ipLo = 0xffff00000000 | <u64>v4;
  return true;
}

/** True when the latest parsed address is an IPv4 (or IPv4-mapped) one. */
export function isV4(): bool { return ipHi == 0 && (ipLo >> 32) == 0xffff; }

/** A set of CIDR ranges, parsed once; contains() costs one address parse and a few compares per range. */
export class CidrSet {
  // Per range: network hi, network lo, mask hi, mask lo.
  private ranges: StaticArray<u64>;
  private count: i32 = 0;

  constructor(capacity: i32) { this.ranges = new StaticArray<u64>(capacity * 4); }

  /** Adds "10.0.0.0/8", "2001:db8::/32" or a bare address (a host range). Returns an error or "". */
  add(cidr: string): string {
    const slash = cidr.indexOf("/");
    const head = String.UTF8.encode(slash < 0 ? cidr : cidr.substring(0, slash));
    if (!parseIpRange(changetype<usize>(head), head.byteLength)) return quoteExcerpt(cidr) + " is not an IP address or CIDR range";
    const v4 = isV4() && cidr.substring(0, slash < 0 ? cidr.length : slash).indexOf(":") < 0;
    const maxBits = v4 ? 32 : 128;
    let bits = maxBits;
    if (slash >= 0) {
      const p = cidr.substring(slash + 1);
      bits = -1;
      if (p.length > 0 && p.length <= 3) {
        bits = 0;
        for (let i = 0; i < p.length; i++) {
          const c = p.charCodeAt(i);
          if (c < 0x30 || c > 0x39) { bits = -1; break; }
          bits = bits * 10 + (c - 0x30);
        }
      }
      if (bits < 0 || bits > maxBits) {
        return quoteExcerpt(cidr) + ": prefix length must be 0–" + maxBits.toString();
      }
    }
    const prefix = v4 ? bits + 96 : bits;
    const maskHi: u64 = prefix >= 64 ? <u64>-1 : (prefix == 0 ? 0 : <u64>-1 << <u64>(64 - prefix));
    const maskLo: u64 = prefix <= 64 ? 0 : (prefix == 128 ? <u64>-1 : <u64>-1 << <u64>(128 - prefix));
    const base = this.count * 4;
    this.ranges[base] = ipHi & maskHi; // host bits are ignored, as Envoy's CidrRange does
    this.ranges[base + 1] = ipLo & maskLo;
    this.ranges[base + 2] = maskHi;
    this.ranges[base + 3] = maskLo;
    this.count++;
    return "";
  }

  get size(): i32 { return this.count; }

  /** True when `address` parses and falls in one of the ranges. */
  contains(address: string): bool {
    const b = String.UTF8.encode(address);
    return this.containsBytes(changetype<usize>(b), b.byteLength);
  }

  /** contains() over `len` UTF-8 bytes at `ptr`. */
  containsBytes(ptr: usize, len: i32): bool {
    if (!parseIpRange(ptr, len)) return false;
    const hi = ipHi, lo = ipLo;
    const r = this.ranges;
    for (let i = 0, n = this.count * 4; i < n; i += 4) {
      if ((hi & unchecked(r[i + 2])) == unchecked(r[i]) && (lo & unchecked(r[i + 3])) == unchecked(r[i + 1])) return true;
    }
    return false;
  }
}
