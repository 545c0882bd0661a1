// Typed reading of a JSON plugin configuration. Every problem is recorded with the path of the field
// (e.g. `rules[2].conditions[0].operator: unknown operator "eqals"`), never a trap; readers return the
// default after an error so parsing can continue, and `ok()` / `error()` tell the outcome.
import {
  parseDecimal, JsonValue, JsonObject, JsonArray, JsonString, JsonNumber, JsonBool, JsonKind, parseJson, jsonError, kindName,
} from "./json";

class ErrorSink { first: string = ""; }

export class ConfigObject {
  private used: bool[];
  constructor(public readonly json: JsonObject, public readonly path: string, private sink: ErrorSink) {
    this.used = new Array<bool>(json.keys.length);
  }

  /** Marks `key` as read, for rejectUnknown(). */
  private mark(key: string): void {
    const i = this.json.indexOf(key);
    if (i >= 0) this.used[i] = true;
  }

  ok(): bool { return this.sink.first.length == 0; }
  /** The first problem found, prefixed with the field's path. */
  error(): string { return this.sink.first; }
  has(key: string): bool { return this.json.has(key); }

  fieldPath(key: string): string { return this.path.length ? this.path + "." + key : key; }

  /** Records a problem with `key`; only the first problem is kept. */
  fail(key: string, reason: string): void {
    if (this.sink.first.length == 0) this.sink.first = this.fieldPath(key) + ": " + reason;
  }

  private take(key: string, kind: JsonKind): JsonValue | null {
    this.mark(key);
    const v = this.json.get(key);
    if (v === null || v.kind == JsonKind.Null) return null;
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
    const s = this.str(key, "");
    if (s.length == 0 && this.ok()) this.fail(key, this.json.has(key) ? "must not be empty" : "is required");
    return s;
  }

  /** One of `allowed`; anything else is an error naming the choices. */
  oneOf(key: string, def: string, allowed: string[]): string {
    const s = this.str(key, def);
    if (!allowed.includes(s)) {
      this.fail(key, "unknown value \"" + s + "\" (expected one of: " + allowed.join(", ") + ")");
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
    if (v === null || v.kind == JsonKind.Null) return defMs;
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

  /** An HTTP header name: lower-cased and checked against RFC 9110 token characters. */
  headerName(key: string, def: string): string {
    const s = this.str(key, def);
    if (s.length == 0) return s;
    if (!isHeaderName(s)) { this.fail(key, "\"" + s + "\" is not a valid header name"); return def; }
    return asciiLower(s);
  }

  obj(key: string): ConfigObject | null {
    const v = this.take(key, JsonKind.Object);
    return v === null ? null : new ConfigObject(<JsonObject>v, this.fieldPath(key), this.sink);
  }

  arr(key: string): ConfigArray | null {
    const v = this.take(key, JsonKind.Array);
    return v === null ? null : new ConfigArray(<JsonArray>v, this.fieldPath(key), this.sink);
  }

  /** A list of strings; a single string is accepted as a one-element list. */
  strList(key: string): string[] {
    this.mark(key);
    const out = new Array<string>();
    const v = this.json.get(key);
    if (v === null || v.kind == JsonKind.Null) return out;
    if (v.kind == JsonKind.String) { out.push((<JsonString>v).value); return out; }
    if (v.kind != JsonKind.Array) { this.fail(key, "expected array of strings, got " + v.kindName()); return out; }
    const items = (<JsonArray>v).items;
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (it.kind != JsonKind.String) { this.fail(key + "[" + i.toString() + "]", "expected string, got " + it.kindName()); break; }
      out.push((<JsonString>it).value);
    }
    return out;
  }

  /** Raw access for fields of several possible types. */
  raw(key: string): JsonValue | null { this.mark(key); return this.json.get(key); }

  /** Records an error for the first field that no reader asked for (a typo, usually). */
  rejectUnknown(): bool {
    const keys = this.json.keys;
    for (let i = 0; i < keys.length; i++) {
      if (!this.used[i]) { this.fail(keys[i], "unknown field"); return false; }
    }
    return true;
  }
}

export class ConfigArray {
  constructor(public readonly json: JsonArray, public readonly path: string, private sink: ErrorSink) {}
  get length(): i32 { return this.json.items.length; }
  itemPath(i: i32): string { return this.path + "[" + i.toString() + "]"; }
  fail(i: i32, reason: string): void {
    if (this.sink.first.length == 0) this.sink.first = this.itemPath(i) + ": " + reason;
  }
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
  if (text.trim().length == 0) return new ConfigObject(new JsonObject(), "", sink);
  const v = parseJson(text);
  if (v === null) {
    sink.first = "configuration is not valid JSON: " + jsonError;
    return new ConfigObject(new JsonObject(), "", sink);
  }
  if (v.kind != JsonKind.Object) {
    sink.first = "configuration must be a JSON object, got " + v.kindName();
    return new ConfigObject(new JsonObject(), "", sink);
  }
  return new ConfigObject(<JsonObject>v, "", sink);
}

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
