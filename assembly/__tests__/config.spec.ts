import { parseConfig, parseDurationMs, isHeaderName, ConfigObject, ConfigArray } from "../sdk/config";

function errorOf(json: string, read: (c: ConfigObject) => void): string {
  const c = parseConfig(json);
  expect(c.ok()).toBe(true);
  read(c);
  expect(c.ok()).toBe(false);
  return c.error();
}

describe("parseConfig", () => {
  it("treats empty and whitespace-only text as {} (defaults)", () => {
    expect(parseConfig("").ok()).toBe(true);
    const c = parseConfig(" \n\t ");
    expect(c.ok()).toBe(true);
    expect(c.str("a", "def")).toBe("def");
    expect(c.int("n", 7)).toBe(7);
    expect(c.bool("b", true)).toBe(true);
    expect(c.rejectUnknown()).toBe(true);
  });
  it("refuses malformed JSON, naming the problem and offset", () => {
    const c = parseConfig('{"a": 1,, }');
    expect(c.ok()).toBe(false);
    expect(c.error()).toBe("configuration is not valid JSON: expected a string key at offset 8");
    // readers still return defaults afterwards: no trap, no partial reads
    expect(c.str("a", "d")).toBe("d");
  });
  it("refuses a configuration that is not an object", () => {
    expect(parseConfig("[1]").error()).toBe("configuration must be a JSON object, got array");
    expect(parseConfig('"x"').error()).toBe("configuration must be a JSON object, got string");
    expect(parseConfig("null").error()).toBe("configuration must be a JSON object, got null");
  });
});

describe("ConfigObject readers: values and defaults", () => {
  it("reads every type and falls back to defaults for absent and null fields", () => {
    const c = parseConfig('{"s": "x", "b": false, "n": 2.5, "i": -3, "nul": null, "l": ["a", "b"], "one": "solo"}');
    expect(c.str("s", "d")).toBe("x");
    expect(c.str("absent", "d")).toBe("d");
    expect(c.str("nul", "d")).toBe("d");
    expect(c.bool("b", true)).toBe(false);
    expect(c.num("n", 0)).toBe(2.5);
    expect(c.int("i", 0)).toBe(-3);
    expect(c.int("absent", 99)).toBe(99);
    const l = c.strList("l");
    expect(l.length).toBe(2);
    expect(l[1]).toBe("b");
    const one = c.strList("one");
    expect(one.length).toBe(1);
    expect(one[0]).toBe("solo");
    expect(c.strList("absent").length).toBe(0);
    expect(c.has("s")).toBe(true);
    expect(c.has("absent")).toBe(false);
    expect(c.ok()).toBe(true);
  });
  it("accepts whole numbers written as 1.0 or 1e3 for int()", () => {
    const c = parseConfig('{"a": 1.0, "b": 1e3}');
    expect(c.int("a", 0)).toBe(1);
    expect(c.int("b", 0)).toBe(1000);
    expect(c.ok()).toBe(true);
  });
  it("lower-cases header names", () => {
    const c = parseConfig('{"h": "X-Request-ID"}');
    expect(c.headerName("h", "x-default")).toBe("x-request-id");
    expect(c.headerName("absent", "x-default")).toBe("x-default");
  });
  it("oneOf returns the value when allowed, the default when absent", () => {
    const c = parseConfig('{"mode": "deny"}');
    expect(c.oneOf("mode", "allow", ["allow", "deny"])).toBe("deny");
    expect(c.oneOf("absent", "allow", ["allow", "deny"])).toBe("allow");
    expect(c.ok()).toBe(true);
  });
});

describe("ConfigObject readers: error text names the field and the reason", () => {
  it("wrong types", () => {
    expect(errorOf('{"name": 5}', (c) => { c.str("name", ""); })).toBe("name: expected string, got number");
    expect(errorOf('{"on": "yes"}', (c) => { c.bool("on", false); })).toBe("on: expected boolean, got string");
    expect(errorOf('{"n": "5"}', (c) => { c.num("n", 0); })).toBe("n: expected number, got string");
    expect(errorOf('{"i": true}', (c) => { c.int("i", 0); })).toBe("i: expected number, got boolean");
    expect(errorOf('{"o": []}', (c) => { c.obj("o"); })).toBe("o: expected object, got array");
    expect(errorOf('{"a": {}}', (c) => { c.arr("a"); })).toBe("a: expected array, got object");
    expect(errorOf('{"l": 3}', (c) => { c.strList("l"); })).toBe("l: expected array of strings, got number");
    expect(errorOf('{"l": ["a", 3]}', (c) => { c.strList("l"); })).toBe("l[1]: expected string, got number");
    expect(errorOf('{"t": true}', (c) => { c.durationMs("t", 1); }))
      .toBe("t: expected a duration such as \"1s\" or \"500ms\", got boolean");
  });
  it("required and empty strings", () => {
    expect(errorOf("{}", (c) => { c.requiredStr("cluster"); })).toBe("cluster: is required");
    expect(errorOf('{"cluster": ""}', (c) => { c.requiredStr("cluster"); })).toBe("cluster: must not be empty");
    expect(errorOf('{"cluster": 1}', (c) => { c.requiredStr("cluster"); })).toBe("cluster: expected string, got number");
  });
  it("enumerations list the choices", () => {
    expect(errorOf('{"mode": "dney"}', (c) => { c.oneOf("mode", "allow", ["allow", "deny"]); }))
      .toBe("mode: unknown value \"dney\" (expected one of: allow, deny)");
  });
  it("ranges and whole numbers", () => {
    expect(errorOf('{"r": 1.5}', (c) => { c.num("r", 0, 0, 1); })).toBe("r: must be between 0 and 1, got 1.5");
    expect(errorOf('{"r": -1}', (c) => { c.num("r", 0, 0); })).toBe("r: must be between 0 and infinity, got -1");
    expect(errorOf('{"n": 2.5}', (c) => { c.int("n", 0); })).toBe("n: must be a whole number, got 2.5");
    expect(errorOf('{"n": 0}', (c) => { c.int("n", 1, 1, 100); })).toBe("n: must be between 1 and 100, got 0");
    expect(errorOf('{"n": 1e300}', (c) => { c.int("n", 1, 1, 100); })).toBe("n: must be between 1 and 100, got 1e+300");
  });
  it("header names", () => {
    expect(errorOf('{"h": "x request"}', (c) => { c.headerName("h", "x"); })).toBe("h: \"x request\" is not a valid header name");
    expect(errorOf('{"h": "x:y"}', (c) => { c.headerName("h", "x"); })).toBe("h: \"x:y\" is not a valid header name");
  });
  it("durations", () => {
    const msg = "t: expected a positive duration such as \"1s\", \"500ms\", \"2m\" or \"1h\"";
    expect(errorOf('{"t": "soon"}', (c) => { c.durationMs("t", 1); })).toBe(msg);
    expect(errorOf('{"t": "0s"}', (c) => { c.durationMs("t", 1); })).toBe(msg);
    expect(errorOf('{"t": -5}', (c) => { c.durationMs("t", 1); })).toBe(msg);
    expect(errorOf('{"t": "2000d"}', (c) => { c.durationMs("t", 1); })).toBe(msg);
    expect(errorOf('{"t": 1e12}', (c) => { c.durationMs("t", 1); })).toBe(msg);
  });
  it("returns the default after an error and keeps only the first error", () => {
    const c = parseConfig('{"a": 1, "b": 2}');
    expect(c.str("a", "da")).toBe("da");
    expect(c.str("b", "db")).toBe("db");
    expect(c.error()).toBe("a: expected string, got number");
  });
});

describe("nested paths", () => {
  it("prefixes object and array paths", () => {
    const c = parseConfig('{"limits": {"burst": "x"}, "rules": [{}, {}, {"match": {"header": 7}}]}');
    const limits = c.obj("limits");
    expect(limits).not.toBeNull();
    expect((<ConfigObject>limits).fieldPath("burst")).toBe("limits.burst");
    const rules = <ConfigArray>c.arr("rules");
    expect(rules.length).toBe(3);
    const m = (<ConfigObject>rules.obj(2)).obj("match");
    (<ConfigObject>m).str("header", "");
    expect(c.error()).toBe("rules[2].match.header: expected string, got number");
  });
  it("reports a wrong item type in an array", () => {
    const c = parseConfig('{"rules": [{}, "x"], "tags": [true]}');
    const rules = <ConfigArray>c.arr("rules");
    expect(rules.obj(0)).not.toBeNull();
    expect(rules.obj(1)).toBeNull();
    expect(c.error()).toBe("rules[1]: expected object, got string");
    const c2 = parseConfig('{"tags": [true]}');
    expect((<ConfigArray>c2.arr("tags")).str(0)).toBe("");
    expect(c2.error()).toBe("tags[0]: expected string, got boolean");
  });
  it("shares one error sink: a nested error makes the root not ok", () => {
    const c = parseConfig('{"o": {"n": "x"}}');
    (<ConfigObject>c.obj("o")).int("n", 0);
    expect(c.ok()).toBe(false);
    expect(c.error()).toBe("o.n: expected number, got string");
  });
});

describe("rejectUnknown", () => {
  it("accepts when every field was read, including absent, null and raw ones", () => {
    const c = parseConfig('{"a": 1, "b": null, "c": [1, "x"]}');
    c.int("a", 0);
    c.str("b", "");
    c.raw("c");
    expect(c.rejectUnknown()).toBe(true);
    expect(c.ok()).toBe(true);
  });
  it("names the first unread field, nested too", () => {
    const c = parseConfig('{"header": "x", "o": {"known": 1, "typo": 2}}');
    c.str("header", "");
    const o = <ConfigObject>c.obj("o");
    o.int("known", 0);
    expect(c.rejectUnknown()).toBe(true);
    expect(o.rejectUnknown()).toBe(false);
    expect(c.error()).toBe("o.typo: unknown field");
  });
});

describe("parseDurationMs", () => {
  it("reads units", () => {
    expect(parseDurationMs("250ms")).toBe(250.0);
    expect(parseDurationMs("1.5s")).toBe(1500.0);
    expect(parseDurationMs("2m")).toBe(120000.0);
    expect(parseDurationMs("1h")).toBe(3600000.0);
    expect(parseDurationMs("10")).toBe(10.0);
    expect(parseDurationMs(" 3s ")).toBe(3000.0);
  });
  it("returns -1 for anything else", () => {
    const bad = ["", "s", "ms", "1.2.3s", "-1s", "1d", "1 s", "abc", "1e3s", ".s"];
    for (let i = 0; i < bad.length; i++) expect(parseDurationMs(bad[i])).toBe(-1.0, bad[i]);
  });
  it("rounds fractional milliseconds up in durationMs", () => {
    const c = parseConfig('{"t": 0.2, "u": "1.0001s"}');
    expect(c.durationMs("t", 9)).toBe(1);
    expect(c.durationMs("u", 9)).toBe(1001);
  });
});

describe("isHeaderName", () => {
  it("accepts RFC 9110 tokens", () => {
    const good = ["x-request-id", "X_Custom", "a", "!#$%&'*+-.^_`|~", "abc123"];
    for (let i = 0; i < good.length; i++) expect(isHeaderName(good[i])).toBe(true, good[i]);
  });
  it("refuses empty names, separators, spaces, pseudo-headers and non-ASCII", () => {
    const bad = ["", "a b", "a:b", ":path", "a\tb", "a\"b", "a(b)", "a,b", "a/b", "é", "a\nb", "{x}"];
    for (let i = 0; i < bad.length; i++) expect(isHeaderName(bad[i])).toBe(false, bad[i]);
  });
});
