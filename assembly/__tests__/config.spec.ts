import {
  parseConfig, parseDurationMs, isHeaderName, isHeaderValue, quoteExcerpt, closestName, ConfigObject, ConfigArray, MAX_CONFIG_ERRORS,
} from "../sdk/config";

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
  it("reads every type and falls back to defaults for absent fields", () => {
    const c = parseConfig('{"s": "x", "b": false, "n": 2.5, "i": -3, "l": ["a", "b"], "one": "solo"}');
    expect(c.str("s", "d")).toBe("x");
    expect(c.str("absent", "d")).toBe("d");
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
    expect(errorOf('{"mode": "nope"}', (c) => { c.oneOf("mode", "allow", ["allow", "deny"]); }))
      .toBe("mode: unknown value \"nope\" (expected one of: allow, deny)");
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
  it("returns the default after an error and reports every error, in order", () => {
    const c = parseConfig('{"a": 1, "b": 2}');
    expect(c.str("a", "da")).toBe("da");
    expect(c.str("b", "db")).toBe("db");
    expect(c.error()).toBe("a: expected string, got number; b: expected string, got number");
    expect(c.errors().length).toBe(2);
    expect(c.errorCount()).toBe(2);
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
  it("accepts when every field was read, including absent and raw ones", () => {
    const c = parseConfig('{"a": 1, "c": [1, "x"]}');
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

describe("strict configurations: null is not the default", () => {
  it("refuses null for every typed reader, naming the field", () => {
    expect(errorOf('{"s": null}', (c) => { c.str("s", "d"); })).toBe("s: expected string, got null");
    expect(errorOf('{"s": null}', (c) => { c.requiredStr("s"); })).toBe("s: expected string, got null");
    expect(errorOf('{"n": null}', (c) => { c.int("n", 1); })).toBe("n: expected number, got null");
    expect(errorOf('{"n": null}', (c) => { c.num("n", 1); })).toBe("n: expected number, got null");
    expect(errorOf('{"b": null}', (c) => { c.bool("b", true); })).toBe("b: expected boolean, got null");
    expect(errorOf('{"o": null}', (c) => { c.obj("o"); })).toBe("o: expected object, got null");
    expect(errorOf('{"a": null}', (c) => { c.arr("a"); })).toBe("a: expected array, got null");
    expect(errorOf('{"l": null}', (c) => { c.strList("l"); })).toBe("l: expected array of strings, got null");
    expect(errorOf('{"t": null}', (c) => { c.durationMs("t", 1); })).toBe("t: expected a duration such as \"1s\" or \"500ms\", got null");
    expect(errorOf('{"m": null}', (c) => { c.oneOf("m", "a", ["a", "b"]); })).toBe("m: expected string, got null");
  });
});

describe("every error, up to a bound", () => {
  it("keeps MAX_CONFIG_ERRORS messages and counts the rest", () => {
    let json = "{";
    for (let i = 0; i < 25; i++) json += (i ? "," : "") + "\"f" + i.toString() + "\": 1";
    const c = parseConfig(json + "}");
    expect(c.allowOnly([])).toBe(false);
    expect(c.errorCount()).toBe(25);
    expect(c.errors().length).toBe(MAX_CONFIG_ERRORS);
    expect(c.error().startsWith("f0: unknown field; f1: unknown field")).toBe(true);
    expect(c.error().endsWith("f19: unknown field; … and 5 more")).toBe(true);
  });
  it("ok() of a nested reader covers only what was recorded since it was made", () => {
    const c = parseConfig('{"rules": [{"n": "x"}, {"n": 2}]}');
    const rules = <ConfigArray>c.arr("rules");
    const r0 = <ConfigObject>rules.obj(0);
    r0.int("n", 0);
    expect(r0.ok()).toBe(false);
    const r1 = <ConfigObject>rules.obj(1);
    r1.int("n", 0);
    expect(r1.ok()).toBe(true);
    expect(c.ok()).toBe(false);
  });
});

describe("unknown fields name the closest known one", () => {
  it("allowOnly: a typo next to a missing required field reports both", () => {
    const c = parseConfig('{"kye": "user", "tokns": 5, "zzzzzz": 1, "Name": "x"}');
    c.allowOnly(["key", "tokens", "name"]);
    c.requiredStr("key");
    expect(c.error()).toBe("kye: unknown field; did you mean \"key\"?; tokns: unknown field; did you mean \"tokens\"?; " +
      "zzzzzz: unknown field; Name: unknown field; did you mean \"name\"?; key: is required");
  });
  it("rejectUnknown suggests among the names readers asked for and did not find", () => {
    const c = parseConfig('{"kye": "user"}');
    c.requiredStr("key");
    expect(c.rejectUnknown()).toBe(false);
    expect(c.error()).toBe("key: is required; kye: unknown field; did you mean \"key\"?");
  });
  it("closestName: transpositions, case, and nothing when too far", () => {
    expect(closestName("kye", ["key", "keys"])).toBe("key");
    expect(closestName("maxkeys", ["maxKeys"])).toBe("maxKeys");
    expect(closestName("operater", ["operator", "source"])).toBe("operator");
    expect(closestName("colour", ["name"])).toBe("");
    expect(closestName("ab", ["xyz"])).toBe("");
  });
  it("oneOf suggests too", () => {
    expect(errorOf('{"mode": "dney"}', (c) => { c.oneOf("mode", "allow", ["allow", "deny"]); }))
      .toBe("mode: unknown value \"dney\"; did you mean \"deny\"? (expected one of: allow, deny)");
  });
});

describe("messages quote short, escaped excerpts", () => {
  it("escapes control characters, quotes and non-ASCII, and cuts long values", () => {
    expect(quoteExcerpt("a\r\nb\"\\\0é")).toBe("\"a\\r\\nb\\\"\\\\\\u0000\\u00e9\"");
    const long = "x".repeat(100000);
    expect(quoteExcerpt(long)).toBe("\"" + "x".repeat(32) + "…\" (100000 characters)");
  });
  it("a long or odd key is quoted in the field path", () => {
    const c = parseConfig('{"a\\nb": 1, "' + "k".repeat(200) + '": 2}');
    c.allowOnly([]);
    const e = c.error();
    expect(e.startsWith("[\"a\\nb\"]: unknown field; [\"kkkk")).toBe(true);
    expect(e.includes("\n")).toBe(false);
    expect(e.length < 200).toBe(true);
  });
  it("a path 64 levels deep keeps its start and end, at most 240 characters", () => {
    let json = "";
    for (let i = 0; i < 60; i++) json += "{\"level" + i.toString() + "\": ";
    json += "{\"bad\": 1}";
    for (let i = 0; i < 60; i++) json += "}";
    let o = parseConfig(json);
    for (let i = 0; i < 60; i++) o = <ConfigObject>o.obj("level" + i.toString());
    o.str("bad", "");
    const e = o.error();
    expect(e.startsWith("level0.level1.level2.")).toBe(true);
    expect(e.endsWith("level58.level59.bad: expected string, got number")).toBe(true);
    expect(e.includes("…")).toBe(true);
    expect(e.length <= 240 + 2 + "expected string, got number".length).toBe(true);
  });
  it("an invalid header name is quoted as an excerpt", () => {
    const c = parseConfig('{"h": "x\\r\\ninjected: ' + "y".repeat(5000) + '"}');
    c.headerName("h", "x");
    expect(c.error()).toBe("h: \"x\\r\\ninjected: yyyyyyyyyyyyyyyyyyy…\" (5013 characters) is not a valid header name");
  });
});

describe("header values", () => {
  it("isHeaderValue refuses CR, LF, NUL, DEL and other controls; allows HTAB and non-ASCII", () => {
    expect(isHeaderValue("text/plain; q=1\tx é")).toBe(true);
    expect(isHeaderValue("")).toBe(true);
    const bad = ["a\rb", "a\nb", "a\0b", "a\x7fb", "\x01", "1\r\nx-injected: yes"];
    for (let i = 0; i < bad.length; i++) expect(isHeaderValue(bad[i])).toBe(false, bad[i]);
  });
  it("headerValue names the field, the character and where", () => {
    expect(errorOf('{"v": "1\\r\\nx-injected: yes"}', (c) => { c.headerValue("v", ""); }))
      .toBe("v: a header value must not contain CR, LF, NUL or other control characters; \"1\\r\\nx-injected: yes\" has CR at index 1");
    expect(errorOf('{"v": "a\\u0000"}', (c) => { c.headerValue("v", ""); }))
      .toBe("v: a header value must not contain CR, LF, NUL or other control characters; \"a\\u0000\" has NUL at index 1");
  });
});

describe("list bounds", () => {
  it("arr and strList refuse more items than their bound, naming it", () => {
    expect(errorOf('{"a": [1, 2, 3]}', (c) => { c.arr("a", 2); })).toBe("a: at most 2 items, got 3");
    expect(errorOf('{"l": ["a", "b", "c"]}', (c) => { c.strList("l", 2); })).toBe("l: at most 2 items, got 3");
    const c = parseConfig('{"l": ["a", "b"]}');
    expect(c.strList("l", 2).length).toBe(2);
    expect(c.ok()).toBe(true);
  });
});
