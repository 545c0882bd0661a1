// W3C Baggage (https://www.w3.org/TR/baggage/): `baggage: key1=value1;prop, key2=value2`.
// Reading finds one list-member; writing puts ours first (so truncation further down the chain drops
// others before it), keeps every other member whole and in order, drops earlier duplicates of our key,
// and stays within the limits: members are dropped whole, never cut (the spec forbids partial members).

/** Spec limits: a baggage-string of at most 8192 bytes; 180 list-members in the original text, ≥ 64 required. */
export const DEFAULT_MAX_BYTES: i32 = 8192;
export const DEFAULT_MAX_MEMBERS: i32 = 180;

import { percentDecode } from "../common/source";

/** Members dropped by the latest baggageSet() to stay within the limits. */
export let baggageDropped: i32 = 0;

function isOws(c: i32): bool { return c == 0x20 || c == 0x09; }

/** The percent-decoded value of the first member named `key` (properties removed), or null. */
export function baggageGet(header: string, key: string): string | null {
  const n = header.length;
  let i = 0;
  while (i < n) {
    let end = header.indexOf(",", i);
    if (end < 0) end = n;
    while (i < end && isOws(header.charCodeAt(i))) i++;
    const eq = header.indexOf("=", i);
    if (eq > 0 && eq < end) {
      let ke = eq;
      while (ke > i && isOws(header.charCodeAt(ke - 1))) ke--;
      if (ke - i == key.length && startsAt(header, i, key)) {
        let vs = eq + 1;
        let ve = header.indexOf(";", vs);
        if (ve < 0 || ve > end) ve = end;
        while (vs < ve && isOws(header.charCodeAt(vs))) vs++;
        while (ve > vs && isOws(header.charCodeAt(ve - 1))) ve--;
        return percentDecode(header, vs, ve, false);
      }
    }
    i = end + 1;
  }
  return null;
}

/**
 * `header` with `key=value` as its first member. `value` must already be baggage-safe (tags are).
 * Existing members named `key` are removed; the others follow in order while the result stays within
 * `maxBytes` and `maxMembers` (our member always stays). baggageDropped tells how many were dropped.
 */
export function baggageSet(header: string | null, key: string, value: string, maxBytes: i32, maxMembers: i32): string {
  const parts = new Array<string>();
  parts.push(key + "=" + value);
  let bytes = key.length + 1 + value.length;
  baggageDropped = 0;
  if (header !== null) {
    const others = otherMembers(header, key);
    for (let i = 0; i < others.length; i++) {
      const member = others[i];
      const size = String.UTF8.byteLength(member);
      if (parts.length >= maxMembers || bytes + 1 + size > maxBytes) { baggageDropped++; continue; }
      parts.push(member);
      bytes += 1 + size;
    }
  }
  return parts.join(",");
}

/** `header` without members named `key` (other members untouched); "" when none is left. */
export function baggageRemove(header: string, key: string): string {
  return otherMembers(header, key).join(",");
}

/** The list members of `header` (trimmed, empty ones skipped) except those named `key`, in order. */
function otherMembers(header: string, key: string): string[] {
  const parts = new Array<string>();
  const n = header.length;
  let i = 0;
  while (i < n) {
    let end = header.indexOf(",", i);
    if (end < 0) end = n;
    let s = i, e = end;
    i = end + 1;
    while (s < e && isOws(header.charCodeAt(s))) s++;
    while (e > s && isOws(header.charCodeAt(e - 1))) e--;
    if (s == e || memberKeyIs(header, s, e, key)) continue;
    parts.push(header.substring(s, e));
  }
  return parts;
}

function memberKeyIs(h: string, s: i32, e: i32, key: string): bool {
  const eq = h.indexOf("=", s);
  if (eq < 0 || eq >= e) return false;
  let ke = eq;
  while (ke > s && isOws(h.charCodeAt(ke - 1))) ke--;
  return ke - s == key.length && startsAt(h, s, key);
}

function startsAt(s: string, at: i32, word: string): bool {
  for (let k = 0; k < word.length; k++) if (s.charCodeAt(at + k) != word.charCodeAt(k)) return false;
  return true;
}
