import { parseJson, jsonError, JsonObject, JsonNumber, JsonKind } from "../sdk/json";
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
    expect(c.error()).toBe("hedaer: unknown field");
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
