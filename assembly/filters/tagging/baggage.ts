// W3C Baggage (https://www.w3.org/TR/baggage/): `baggage: key1=value1;prop, key2=value2`.
// Everything works on the header's bytes in one pass (linear in its length: no search restarts from a
// member's start, no string building per member), so a hostile `a,a,a,…` costs what a normal header
// of the same size costs. Reading finds the members named one key; writing puts ours first (so
// truncation further down the chain drops others before it), copies every other member byte for byte
// and in order (invalid bytes included: they are someone else's), drops the other members named our
// key, and stays within the limits: members are dropped whole, never cut (the spec forbids partial members).

import { hexVal } from "../../sdk/json";

/** Spec limits: a baggage-string of at most 8192 bytes; 180 list-members in the original text, ≥ 64 required. */
export const DEFAULT_MAX_BYTES: i32 = 8192;
export const DEFAULT_MAX_MEMBERS: i32 = 180;

/** Members dropped by the latest baggageWrite() to stay within the limits. */
export let baggageDropped: i32 = 0;

// @ts-ignore: decorator
@inline function byteAt(p: usize, i: i32): i32 { return <i32>load<u8>(p + <usize>i); }
// @ts-ignore: decorator
@inline function isOws(c: i32): bool { return c == 0x20 || c == 0x09; }

/** Where baggageFind() found the first member named the key: its value's bytes (OWS and properties cut). */
export let foundValueStart: i32 = 0;
export let foundValueEnd: i32 = 0;

/**
 * Counts the list-members of the `n` bytes at `p` named `key` (`keyLen` bytes at `keyPtr`) and records
 * the first one's value range in foundValueStart/End. One pass over the bytes.
 */
export function baggageFind(p: usize, n: i32, keyPtr: usize, keyLen: i32): i32 {
  let count = 0;
  let i = 0;
  while (i < n) {
    // One member: [s, e) up to the next ',', with its first '=' and the first ';' after it.
    let s = i;
    let eq = -1, semi = -1;
    let e = s;
    for (; e < n; e++) {
      const c = byteAt(p, e);
      if (c == 0x2c) break;
      if (c == 0x3d) { if (eq < 0) eq = e; }
      else if (c == 0x3b && eq >= 0 && semi < 0) semi = e;
    }
    i = e + 1;
    if (eq < 0) continue;
    while (s < eq && isOws(byteAt(p, s))) s++;
    let ke = eq;
    while (ke > s && isOws(byteAt(p, ke - 1))) ke--;
    if (ke - s != keyLen || memory.compare(p + <usize>s, keyPtr, <usize>keyLen) != 0) continue;
    if (count++ == 0) {
      let vs = eq + 1, ve = semi >= 0 ? semi : e;
      while (vs < ve && isOws(byteAt(p, vs))) vs++;
      while (ve > vs && isOws(byteAt(p, ve - 1))) ve--;
      foundValueStart = vs;
      foundValueEnd = ve;
    }
  }
  return count;
}

/** A growable byte buffer, reused across requests (no allocation once it has grown). */
export class ByteOut {
  buf: ArrayBuffer;
  len: i32 = 0;
  constructor(cap: i32 = 256) { this.buf = new ArrayBuffer(cap); }
  get ptr(): usize { return changetype<usize>(this.buf); }
  reset(): void { this.len = 0; }
  ensure(extra: i32): void {
    const need = this.len + extra;
    if (need <= this.buf.byteLength) return;
    let cap = this.buf.byteLength << 1;
    while (cap < need) cap <<= 1;
    const b = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(b), changetype<usize>(this.buf), <usize>this.len);
    this.buf = b;
  }
  append(p: usize, n: i32): void {
    this.ensure(n);
    memory.copy(changetype<usize>(this.buf) + <usize>this.len, p, <usize>n);
    this.len += n;
  }
  byte(c: i32): void {
    this.ensure(1);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, <u8>c);
    this.len++;
  }
  toString(): string { return String.UTF8.decodeUnsafe(this.ptr, <usize>this.len); }
}

/**
 * Writes into `out` the baggage of the `n` bytes at `p` with `member` (`memberLen` bytes; 0: none)
 * first and the members named `key` removed; the others follow byte for byte and in order (OWS around
 * them trimmed, empty members skipped) while the result stays within `maxBytes` and `maxMembers`
 * (our member always stays). baggageDropped tells how many were dropped. One pass over the bytes.
 */
export function baggageWrite(p: usize, n: i32, keyPtr: usize, keyLen: i32, memberPtr: usize, memberLen: i32,
  maxBytes: i32, maxMembers: i32, out: ByteOut): void {
  out.reset();
  let members = 0;
  if (memberLen > 0) { out.append(memberPtr, memberLen); members = 1; }
  baggageDropped = 0;
  let i = 0;
  while (i < n) {
    let s = i;
    let eq = -1;
    let e = s;
    for (; e < n; e++) {
      const c = byteAt(p, e);
      if (c == 0x2c) break;
      if (c == 0x3d && eq < 0) eq = e;
    }
    i = e + 1;
    while (s < e && isOws(byteAt(p, s))) s++;
    let te = e;
    while (te > s && isOws(byteAt(p, te - 1))) te--;
    if (s == te) continue;
    if (eq >= 0) {
      let ke = eq;
      while (ke > s && isOws(byteAt(p, ke - 1))) ke--;
      if (ke - s == keyLen && memory.compare(p + <usize>s, keyPtr, <usize>keyLen) == 0) continue;
    }
    const size = te - s;
    const sep = members > 0 ? 1 : 0;
    if (members >= maxMembers || out.len + sep + size > maxBytes) { baggageDropped++; continue; }
    if (sep) out.byte(0x2c);
    out.append(p + <usize>s, size);
    members++;
  }
}

// ---------------------------------------------------------------- string forms (tests, configure time)

/** The percent-decoded value of the first member named `key` (properties removed), or null. */
export function baggageGet(header: string, key: string): string | null {
  const h = String.UTF8.encode(header), k = String.UTF8.encode(key);
  const p = changetype<usize>(h);
  if (baggageFind(p, h.byteLength, changetype<usize>(k), k.byteLength) == 0) return null;
  const out = new ByteOut(foundValueEnd - foundValueStart + 1);
  percentDecodeInto(p, foundValueStart, foundValueEnd, out);
  return out.toString();
}

/**
 * `header` with `key=value` as its first member. `value` must already be baggage-safe (tags are).
 * Existing members named `key` are removed; the others follow in order while the result stays within
 * `maxBytes` and `maxMembers` (our member always stays). baggageDropped tells how many were dropped.
 */
export function baggageSet(header: string | null, key: string, value: string, maxBytes: i32, maxMembers: i32): string {
  const member = String.UTF8.encode(key + "=" + value);
  return rewrite(header === null ? "" : header, key, changetype<usize>(member), member.byteLength, maxBytes, maxMembers);
}

/** `header` without members named `key` (other members untouched); "" when none is left. */
export function baggageRemove(header: string, key: string): string {
  return rewrite(header, key, 0, 0, i32.MAX_VALUE, i32.MAX_VALUE);
}

function rewrite(header: string, key: string, memberPtr: usize, memberLen: i32, maxBytes: i32, maxMembers: i32): string {
  const h = String.UTF8.encode(header), k = String.UTF8.encode(key);
  const out = new ByteOut();
  baggageWrite(changetype<usize>(h), h.byteLength, changetype<usize>(k), k.byteLength, memberPtr, memberLen, maxBytes, maxMembers, out);
  return out.toString();
}

/** Percent-decodes p[start, end) into `out` (W3C baggage: '+' stays literal; invalid escapes kept as they are). */
export function percentDecodeInto(p: usize, start: i32, end: i32, out: ByteOut): void {
  out.reset();
  out.ensure(end - start);
  for (let i = start; i < end; i++) {
    const c = byteAt(p, i);
    if (c == 0x25 && i + 2 < end && hexVal(byteAt(p, i + 1)) >= 0 && hexVal(byteAt(p, i + 2)) >= 0) {
      out.byte((hexVal(byteAt(p, i + 1)) << 4) | hexVal(byteAt(p, i + 2)));
      i += 2;
    } else out.byte(c);
  }
}
