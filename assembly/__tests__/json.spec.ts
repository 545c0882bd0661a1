import { parseJson, jsonError, jsonQuote, JsonObject, JsonNumber, JsonString, JsonKind } from "../sdk/json";
import { parseConfig } from "../sdk/config";

describe("parseJson", () => {
  it("parses nested objects", () => {
    const v = parseJson('{"a": 5, "b": [1, 2, "x"], "c": {"d": true}}');
    expect(v).not.toBeNull();
    const o = <JsonObject>v;
    expect((<JsonNumber>o.get("a")).value).toBe(5.0);
    expect(o.keys.length).toBe(3);
  });
  it("reports malformed JSON without trapping", () => {
    expect(parseJson('{"a": }')).toBeNull();
    expect(jsonError.length).toBeGreaterThan(0);
    expect(parseJson("[1, 2")).toBeNull();
    expect(parseJson('"\\x"')).toBeNull();
    expect(parseJson("01")).toBeNull();
    expect(parseJson("{} x")).toBeNull();
  });
});

describe("parseConfig", () => {
  it("treats empty text as defaults", () => {
    const c = parseConfig("  ");
    expect(c.ok()).toBe(true);
    expect(c.str("header", "x-request-id")).toBe("x-request-id");
  });
  it("names the field of a wrong type", () => {
    const c = parseConfig('{"rules": [{"name": 5}]}');
    const rules = c.arr("rules");
    expect(rules).not.toBeNull();
    const r = (<ConfigArrayAlias>rules).obj(0);
    (<ConfigObjectAlias>r).str("name", "");
    expect(c.ok()).toBe(false);
    expect(c.error()).toBe("rules[0].name: expected string, got number");
  });
  it("refuses unknown fields", () => {
    const c = parseConfig('{"hedaer": "x"}');
    c.str("header", "");
    expect(c.rejectUnknown()).toBe(false);
    expect(c.error()).toBe("hedaer: unknown field; did you mean \"header\"?");
  });
  it("parses durations", () => {
    const c = parseConfig('{"a": "1.5s", "b": 250, "c": "2m", "d": "-1s"}');
    expect(c.durationMs("a", 0)).toBe(1500);
    expect(c.durationMs("b", 0)).toBe(250);
    expect(c.durationMs("c", 0)).toBe(120000);
    expect(c.ok()).toBe(true);
    c.durationMs("d", 0);
    expect(c.ok()).toBe(false);
  });
});

import { ConfigArray as ConfigArrayAlias, ConfigObject as ConfigObjectAlias } from "../sdk/config";

import { JsonString, JsonArray, JsonBool, jsonQuote } from "../sdk/json";

function str(text: string): string {
  const v = parseJson(text);
  expect(v).not.toBeNull();
  expect((<JsonValueAlias>v).kind).toBe(JsonKind.String);
  return (<JsonString>v).value;
}
function num(text: string): JsonNumber {
  const v = parseJson(text);
  expect(v).not.toBeNull();
  expect((<JsonValueAlias>v).kind).toBe(JsonKind.Number);
  return <JsonNumber>v;
}
function nest(n: i32): string { return "[".repeat(n) + "]".repeat(n); }

describe("parseJson: strings and escapes", () => {
  it("decodes every simple escape", () => {
    expect(str('"a\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti"')).toBe("a\"b\\c/d\be\ff\ng\rh\ti");
  });
  it("decodes \\u escapes, including surrogate pairs", () => {
    expect(str('"caf\\u00e9"')).toBe("café");
    expect(str('"\\u00E9"')).toBe("é");
    expect(str('"\\ud83d\\ude00"')).toBe("😀");
    expect(str('"\\u0000"').length).toBe(1);
  });
  it("keeps raw non-ASCII text", () => {
    expect(str('"日本語 ✓"')).toBe("日本語 ✓");
  });
  it("refuses bad escapes and unescaped control characters with a reason and offset", () => {
    expect(parseJson('"\\u12g4"')).toBeNull();
    expect(jsonError).toBe("invalid \\u escape at offset 2");
    expect(parseJson('"\\u12"')).toBeNull(); // the string ends inside the escape
    expect(jsonError).toBe("invalid \\u escape at offset 2");
    expect(parseJson('"\\q"')).toBeNull();
    expect(jsonError).toBe("invalid escape at offset 2");
    expect(parseJson('"a\nb"')).toBeNull();
    expect(jsonError).toBe("control character in string at offset 2");
    expect(parseJson('"abc')).toBeNull();
    expect(jsonError).toBe("unterminated string at offset 4");
    expect(parseJson('"abc\\')).toBeNull();
    expect(jsonError).toBe("unterminated string at offset 5");
  });
  it("quotes strings back so they re-parse to the same text", () => {
    const s = "a\"b\\c\nd\te\x01";
    expect(jsonQuote(s)).toBe('"a\\"b\\\\c\\nd\\te\\u0001"');
    expect(str(jsonQuote(s))).toBe(s);
  });
});

describe("parseJson: numbers", () => {
  it("parses integers, fractions and exponents, and knows which are integers", () => {
    expect(num("0").value).toBe(0.0);
    expect(num("-0").value).toBe(-0.0);
    expect(num("42").isInteger).toBe(true);
    expect(num("-17").value).toBe(-17.0);
    expect(num("1.5").value).toBe(1.5);
    expect(num("1.5").isInteger).toBe(false);
    expect(num("1e3").value).toBe(1000.0);
    expect(num("1e3").isInteger).toBe(false);
    expect(num("2.5E-2").value).toBe(0.025);
    expect(num("1e+2").value).toBe(100.0);
    expect(num("9007199254740993").value).toBe(9007199254740992.0);
  });
  it("refuses malformed numbers", () => {
    const bad = ["-", "1.", ".5", "1e", "1e+", "01", "-01", "+1", "0x10", "1.2.3", "NaN", "Infinity"];
    for (let i = 0; i < bad.length; i++) {
      expect(parseJson(bad[i])).toBeNull(bad[i]);
      expect(jsonError.length).toBeGreaterThan(0);
    }
    parseJson("01");
    expect(jsonError).toBe("leading zero in number at offset 2");
  });
});

describe("parseJson: structure", () => {
  it("parses literals, empty containers and whitespace", () => {
    expect((<JsonBool>parseJson(" true ")).value).toBe(true);
    expect((<JsonBool>parseJson("false")).value).toBe(false);
    expect((<JsonValueAlias>parseJson("null")).isNull()).toBe(true);
    expect((<JsonArray>parseJson("[ ]")).items.length).toBe(0);
    expect((<JsonObject>parseJson("\t{\r\n}\n")).keys.length).toBe(0);
  });
  it("keeps key order and lets a repeated key's last value win", () => {
    const o = <JsonObject>parseJson('{"b": 1, "a": 2, "b": 3}');
    expect(o.keys.length).toBe(2);
    expect(o.keys[0]).toBe("b");
    expect((<JsonNumber>o.get("b")).value).toBe(3.0);
    expect(o.get("missing")).toBeNull();
  });
  it("accepts nesting up to 64 levels and refuses deeper, without exhausting the stack", () => {
    expect(parseJson(nest(65))).not.toBeNull();
    expect(parseJson(nest(66))).toBeNull();
    expect(jsonError).toBe("nesting deeper than 64 at offset 65");
    expect(parseJson("[".repeat(100000))).toBeNull();
    expect(jsonError).toBe("nesting deeper than 64 at offset 65");
  });
  it("refuses trailing garbage, trailing commas, bad literals and missing separators", () => {
    expect(parseJson("{} x")).toBeNull();
    expect(jsonError).toBe("unexpected trailing characters at offset 3");
    expect(parseJson("[1,]")).toBeNull();
    expect(jsonError).toBe("unexpected character ']' at offset 3");
    expect(parseJson('{"a":1,}')).toBeNull();
    expect(jsonError).toBe("expected a string key at offset 7");
    expect(parseJson("tru")).toBeNull();
    expect(jsonError).toBe("invalid literal at offset 0");
    expect(parseJson('{"a" 1}')).toBeNull();
    expect(jsonError).toBe("expected ':' at offset 5");
    expect(parseJson("[1 2]")).toBeNull();
    expect(jsonError).toBe("expected ',' or ']' at offset 3");
    expect(parseJson('{"a":1 "b":2}')).toBeNull();
    expect(jsonError).toBe("expected ',' or '}' at offset 7");
    expect(parseJson("")).toBeNull();
    expect(jsonError).toBe("unexpected end of input at offset 0");
    expect(parseJson("[1")).toBeNull();
    expect(jsonError).toBe("unterminated array at offset 2");
    expect(parseJson('{"a":1')).toBeNull();
    expect(jsonError).toBe("unterminated object at offset 6");
  });
  it("clears jsonError after a successful parse", () => {
    parseJson("[");
    expect(jsonError.length).toBeGreaterThan(0);
    parseJson("[]");
    expect(jsonError).toBe("");
  });
});

import { JsonValue as JsonValueAlias } from "../sdk/json";

describe("parseJson: linear in the input", () => {
  it("decodes a string of many escapes exactly", () => {
    const v = parseJson('"' + "a\\n".repeat(1000) + '\\u00e9"');
    expect(v).not.toBeNull();
    const s = (<JsonString>v).value;
    expect(s.length).toBe(2001);
    expect(s.charCodeAt(1)).toBe(0x0a);
    expect(s.charCodeAt(2000)).toBe(0xe9);
  });
  it("indexes a large object: every key found, repeated keys keep the first position and the last value", () => {
    let json = "{";
    for (let i = 0; i < 1000; i++) json += (i ? "," : "") + "\"k" + i.toString() + "\": " + i.toString();
    json += ", \"k5\": -1}";
    const o = <JsonObject>parseJson(json);
    expect(o.keys.length).toBe(1000);
    expect(o.indexOf("k999")).toBe(999);
    expect(o.indexOf("k5")).toBe(5);
    expect((<JsonNumber>o.get("k5")).value).toBe(-1.0);
    expect(o.has("k1000")).toBe(false);
    expect(o.get("nope")).toBeNull();
  });
  it("names an unexpected control character by its code, not raw", () => {
    expect(parseJson("\n\u0001")).toBeNull();
    expect(jsonError).toBe("unexpected character U+0001 at offset 1");
  });
  it("jsonQuote escapes in one pass", () => {
    expect(jsonQuote("a\"b\\c\nd\u0001")).toBe("\"a\\\"b\\\\c\\nd\\u0001\"");
  });
});
