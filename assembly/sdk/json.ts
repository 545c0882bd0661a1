// A small JSON parser for plugin configuration. AssemblyScript has no exceptions and the JSON
// libraries available for it abort (trap the VM) on malformed input, so this one reports errors
// as values: parseJson() returns null and sets `jsonError` (with the byte offset) instead.

export const enum JsonKind { Null, Bool, Number, String, Array, Object }

export class JsonValue {
  constructor(public kind: JsonKind) {}
  isNull(): bool { return this.kind == JsonKind.Null; }
  kindName(): string { return kindName(this.kind); }
}
export class JsonBool extends JsonValue { constructor(public value: bool) { super(JsonKind.Bool); } }
export class JsonNumber extends JsonValue {
  constructor(public value: f64, public isInteger: bool) { super(JsonKind.Number); }
}
export class JsonString extends JsonValue { constructor(public value: string) { super(JsonKind.String); } }
export class JsonArray extends JsonValue {
  items: JsonValue[] = [];
  constructor() { super(JsonKind.Array); }
}
/** Keys in first-seen order; a repeated key keeps its first position and its last value (like JSON.parse). */
export class JsonObject extends JsonValue {
  keys: string[] = [];
  values: JsonValue[] = [];
  // Beyond a few keys, an open-addressing table of key positions (index + 1; 0 = empty), so an object
  // of n keys is built and read in O(n) — a linear scan per key would make 50,000 keys take seconds.
  private table: StaticArray<i32> | null = null;
  constructor() { super(JsonKind.Object); }
  indexOf(key: string): i32 {
    const t = this.table;
    if (t === null) return this.keys.indexOf(key);
    const mask = <u32>(t.length - 1);
    let c = hashKey(key) & mask;
    let k = unchecked(t[c]);
    while (k != 0) {
      if (unchecked(this.keys[k - 1]) == key) return k - 1;
      c = (c + 1) & mask;
      k = unchecked(t[c]);
    }
    return -1;
  }
  has(key: string): bool { return this.indexOf(key) >= 0; }
  get(key: string): JsonValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : unchecked(this.values[i]);
  }
  set(key: string, value: JsonValue): void {
    const i = this.indexOf(key);
    if (i >= 0) { this.values[i] = value; return; }
    this.keys.push(key);
    this.values.push(value);
    const n = this.keys.length;
    const t = this.table;
    if (t === null ? n > INDEX_FROM : n * 2 > t.length) this.reindex();
    else if (t !== null) this.place(t, n - 1);
  }
  private reindex(): void {
    const n = this.keys.length;
    let size = 32;
    while (size < n * 4) size <<= 1;
    const t = new StaticArray<i32>(size);
    for (let i = 0; i < n; i++) this.place(t, i);
    this.table = t;
  }
  private place(t: StaticArray<i32>, i: i32): void {
    const mask = <u32>(t.length - 1);
    let c = hashKey(unchecked(this.keys[i])) & mask;
    while (unchecked(t[c]) != 0) c = (c + 1) & mask;
    unchecked(t[c] = i + 1);
  }
}

/** Objects with more keys than this get a hash index. */
const INDEX_FROM = 8;

/** FNV-1a over the UTF-16 code units. */
function hashKey(s: string): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = (h ^ <u32>s.charCodeAt(i)) * 0x01000193;
  return h;
}

export function kindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

export let jsonError: string = "";

const MAX_DEPTH = 64;

class Parser {
  pos: i32 = 0;
  err: string = "";
  constructor(public s: string) {}

  fail(msg: string): JsonValue | null {
    if (this.err.length == 0) this.err = msg + " at offset " + this.pos.toString();
    return null;
  }
  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++;
      else break;
    }
  }
  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.ws();
    if (this.pos >= this.s.length) return this.fail("unexpected end of input");
    const c = this.s.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) { const str = this.string(); return str === null ? null : new JsonString(str); }
    if (c == 0x74) return this.word("true", new JsonBool(true));
    if (c == 0x66) return this.word("false", new JsonBool(false));
    if (c == 0x6e) return this.word("null", new JsonValue(JsonKind.Null));
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected character " + charName(c));
  }
  word(w: string, v: JsonValue): JsonValue | null {
    if (this.s.substr(this.pos, w.length) != w) return this.fail("invalid literal");
    this.pos += w.length;
    return v;
  }
  number(): JsonValue | null {
    const s = this.s;
    const start = this.pos;
    let integer = true;
    if (s.charCodeAt(this.pos) == 0x2d) this.pos++;
    const digits0 = this.pos;
    while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
    if (this.pos == digits0) return this.fail("invalid number");
    if (this.pos - digits0 > 1 && s.charCodeAt(digits0) == 0x30) return this.fail("leading zero in number");
    if (this.pos < s.length && s.charCodeAt(this.pos) == 0x2e) {
      integer = false;
      this.pos++;
      const d = this.pos;
      while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
      if (this.pos == d) return this.fail("invalid number");
    }
    if (this.pos < s.length && (s.charCodeAt(this.pos) | 0x20) == 0x65) {
      integer = false;
      this.pos++;
      if (this.pos < s.length && (s.charCodeAt(this.pos) == 0x2b || s.charCodeAt(this.pos) == 0x2d)) this.pos++;
      const d = this.pos;
      while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
      if (this.pos == d) return this.fail("invalid number");
    }
    return new JsonNumber(decimalValue(s, start, this.pos), integer);
  }
  /**
   * The string starting at the opening quote at `pos`. One pass finds the end and checks the
   * characters; strings with escapes are then decoded into one buffer (escapes only shrink), so
   * 300,000 escapes cost a few milliseconds, not the seconds that growing a string per escape takes.
   */
  string(): string | null {
    const s = this.s;
    const start = ++this.pos; // after the opening quote
    let escapes = false;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) { escapes = true; this.pos++; }
      this.pos++;
    }
    if (this.pos >= s.length) { this.pos = s.length; this.fail("unterminated string"); return null; }
    const end = this.pos++;
    if (!escapes) return s.substring(start, end);
    const buf = new ArrayBuffer((end - start) << 1);
    const src = changetype<usize>(s);
    const dst = changetype<usize>(buf);
    let o = 0;
    let i = start;
    while (i < end) {
      let run = i;
      while (run < end && s.charCodeAt(run) != 0x5c) run++;
      if (run > i) {
        memory.copy(dst + (<usize>o << 1), src + (<usize>i << 1), <usize>(run - i) << 1);
        o += run - i;
      }
      if (run >= end) break;
      const e = s.charCodeAt(run + 1);
      let code = -1;
      let width = 2;
      if (e == 0x22) code = 0x22;
      else if (e == 0x5c) code = 0x5c;
      else if (e == 0x2f) code = 0x2f;
      else if (e == 0x62) code = 0x08;
      else if (e == 0x66) code = 0x0c;
      else if (e == 0x6e) code = 0x0a;
      else if (e == 0x72) code = 0x0d;
      else if (e == 0x74) code = 0x09;
      else if (e == 0x75) {
        width = 6;
        code = run + 6 <= end ? 0 : -2;
        for (let k = 2; k < 6 && code >= 0; k++) {
          const h = hexVal(s.charCodeAt(run + k));
          code = h < 0 ? -2 : (code << 4) | h;
        }
        if (code < 0) { this.pos = run + 1; this.fail("invalid \\u escape"); return null; }
      }
      if (code < 0) { this.pos = run + 1; this.fail("invalid escape"); return null; }
      store<u16>(dst + (<usize>o << 1), <u16>code);
      o++;
      i = run + width;
    }
    return String.UTF16.decodeUnsafe(dst, <usize>o << 1);
  }
  array(depth: i32): JsonValue | null {
    this.pos++;
    const arr = new JsonArray();
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x5d) { this.pos++; return arr; }
    while (true) {
      const v = this.value(depth + 1);
      if (v === null) return null;
      arr.items.push(v);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unterminated array");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x5d) return arr;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or ']'"); }
    }
  }
  object(depth: i32): JsonValue | null {
    this.pos++;
    const obj = new JsonObject();
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x7d) { this.pos++; return obj; }
    while (true) {
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x22) return this.fail("expected a string key");
      const key = this.string();
      if (key === null) return null;
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const v = this.value(depth + 1);
      if (v === null) return null;
      obj.set(key, v);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unterminated object");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x7d) return obj;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or '}'"); }
    }
  }
}

/** A character for a message: 'x' when printable ASCII, else its code (U+000A). */
function charName(c: i32): string {
  if (c > 0x20 && c < 0x7f) return "'" + String.fromCharCode(c) + "'";
  const h = "0123456789ABCDEF";
  return "U+" + h.charAt((c >> 12) & 15) + h.charAt((c >> 8) & 15) + h.charAt((c >> 4) & 15) + h.charAt(c & 15);
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
/** The value of an ASCII hex digit (either case), or -1. */
export function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * The value of a validated JSON number s[start, end). Digits are accumulated exactly up to 2^53 and
 * scaled by a power of ten: correct for every integer and to within an ulp or two for fractions, which
 * is all configuration needs — and it keeps the general-purpose strtod (several KB) out of modules.
 */
function decimalValue(s: string, start: i32, end: i32): f64 {
  let i = start;
  let neg = false;
  if (s.charCodeAt(i) == 0x2d) { neg = true; i++; }
  let mant: f64 = 0;
  let exp10: i32 = 0;
  for (; i < end && isDigit(s.charCodeAt(i)); i++) {
    if (mant < 9007199254740992.0) mant = mant * 10 + <f64>(s.charCodeAt(i) - 0x30);
    else exp10++;
  }
  if (i < end && s.charCodeAt(i) == 0x2e) {
    for (i++; i < end && isDigit(s.charCodeAt(i)); i++) {
      if (mant < 9007199254740992.0) { mant = mant * 10 + <f64>(s.charCodeAt(i) - 0x30); exp10--; }
    }
  }
  if (i < end) { // exponent
    i++;
    let eneg = false;
    if (s.charCodeAt(i) == 0x2b) i++;
    else if (s.charCodeAt(i) == 0x2d) { eneg = true; i++; }
    let e: i32 = 0;
    for (; i < end; i++) if (e < 100000) e = e * 10 + (s.charCodeAt(i) - 0x30);
    exp10 += eneg ? -e : e;
  }
  let v = mant;
  if (exp10 > 0) v = exp10 > 400 ? Infinity : v * pow10(exp10);
  else if (exp10 < 0) v = exp10 < -400 ? 0 : v / pow10(-exp10);
  return neg ? -v : v;
}

/** The value of a plain decimal such as "12", "1.5" or "-0.25" (already checked to be digits and one dot). */
export function parseDecimal(s: string): f64 { return decimalValue(s, 0, s.length); }

/** 10^n for n ≥ 0 from correctly rounded 10^(2^k) constants, without the general Math.pow. */
function pow10(n: i32): f64 {
  if (n <= 22) return POW10_SMALL[n];
  let r: f64 = 1;
  for (let k = 0; n > 0 && k < 9; k++, n >>= 1) if (n & 1) r *= POW10_BITS[k];
  return n > 0 ? Infinity : r;
}
const POW10_SMALL: f64[] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
  1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const POW10_BITS: f64[] = [1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256];

/** Parses `text`; null on error, with the reason in `jsonError`. */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  jsonError = "";
  const v = p.value(0);
  if (v === null) { jsonError = p.err; return null; }
  p.ws();
  if (p.pos != text.length) { p.fail("unexpected trailing characters"); jsonError = p.err; return null; }
  return v;
}

/** A member of a JSON object and its value's exact source text. */
export class JsonRawMember {
  constructor(public key: string, public text: string, public kind: JsonKind) {}
}

/**
 * The members of the JSON object `text` in source order (repeats included), each value as its own
 * source text, validated but handed on unparsed: a chain gives each plugin its section as written.
 * Null on error, with the reason in `jsonError`; a value other than an object is an error too.
 */
export function parseObjectMembers(text: string): JsonRawMember[] | null {
  const p = new Parser(text);
  jsonError = "";
  const out = new Array<JsonRawMember>();
  p.ws();
  if (p.pos >= text.length || text.charCodeAt(p.pos) != 0x7b) {
    p.fail("expected a JSON object");
    jsonError = p.err;
    return null;
  }
  p.pos++;
  p.ws();
  let closed = p.pos < text.length && text.charCodeAt(p.pos) == 0x7d;
  if (closed) p.pos++;
  while (!closed) {
    p.ws();
    if (p.pos >= text.length || text.charCodeAt(p.pos) != 0x22) { p.fail("expected a string key"); break; }
    const key = p.string();
    if (key === null) break;
    p.ws();
    if (p.pos >= text.length || text.charCodeAt(p.pos) != 0x3a) { p.fail("expected ':'"); break; }
    p.pos++;
    p.ws();
    const start = p.pos;
    const v = p.value(1);
    if (v === null) break;
    out.push(new JsonRawMember(key, text.substring(start, p.pos), v.kind));
    p.ws();
    if (p.pos >= text.length) { p.fail("unterminated object"); break; }
    const c = text.charCodeAt(p.pos++);
    if (c == 0x7d) closed = true;
    else if (c != 0x2c) { p.pos--; p.fail("expected ',' or '}'"); break; }
  }
  if (closed) {
    p.ws();
    if (p.pos != text.length) p.fail("unexpected trailing characters");
  }
  if (p.err.length) { jsonError = p.err; return null; }
  return out;
}

/** Quotes a string as a JSON string literal (in one pass into one buffer: linear in the length). */
export function jsonQuote(s: string): string {
  const n = s.length;
  const buf = new ArrayBuffer((n * 6 + 2) << 1); // worst case: every character as \u00XX
  const dst = changetype<usize>(buf);
  let o: usize = 0;
  store<u16>(dst, 0x22);
  o++;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c != 0x22 && c != 0x5c && c >= 0x20) { store<u16>(dst + (o++ << 1), <u16>c); continue; }
    store<u16>(dst + (o++ << 1), 0x5c);
    let e = 0;
    if (c == 0x22 || c == 0x5c) e = c;
    else if (c == 0x0a) e = 0x6e;
    else if (c == 0x0d) e = 0x72;
    else if (c == 0x09) e = 0x74;
    if (e) { store<u16>(dst + (o++ << 1), <u16>e); continue; }
    const h = "0123456789abcdef";
    store<u16>(dst + (o++ << 1), 0x75);
    store<u16>(dst + (o++ << 1), 0x30);
    store<u16>(dst + (o++ << 1), 0x30);
    store<u16>(dst + (o++ << 1), <u16>h.charCodeAt(c >> 4));
    store<u16>(dst + (o++ << 1), <u16>h.charCodeAt(c & 15));
  }
  store<u16>(dst + (o++ << 1), 0x22);
  return String.UTF16.decodeUnsafe(dst, <usize>o << 1);
}
