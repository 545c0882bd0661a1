// W3C Trace Context `tracestate` (Level 1 §3.3, https://www.w3.org/TR/trace-context/#tracestate-header):
// a list of `key=value` members separated by commas, possibly over several header lines (combined in
// order, RFC 7230 §3.2.2). Validated in one pass over the bytes, with bounded work: at most
// MAX_INPUT bytes are read, at most 32 members are kept, and duplicate keys are found by hash.
//
//   key          = simple-key / multi-tenant-key
//   simple-key   = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
//   multi-tenant-key = tenant-id "@" system-id
//   tenant-id    = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
//   system-id    = lcalpha 0*13( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
//   value        = 0*255( chr ) nblk-chr ;  nblk-chr = %x21-2B / %x2D-3C / %x3E-7E ; chr = %x20 / nblk-chr
//   list-member  = key "=" value / OWS     ; OWS = *( SP / HTAB ) around members, empty members allowed

/** What to do with an invalid tracestate (the choice §4.3 leaves to the vendor). */
export enum TracestatePolicy {
  /** "If the tracestate header cannot be parsed the vendor MAY discard the entire header." */
  DropHeader = 0,
  /** "Invalid tracestate entries MAY also be discarded." */
  DropMembers = 1,
  /** No validation: forwarded as received. */
  Off = 2,
}

/** Outcome of checkTracestate. */
export enum Tracestate {
  /** Valid as received on one line: forward untouched (no write). */
  Keep = 0,
  /** Write the `outLen` bytes at `out` as the one tracestate line. */
  Rewrite = 1,
  /** Send no tracestate (nothing valid, nothing left, or the whole header was refused). */
  Remove = 2,
}

/** §3.3.1.1: "There can be a maximum of 32 list-members in a list." */
export const MAX_MEMBERS = 32;
/** The longest valid list: 32 members of a 256-character key, "=", a 256-character value, 31 commas. */
export const MAX_LIST_BYTES: usize = 32 * (256 + 1 + 256) + 31;
/** Input read at most (all lines with their joining commas): twice the longest valid list, room for OWS. */
export const MAX_INPUT: usize = 32768;
/** §3.3.1.5: "Entries larger than 128 characters long SHOULD be removed first." */
const LONG_ENTRY: usize = 128;

// Byte classes, one table lookup per byte.
const KEYCHAR: u8 = 1; // lcalpha / DIGIT / "_" / "-" / "*" / "/"
const LCALPHA: u8 = 2;
const DIGIT: u8 = 4;
const VALCHAR: u8 = 8; // chr: %x20-7E except "," and "="
const CLASSES: usize = buildClasses();

function buildClasses(): usize {
  const t = heap.alloc(256);
  memory.fill(t, 0, 256);
  for (let c = 0x20; c <= 0x7e; c++) if (c != 0x2c && c != 0x3d) store<u8>(t + c, VALCHAR);
  for (let c = 0x61; c <= 0x7a; c++) store<u8>(t + c, load<u8>(t + c) | KEYCHAR | LCALPHA);
  for (let c = 0x30; c <= 0x39; c++) store<u8>(t + c, load<u8>(t + c) | KEYCHAR | DIGIT);
  const extra: StaticArray<u8> = [0x5f, 0x2d, 0x2a, 0x2f]; // _ - * /
  for (let i = 0; i < extra.length; i++) store<u8>(t + extra[i], load<u8>(t + extra[i]) | KEYCHAR);
  return t;
}

// @ts-ignore: decorator
@inline function cls(c: u32): u8 { return load<u8>(CLASSES + c); }
// @ts-ignore: decorator
@inline function isOws(c: u32): bool { return c == 0x20 || c == 0x09; }

/** The header lines to check, in order (pointers into the host's buffer). Reused: no per-request allocation. */
export class TracestateLines {
  ptrs: StaticArray<usize> = new StaticArray<usize>(8);
  lens: StaticArray<usize> = new StaticArray<usize>(8);
  count: i32 = 0;

  reset(): void { this.count = 0; }

  add(ptr: usize, len: usize): void {
    if (this.count == this.ptrs.length) {
      const n = this.count * 2;
      const p = new StaticArray<usize>(n), l = new StaticArray<usize>(n);
      memory.copy(changetype<usize>(p), changetype<usize>(this.ptrs), <usize>this.count * sizeof<usize>());
      memory.copy(changetype<usize>(l), changetype<usize>(this.lens), <usize>this.count * sizeof<usize>());
      this.ptrs = p;
      this.lens = l;
    }
    unchecked(this.ptrs[this.count] = ptr);
    unchecked(this.lens[this.count] = len);
    this.count++;
  }

  /** Bytes of the combined header (lines joined by ","). */
  get combinedLength(): usize {
    let n: usize = 0;
    for (let i = 0; i < this.count; i++) n += unchecked(this.lens[i]);
    return this.count > 0 ? n + <usize>(this.count - 1) : 0;
  }
}

/** The members kept by the last checkTracestate, and its result. */
export class TracestateResult {
  /** A member was invalid, a key repeated, or there were more than 32 members (or the input was too long). */
  invalid: bool = false;
  /** The rewritten header (when Rewrite): `outLen` bytes at `out` (the caller's buffer). */
  outLen: usize = 0;
  memberCount: i32 = 0;
  // Kept members: start, length, key length, key hash.
  memberPtr: StaticArray<usize> = new StaticArray<usize>(MAX_MEMBERS);
  memberLen: StaticArray<usize> = new StaticArray<usize>(MAX_MEMBERS);
  keyLen: StaticArray<usize> = new StaticArray<usize>(MAX_MEMBERS);
  keyHash: StaticArray<u32> = new StaticArray<u32>(MAX_MEMBERS);
}

/** Set by memberKey: the FNV-1a hash of the key it accepted. */
let keyHash: u32 = 0;

/**
 * Length of the valid key at the start of the trimmed member (`len` > 0 bytes at `p`), which must be
 * followed by "="; 0 when the key is invalid. Reads at most 257 bytes.
 */
function memberKey(p: usize, len: usize): usize {
  let h: u32 = 0x811c9dc5;
  const first = <u32>load<u8>(p);
  const firstClass = cls(first);
  if ((firstClass & (LCALPHA | DIGIT)) == 0) return 0;
  h = (h ^ first) * 0x01000193;
  let i: usize = 1;
  const limit = len < 257 ? len : 257;
  while (i < limit) {
    const c = <u32>load<u8>(p + i);
    if ((cls(c) & KEYCHAR) == 0) break;
    h = (h ^ c) * 0x01000193;
    i++;
  }
  if (i == len) return 0; // no "="
  let c = <u32>load<u8>(p + i);
  if (c == 0x40) { // "@": tenant-id "@" system-id
    if (i > 241) return 0;
    h = (h ^ c) * 0x01000193;
    const sys = ++i;
    if (i == len || (cls(<u32>load<u8>(p + i)) & LCALPHA) == 0) return 0;
    const sysLimit = len < sys + 14 ? len : sys + 14;
    while (i < sysLimit) {
      c = <u32>load<u8>(p + i);
      if ((cls(c) & KEYCHAR) == 0) break;
      h = (h ^ c) * 0x01000193;
      i++;
    }
    if (i == len) return 0;
    c = <u32>load<u8>(p + i);
  } else {
    if ((firstClass & LCALPHA) == 0 || i > 256) return 0; // a simple key starts with a letter
  }
  if (c != 0x3d) return 0; // "=" must follow the key
  keyHash = h;
  return i;
}

/** True when the `len` bytes at `p` form a valid value (the member was trimmed: it ends in a non-space). */
function validValue(p: usize, len: usize): bool {
  if (len == 0 || len > 256) return false;
  for (let i: usize = 0; i < len; i++) if ((cls(<u32>load<u8>(p + i)) & VALCHAR) == 0) return false;
  return true;
}

/**
 * Checks the combined tracestate of `lines` under `policy`, keeping the valid members in `res`. With
 * Rewrite the header to send is written at `out` (room for MAX_LIST_BYTES). `maxBytes` > 0 truncates
 * the result to that size by whole entries, as §3.3.1.5 says. Work is linear in the bytes read, which
 * are at most MAX_INPUT: a longer input is refused whole.
 */
export function checkTracestate(lines: TracestateLines, policy: TracestatePolicy, maxBytes: usize, out: usize, res: TracestateResult): Tracestate {
  res.invalid = false;
  res.memberCount = 0;
  res.outLen = 0;
  if (lines.count == 0) return Tracestate.Remove;
  if (policy == TracestatePolicy.Off) return Tracestate.Keep;
  const total = lines.combinedLength;
  if (total > MAX_INPUT) { res.invalid = true; return Tracestate.Remove; }

  let dropped = false; // a member was left out: the kept list differs from the input
  for (let l = 0; l < lines.count; l++) {
    const base = unchecked(lines.ptrs[l]);
    const end = base + unchecked(lines.lens[l]);
    let s = base;
    while (s <= end) {
      // One member: up to the next comma (or the end of the line).
      let e = s;
      while (e < end && load<u8>(e) != 0x2c) e++;
      let a = s, b = e;
      while (a < b && isOws(<u32>load<u8>(a))) a++;
      while (b > a && isOws(<u32>load<u8>(b - 1))) b--;
      s = e + 1;
      if (a == b) continue; // empty members are allowed (and left out of a rewritten header)
      const kl = memberKey(a, b - a);
      const ok = kl > 0 && validValue(a + kl + 1, b - a - kl - 1);
      let drop = !ok;
      if (ok && res.memberCount == MAX_MEMBERS) {
        drop = true; // a 33rd member (or a repeated key): dropped either way, no search needed
      } else if (ok) {
        const h = keyHash;
        for (let m = 0; m < res.memberCount; m++) {
          if (unchecked(res.keyHash[m]) == h && unchecked(res.keyLen[m]) == kl &&
            memory.compare(unchecked(res.memberPtr[m]), a, kl) == 0) { drop = true; break; }
        }
        if (!drop) {
          const m = res.memberCount++;
          unchecked(res.memberPtr[m] = a);
          unchecked(res.memberLen[m] = b - a);
          unchecked(res.keyLen[m] = kl);
          unchecked(res.keyHash[m] = h);
        }
      }
      if (drop) {
        res.invalid = true;
        if (policy == TracestatePolicy.DropHeader) { res.memberCount = 0; return Tracestate.Remove; }
        dropped = true;
      }
    }
  }
  if (res.memberCount == 0) return Tracestate.Remove;
  if (maxBytes > 0) dropped = truncate(res, maxBytes) || dropped;
  // A valid header on one line goes on untouched (§3.5: no other mutation), optional whitespace and all.
  if (lines.count == 1 && !dropped && (maxBytes == 0 || total <= maxBytes)) return Tracestate.Keep;
  if (res.memberCount == 0) return Tracestate.Remove;
  let p = out;
  for (let m = 0; m < res.memberCount; m++) {
    if (m > 0) store<u8>(p++, 0x2c);
    const n = unchecked(res.memberLen[m]);
    memory.copy(p, unchecked(res.memberPtr[m]), n);
    p += n;
  }
  res.outLen = p - out;
  return Tracestate.Rewrite;
}

/** Length of the kept members joined by commas. */
function joinedLength(res: TracestateResult): usize {
  let n: usize = 0;
  for (let m = 0; m < res.memberCount; m++) n += unchecked(res.memberLen[m]);
  return res.memberCount > 0 ? n + <usize>(res.memberCount - 1) : 0;
}

/**
 * §3.3.1.5: "the vendor MUST truncate whole entries. Entries larger than 128 characters long SHOULD be
 * removed first. Then entries SHOULD be removed starting from the end of tracestate." Removes as few
 * as needed, right-most first. True when anything was removed.
 */
function truncate(res: TracestateResult, maxBytes: usize): bool {
  let len = joinedLength(res);
  if (len <= maxBytes) return false;
  for (let m = res.memberCount - 1; m >= 0 && len > maxBytes; m--) {
    if (unchecked(res.memberLen[m]) > LONG_ENTRY) {
      len -= unchecked(res.memberLen[m]) + (res.memberCount > 1 ? 1 : 0);
      removeMember(res, m);
    }
  }
  while (len > maxBytes && res.memberCount > 0) {
    const m = res.memberCount - 1;
    len -= unchecked(res.memberLen[m]) + (res.memberCount > 1 ? 1 : 0);
    res.memberCount--;
  }
  return true;
}

function removeMember(res: TracestateResult, m: i32): void {
  for (let i = m + 1; i < res.memberCount; i++) {
    unchecked(res.memberPtr[i - 1] = res.memberPtr[i]);
    unchecked(res.memberLen[i - 1] = res.memberLen[i]);
    unchecked(res.keyLen[i - 1] = res.keyLen[i]);
    unchecked(res.keyHash[i - 1] = res.keyHash[i]);
  }
  res.memberCount--;
}
