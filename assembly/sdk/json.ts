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
export class JsonObject extends JsonValue {
  keys: string[] = [];
  map: Map<string, JsonValue> = new Map();
  constructor() { super(JsonKind.Object); }
  has(key: string): bool { return this.map.has(key); }
  get(key: string): JsonValue | null { return this.map.has(key) ? this.map.get(key) : null; }
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
    return this.fail("unexpected character '" + String.fromCharCode(c) + "'");
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
    return new JsonNumber(parseFloat(s.substring(start, this.pos)), integer);
  }
  string(): string | null {
    const s = this.s;
    this.pos++; // opening quote
    let out = "";
    let run = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += s.substring(run, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) {
        out += s.substring(run, this.pos);
        this.pos++;
        if (this.pos >= s.length) break;
        const e = s.charCodeAt(this.pos);
        if (e == 0x22) out += "\"";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x2f) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          if (this.pos + 4 >= s.length) break;
          let code = 0;
          for (let i = 1; i <= 4; i++) {
            const h = hexVal(s.charCodeAt(this.pos + i));
            if (h < 0) { this.fail("invalid \\u escape"); return null; }
            code = (code << 4) | h;
          }
          out += String.fromCharCode(code);
          this.pos += 4;
        } else { this.fail("invalid escape"); return null; }
        this.pos++;
        run = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return null;
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
      if (!obj.map.has(key)) obj.keys.push(key);
      obj.map.set(key, v);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unterminated object");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x7d) return obj;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or '}'"); }
    }
  }
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

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

/** Quotes a string as a JSON string literal. */
export function jsonQuote(s: string): string {
  let out = "\"";
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c || c < 0x20) {
      out += s.substring(run, i);
      if (c == 0x22) out += "\\\"";
      else if (c == 0x5c) out += "\\\\";
      else if (c == 0x0a) out += "\\n";
      else if (c == 0x0d) out += "\\r";
      else if (c == 0x09) out += "\\t";
      else {
        const h = "0123456789abcdef";
        out += "\\u00" + h.charAt(c >> 4) + h.charAt(c & 15);
      }
      run = i + 1;
    }
  }
  return out + s.substring(run) + "\"";
}
