// Typed reading of a JSON plugin configuration. Every problem is recorded with the path of the field
// (e.g. `rules[2].match.operator: unknown value "eqals" (expected one of: …)`), never a trap; readers
// return the default after an error so reading can go on and report every problem of a configuration
// at once (up to MAX_CONFIG_ERRORS). `ok()` / `error()` tell the outcome.
//
// Strict by design: `null` is not "the default" (a YAML key left empty is a mistake, not a choice), an
// unknown field names the closest known one, and configuration values quoted in messages are short,
// escaped excerpts (a 100 KB value with newlines must not become 100 KB of log lines).
import {
  parseDecimal, JsonValue, JsonObject, JsonArray, JsonString, JsonNumber, JsonBool, JsonKind, parseJson, jsonError, kindName,
} from "./json";

/** Problems kept per configuration; the rest are counted ("… and 3 more"). */
export const MAX_CONFIG_ERRORS: i32 = 20;
/** Characters of a configuration value quoted in a message (then "…" and the full length). */
export const EXCERPT_CHARS: i32 = 32;

class ErrorSink {
  list: string[] = [];
  /** Every problem recorded, including those past MAX_CONFIG_ERRORS. */
  count: i32 = 0;
  add(msg: string): void {
    if (this.count < MAX_CONFIG_ERRORS) this.list.push(msg);
    this.count++;
  }
}

export class ConfigObject {
  private used: bool[];
  /** Every key a reader asked for (present or not): the names "did you mean" chooses from. */
  private asked: string[] = [];
  /** sink.count when this reader was made: ok() covers what was recorded since. */
  private readonly base: i32;

  constructor(public readonly json: JsonObject, public readonly path: string, private sink: ErrorSink, base: i32 = -1) {
    this.used = new Array<bool>(json.keys.length);
    this.base = base < 0 ? sink.count : base;
  }

  /** Marks `key` as read, for rejectUnknown(). */
  private mark(key: string): void {
    const i = this.json.indexOf(key);
    if (i >= 0) this.used[i] = true;
    if (!this.asked.includes(key)) this.asked.push(key);
  }

  /**
   * No problem was recorded by this reader, or by the readers made from it, since it was made. On the
   * object parseConfig() returns it covers the whole configuration; on a nested one, that part — so a
   * filter can skip one bad rule and go on to report the problems of the next.
   */
  ok(): bool { return this.sink.count == this.base; }
  /** Every problem of the configuration (up to MAX_CONFIG_ERRORS), each prefixed with its field path, joined by "; ". */
  error(): string {
    const list = this.sink.list;
    let out = list.join("; ");
    const more = this.sink.count - list.length;
    if (more > 0) out += "; … and " + more.toString() + " more";
    return out;
  }
  /** The problems kept (at most MAX_CONFIG_ERRORS), each `path: reason`. */
  errors(): string[] { return this.sink.list.slice(0); }
  /** How many problems were recorded in all (also those past MAX_CONFIG_ERRORS). */
  errorCount(): i32 { return this.sink.count; }
  has(key: string): bool { return this.json.has(key); }

  fieldPath(key: string): string { return joinPath(this.path, key); }

  /** Records a problem with `key` (a field name, or a path below this object such as "values[3]"). */
  fail(key: string, reason: string): void { this.sink.add(this.fieldPath(key) + ": " + reason); }

  private take(key: string, kind: JsonKind): JsonValue | null {
    this.mark(key);
    const v = this.json.get(key);
    if (v === null) return null;
    if (v.kind != kind) {
      this.fail(key, "expected " + kindName(kind) + ", got " + v.kindName());
      return null;
    }
    return v;
  }

  str(key: string, def: string = ""): string {
    const v = this.take(key, JsonKind.String);
    return v === null ? def : (<JsonString>v).value;
  }

  /** A string that must be present and non-empty. */
  requiredStr(key: string): string {
    const before = this.sink.count;
    const s = this.str(key, "");
    if (s.length == 0 && this.sink.count == before) this.fail(key, this.json.has(key) ? "must not be empty" : "is required");
    return s;
  }

  /** One of `allowed`; anything else is an error naming the choices. */
  oneOf(key: string, def: string, allowed: string[]): string {
    const s = this.str(key, def);
    if (!allowed.includes(s)) {
      this.fail(key, "unknown value " + quoteExcerpt(s) + suggestion(s, allowed) + " (expected one of: " + allowed.join(", ") + ")");
      return def;
    }
    return s;
  }

  bool(key: string, def: bool): bool {
    const v = this.take(key, JsonKind.Bool);
    return v === null ? def : (<JsonBool>v).value;
  }

  num(key: string, def: f64, min: f64 = -Infinity, max: f64 = Infinity): f64 {
    const v = this.take(key, JsonKind.Number);
    if (v === null) return def;
    const n = (<JsonNumber>v).value;
    if (n < min || n > max) {
      this.fail(key, "must be between " + fmt(min) + " and " + fmt(max) + ", got " + fmt(n));
      return def;
    }
    return n;
  }

  int(key: string, def: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const v = this.take(key, JsonKind.Number);
    if (v === null) return def;
    const num = <JsonNumber>v;
    if (!num.isInteger && num.value != Math.floor(num.value)) {
      this.fail(key, "must be a whole number, got " + fmt(num.value));
      return def;
    }
    if (num.value < <f64>min || num.value > <f64>max) {
      this.fail(key, "must be between " + min.toString() + " and " + max.toString() + ", got " + fmt(num.value));
      return def;
    }
    return <i64>num.value;
  }

  /**
   * A duration in milliseconds: a number (milliseconds) or a string with a unit
   * ("250ms", "1s", "1.5s", "2m", "1h"). Must be > 0.
   */
  durationMs(key: string, defMs: i64): i64 {
    this.mark(key);
    const v = this.json.get(key);
    if (v === null) return defMs;
    let ms: f64 = -1;
    if (v.kind == JsonKind.Number) ms = (<JsonNumber>v).value;
    else if (v.kind == JsonKind.String) ms = parseDurationMs((<JsonString>v).value);
    else { this.fail(key, "expected a duration such as \"1s\" or \"500ms\", got " + v.kindName()); return defMs; }
    if (!(ms > 0) || ms > 8.64e10) {
      this.fail(key, "expected a positive duration such as \"1s\", \"500ms\", \"2m\" or \"1h\"");
      return defMs;
    }
    return <i64>Math.ceil(ms);
  }

  /** An HTTP header name: checked against RFC 9110 token characters and lower-cased (as Envoy stores names). */
  headerName(key: string, def: string): string {
    const s = this.str(key, def);
    if (s.length == 0) return s;
    if (!isHeaderName(s)) { this.fail(key, quoteExcerpt(s) + " is not a valid header name"); return def; }
    return asciiLower(s);
  }

  /** An HTTP header value: no CR, LF, NUL nor other control characters but HTAB (RFC 9110 field-value). */
  headerValue(key: string, def: string): string {
    const s = this.str(key, def);
    if (!isHeaderValue(s)) { this.fail(key, headerValueProblem(s)); return def; }
    return s;
  }

  obj(key: string): ConfigObject | null {
    const v = this.take(key, JsonKind.Object);
    return v === null ? null : new ConfigObject(<JsonObject>v, this.fieldPath(key), this.sink);
  }

  /** An array of at most `maxItems` items (more is an error naming the bound); null when absent or wrong. */
  arr(key: string, maxItems: i32 = i32.MAX_VALUE): ConfigArray | null {
    const v = this.take(key, JsonKind.Array);
    if (v === null) return null;
    const n = (<JsonArray>v).items.length;
    if (n > maxItems) { this.fail(key, tooMany(n, maxItems)); return null; }
    return new ConfigArray(<JsonArray>v, this.fieldPath(key), this.sink);
  }

  /** A list of at most `maxItems` strings; a single string is accepted as a one-element list. */
  strList(key: string, maxItems: i32 = i32.MAX_VALUE): string[] {
    this.mark(key);
    const out = new Array<string>();
    const v = this.json.get(key);
    if (v === null) return out;
    if (v.kind == JsonKind.String) { out.push((<JsonString>v).value); return out; }
    if (v.kind != JsonKind.Array) { this.fail(key, "expected array of strings, got " + v.kindName()); return out; }
    const items = (<JsonArray>v).items;
    if (items.length > maxItems) { this.fail(key, tooMany(items.length, maxItems)); return out; }
    for (let i = 0; i < items.length; i++) {
      const it = unchecked(items[i]);
      if (it.kind != JsonKind.String) { this.fail(key + "[" + i.toString() + "]", "expected string, got " + it.kindName()); continue; }
      out.push((<JsonString>it).value);
    }
    return out;
  }

  /** Raw access for fields of several possible types (null included: the caller decides). */
  raw(key: string): JsonValue | null { this.mark(key); return this.json.get(key); }

  /**
   * Records an error for every field outside `known` — each with the closest known name when one is
   * near ("kye: unknown field; did you mean \"key\"?"). Call it first: it does not depend on which
   * readers ran, so an object with other errors still gets its typos reported. False if any was unknown.
   */
  allowOnly(known: string[]): bool {
    const keys = this.json.keys;
    let clean = true;
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      if (known.includes(k)) continue;
      this.used[i] = true; // reported once, not again by rejectUnknown()
      if (this.sink.count >= MAX_CONFIG_ERRORS) this.sink.count++; // past the bound: counted, no text built
      else this.fail(k, "unknown field" + suggestion(k, known));
      clean = false;
    }
    return clean;
  }

  /**
   * Records an error for every field that no reader asked for (a typo, usually), suggesting the
   * closest name a reader asked for that is absent. False if there was one.
   */
  rejectUnknown(): bool {
    const keys = this.json.keys;
    let clean = true;
    let missing: string[] | null = null;
    for (let i = 0; i < keys.length; i++) {
      if (this.used[i]) continue;
      if (missing === null) {
        const m = new Array<string>();
        for (let k = 0; k < this.asked.length; k++) if (!this.json.has(this.asked[k])) m.push(this.asked[k]);
        missing = m;
      }
      if (this.sink.count >= MAX_CONFIG_ERRORS) this.sink.count++;
      else this.fail(keys[i], "unknown field" + suggestion(keys[i], missing));
      clean = false;
    }
    return clean;
  }
}

export class ConfigArray {
  constructor(public readonly json: JsonArray, public readonly path: string, private sink: ErrorSink) {}
  get length(): i32 { return this.json.items.length; }
  itemPath(i: i32): string { return this.path + "[" + i.toString() + "]"; }
  fail(i: i32, reason: string): void { this.sink.add(this.itemPath(i) + ": " + reason); }
  /** Item i as an object, or null (recording an error) when it is not one. */
  obj(i: i32): ConfigObject | null {
    const v = this.json.items[i];
    if (v.kind != JsonKind.Object) { this.fail(i, "expected object, got " + v.kindName()); return null; }
    return new ConfigObject(<JsonObject>v, this.itemPath(i), this.sink);
  }
  str(i: i32): string {
    const v = this.json.items[i];
    if (v.kind != JsonKind.String) { this.fail(i, "expected string, got " + v.kindName()); return ""; }
    return (<JsonString>v).value;
  }
  raw(i: i32): JsonValue { return this.json.items[i]; }
}

/**
 * Parses a plugin configuration. Empty (or whitespace-only) text means `{}`: defaults.
 * Malformed JSON or a non-object gives an object whose error() says why.
 */
export function parseConfig(text: string): ConfigObject {
  const sink = new ErrorSink();
  if (text.trim().length == 0) return new ConfigObject(new JsonObject(), "", sink, 0);
  const v = parseJson(text);
  if (v === null) {
    sink.add("configuration is not valid JSON: " + jsonError);
    return new ConfigObject(new JsonObject(), "", sink, 0);
  }
  if (v.kind != JsonKind.Object) {
    sink.add("configuration must be a JSON object, got " + v.kindName());
    return new ConfigObject(new JsonObject(), "", sink, 0);
  }
  return new ConfigObject(<JsonObject>v, "", sink, 0);
}

function tooMany(n: i32, max: i32): string {
  return "at most " + max.toString() + " items, got " + n.toString();
}

/** `path.key`, or `path["…"]` (escaped, bounded) when the key is not a plain name; long paths are elided in the middle. */
export function joinPath(path: string, key: string): string {
  let plain = key.length > 0 && key.length <= 64;
  for (let i = 0; plain && i < key.length; i++) {
    const c = key.charCodeAt(i);
    plain = c > 0x20 && c < 0x7f && c != 0x22 && c != 0x5c;
  }
  const full = !plain ? path + "[" + quoteExcerpt(key) + "]" : path.length ? path + "." + key : key;
  // A path 64 levels deep stays readable and bounded: its start and its end, the middle elided.
  if (full.length <= MAX_PATH_CHARS) return full;
  return full.substring(0, 96) + "…" + full.substring(full.length - (MAX_PATH_CHARS - 97));
}

/** Characters of a field path in a message (deeper paths keep their start and end). */
const MAX_PATH_CHARS = 240;

/**
 * `"value"` for a message: at most EXCERPT_CHARS characters, with quotes, backslashes and every
 * character outside printable ASCII escaped (\n, \u00e9 …), then `…" (N characters)` when cut.
 */
export function quoteExcerpt(s: string, max: i32 = EXCERPT_CHARS): string {
  const n = s.length < max ? s.length : max;
  // One buffer, written once (worst case: every character as \uXXXX): no per-character strings.
  const buf = new ArrayBuffer((n * 6 + 2) << 1);
  const dst = changetype<usize>(buf);
  let o: usize = 0;
  store<u16>(dst, 0x22);
  o++;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c != 0x22 && c != 0x5c) { store<u16>(dst + (o++ << 1), <u16>c); continue; }
    store<u16>(dst + (o++ << 1), 0x5c);
    const e = c == 0x22 || c == 0x5c ? c : c == 0x0a ? 0x6e : c == 0x0d ? 0x72 : c == 0x09 ? 0x74 : 0;
    if (e) { store<u16>(dst + (o++ << 1), <u16>e); continue; }
    store<u16>(dst + (o++ << 1), 0x75);
    for (let shift = 12; shift >= 0; shift -= 4) {
      const d = (c >> shift) & 15;
      store<u16>(dst + (o++ << 1), <u16>(d < 10 ? 0x30 + d : 0x57 + d));
    }
  }
  if (n < s.length) {
    store<u16>(dst + (o++ << 1), 0x2026); // …
    store<u16>(dst + (o++ << 1), 0x22);
    return String.UTF16.decodeUnsafe(dst, o << 1) + " (" + s.length.toString() + " characters)";
  }
  store<u16>(dst + (o++ << 1), 0x22);
  return String.UTF16.decodeUnsafe(dst, o << 1);
}

/** `; did you mean "key"?` when one of `known` is within a small edit distance of `word`, else "". */
export function suggestion(word: string, known: string[]): string {
  const best = closestName(word, known);
  return best.length ? "; did you mean \"" + best + "\"?" : "";
}

/**
 * The name in `known` nearest to `word` — case-insensitive edit distance counting a swap of two
 * neighbours as one edit ("kye" → "key") — if it is at most 1 (names under 6 characters) or 2; else "".
 */
export function closestName(word: string, known: string[]): string {
  let best = "";
  let bestD = 3;
  if (word.length > 64) return best;
  for (let i = 0; i < known.length; i++) {
    const k = unchecked(known[i]);
    const limit = k.length < 6 ? 1 : 2;
    const lenGap = k.length > word.length ? k.length - word.length : word.length - k.length;
    if (lenGap > limit) continue;
    const d = editDistance(word, k);
    if (d <= limit && d < bestD) { bestD = d; best = k; }
  }
  return best;
}

/** Optimal-string-alignment distance, ASCII case folded (both strings short: configure time only). */
function editDistance(a: string, b: string): i32 {
  const n = a.length, m = b.length;
  // Three rows — the one before last (for transpositions), the last, the current — in one buffer.
  const w = <usize>(m + 1) << 2;
  const rows = new ArrayBuffer(<i32>w * 3);
  let prev2 = changetype<usize>(rows), prev = prev2 + w, cur = prev + w;
  for (let j = 0; j <= m; j++) store<i32>(prev + (<usize>j << 2), j);
  for (let i = 1; i <= n; i++) {
    store<i32>(cur, i);
    const ca = foldCase(a.charCodeAt(i - 1));
    for (let j = 1; j <= m; j++) {
      const cb = foldCase(b.charCodeAt(j - 1));
      const at = <usize>j << 2;
      let d = min(load<i32>(prev + at) + 1, load<i32>(cur + at - 4) + 1);
      d = min(d, load<i32>(prev + at - 4) + (ca == cb ? 0 : 1));
      if (i > 1 && j > 1 && ca == foldCase(b.charCodeAt(j - 2)) && foldCase(a.charCodeAt(i - 2)) == cb) d = min(d, load<i32>(prev2 + at - 8) + 1);
      store<i32>(cur + at, d);
    }
    const t = prev2; prev2 = prev; prev = cur; cur = t;
  }
  return load<i32>(prev + (<usize>m << 2));
}

// @ts-ignore: decorator
@inline function foldCase(c: i32): i32 { return c >= 0x41 && c <= 0x5a ? c | 0x20 : c; }
/** "250ms" → 250, "1.5s" → 1500, "2m" → 120000, "1h" → 3600000, "10" → 10; -1 if malformed. */
export function parseDurationMs(s: string): f64 {
  let unit: f64 = 1;
  let num = s.trim();
  if (num.endsWith("ms")) { num = num.substring(0, num.length - 2); unit = 1; }
  else if (num.endsWith("s")) { num = num.substring(0, num.length - 1); unit = 1000; }
  else if (num.endsWith("m")) { num = num.substring(0, num.length - 1); unit = 60000; }
  else if (num.endsWith("h")) { num = num.substring(0, num.length - 1); unit = 3600000; }
  if (num.length == 0) return -1;
  let dot = false, digits = false;
  for (let i = 0; i < num.length; i++) {
    const c = num.charCodeAt(i);
    if (c == 0x2e && !dot) { dot = true; continue; }
    if (c < 0x30 || c > 0x39) return -1;
    digits = true;
  }
  if (!digits) return -1; // "." alone would parse as NaN
  return parseDecimal(num) * unit;
}

/**
 * ASCII lower case. Header names are tokens (ASCII only), and String#toLowerCase would link
 * Unicode case tables (~13 KB) into every module that reads a header name.
 */
export function asciiLower(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n && !isUpperAscii(s.charCodeAt(i))) i++;
  if (i == n) return s;
  const buf = new ArrayBuffer(n << 1);
  const p = changetype<usize>(buf);
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    store<u16>(p + (<usize>j << 1), <u16>(isUpperAscii(c) ? c | 0x20 : c));
  }
  return String.UTF16.decode(buf);
}

// @ts-ignore: decorator
@inline function isUpperAscii(c: i32): bool { return c >= 0x41 && c <= 0x5a; }

/** RFC 9110 token characters (header field names). */
export function isHeaderName(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
      c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a || c == 0x2b ||
      c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
    if (!ok) return false;
  }
  return true;
}

/**
 * A number for an error message: integers exactly, others with up to 6 decimals, huge ones as
 * "1e+300". Hand-rolled so modules don't carry the general float printer (several KB) for messages.
 */
export function fmt(n: f64): string {
  if (n == Infinity) return "infinity";
  if (n == -Infinity) return "-infinity";
  if (n != n) return "NaN";
  const sign = n < 0 ? "-" : "";
  let a = Math.abs(n);
  if (a < 1e15) return sign + fixed6(a);
  let e = 0;
  while (a >= 10) { a /= 10; e++; }
  return sign + fixed6(a) + "e+" + e.toString();
}

function fixed6(a: f64): string {
  let whole = <i64>Math.floor(a);
  let frac = <i64>Math.round((a - <f64>whole) * 1e6);
  if (frac >= 1000000) { whole++; frac -= 1000000; }
  if (frac == 0) return whole.toString();
  let digits = frac.toString();
  while (digits.length < 6) digits = "0" + digits;
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) == 0x30) end--;
  return whole.toString() + "." + digits.substring(0, end);
}

/**
 * True when `s` may be sent as a header value: no control characters but HTAB — no CR or LF (header
 * injection), no NUL (truncation in C hosts), no DEL. Characters beyond ASCII are sent as UTF-8.
 */
export function isHeaderValue(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return false;
  }
  return true;
}

/** Why `s` is not a header value (for isHeaderValue's failures): the first bad character and where. */
export function headerValueProblem(s: string): string {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) break;
    i++;
  }
  const c = i < s.length ? s.charCodeAt(i) : 0;
  const what = c == 0x0d ? "CR" : c == 0x0a ? "LF" : c == 0 ? "NUL" : "a control character";
  return "a header value must not contain CR, LF, NUL or other control characters; " + quoteExcerpt(s) +
    " has " + what + " at index " + i.toString();
}
