// Configure-time side of the condition language: strictness (null, unknown fields, bounds), every
// error reported, and the `in` set built in linear time. Matching itself is in matcher.spec.ts.
import { parseConfig } from "../../../sdk/config";
import { Condition, parseCondition, MAX_IN_VALUES, MAX_LIST_CONDITIONS } from "../condition";
import { RequestView, ValueProvider } from "../request-view";

class OneHeader extends ValueProvider {
  constructor(private name: string, private value: string) { super(); }
  header(name: string): string | null { return name == this.name ? this.value : null; }
  property(path: string): ArrayBuffer | null { return null; }
}

let lastError = "";
function cond(json: string): Condition | null {
  const cfg = parseConfig("{\"match\": " + json + "}");
  const m = cfg.obj("match");
  let c: Condition | null = null;
  if (m !== null) c = parseCondition(m);
  lastError = cfg.error();
  return cfg.ok() ? c : null;
}

function inList(n: i32, extra: string = ""): string {
  let v = "";
  for (let i = 0; i < n; i++) v += (i ? ",\"u" : "\"u") + i.toString() + "\"";
  return "{\"source\": \"header\", \"name\": \"x-user\", \"operator\": \"in\", \"values\": [" + v + extra + "]}";
}

describe("null where a value is required is refused with the path", () => {
  it("source, operator, name, value, values, not, all", () => {
    expect(cond("{\"source\": null, \"name\": \"x\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.source: expected string, got null");
    expect(cond("{\"source\": \"header\", \"name\": \"x\", \"operator\": null}")).toBeNull();
    expect(lastError).toBe("match.operator: expected string, got null");
    expect(cond("{\"source\": \"header\", \"name\": null, \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: expected string, got null");
    expect(cond("{\"source\": \"header\", \"name\": \"x\", \"operator\": \"equals\", \"value\": null}")).toBeNull();
    expect(lastError).toBe("match.value: expected string, got null");
    expect(cond("{\"source\": \"header\", \"name\": \"x\", \"operator\": \"in\", \"values\": null}")).toBeNull();
    expect(lastError).toBe("match.values: expected array of strings, got null");
    expect(cond("{\"not\": null}")).toBeNull();
    expect(lastError).toBe("match.not: expected object, got null");
    expect(cond("{\"all\": null}")).toBeNull();
    expect(lastError).toBe("match.all: expected array, got null");
    expect(cond("{\"any\": [null]}")).toBeNull();
    expect(lastError).toBe("match.any[0]: expected object, got null");
  });
});

describe("every problem of a condition is reported", () => {
  it("each bad item of an any-list, and typos with the closest field name", () => {
    expect(cond("{\"any\": [{\"source\": \"heder\", \"name\": \"a\", \"operator\": \"present\"}, " +
      "{\"source\": \"header\", \"nmae\": \"b\", \"operator\": \"present\"}]}")).toBeNull();
    expect(lastError).toBe("match.any[0].source: unknown value \"heder\"; did you mean \"header\"? (expected one of: header, cookie, query, path, method, authority, sourceIp, property); " +
      "match.any[1].nmae: unknown field; did you mean \"name\"?; match.any[1].name: is required");
  });
  it("an operand of another operator is an unknown field", () => {
    expect(cond("{\"source\": \"header\", \"name\": \"a\", \"operator\": \"equals\", \"value\": \"1\", \"values\": [\"2\"]}")).toBeNull();
    expect(lastError).toBe("match.values: unknown field; did you mean \"value\"?");
  });
});

describe("names a configuration supplies are checked", () => {
  it("header, cookie, query and property names", () => {
    expect(cond("{\"source\": \"header\", \"name\": \"x\\r\\ny\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: \"x\\r\\ny\" is not a valid header name");
    expect(cond("{\"source\": \"cookie\", \"name\": \"a;b\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: \"a;b\" is not a valid cookie name (an RFC 6265 token)");
    expect(cond("{\"source\": \"query\", \"name\": \"a&b\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError.startsWith("match.name: \"a&b\" is not a query parameter name")).toBe(true);
    expect(cond("{\"source\": \"property\", \"name\": \"a\\u0000b\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: \"a\\u0000b\" is not a property path such as \"source.port\"");
  });
});

describe("in lists: bounded, deduplicated, linear", () => {
  it("matches every value of a large list and nothing else", () => {
    const c = cond(inList(5000, ",\"u7\",\"u7\""));
    expect(c).not.toBeNull();
    const m = <Condition>c;
    expect(m.matches(new RequestView(new OneHeader("x-user", "u0")))).toBe(true);
    expect(m.matches(new RequestView(new OneHeader("x-user", "u4999")))).toBe(true);
    expect(m.matches(new RequestView(new OneHeader("x-user", "u7")))).toBe(true);
    expect(m.matches(new RequestView(new OneHeader("x-user", "u5000")))).toBe(false);
    expect(m.matches(new RequestView(new OneHeader("x-user", "")))).toBe(false);
  });
  it("a short list with duplicates", () => {
    const c = <Condition>cond("{\"source\": \"header\", \"name\": \"x-user\", \"operator\": \"in\", \"values\": [\"a\", \"a\", \"b\"]}");
    expect(c.matches(new RequestView(new OneHeader("x-user", "b")))).toBe(true);
    expect(c.matches(new RequestView(new OneHeader("x-user", "c")))).toBe(false);
  });
  it("refuses more than MAX_IN_VALUES values, naming the bound", () => {
    expect(cond(inList(MAX_IN_VALUES + 1))).toBeNull();
    expect(lastError).toBe("match.values: at most 100000 items, got 100001");
  });
  it("refuses more than MAX_LIST_CONDITIONS conditions in any", () => {
    let items = "";
    for (let i = 0; i <= MAX_LIST_CONDITIONS; i++) items += (i ? "," : "") + "{\"source\": \"path\", \"operator\": \"present\"}";
    expect(cond("{\"any\": [" + items + "]}")).toBeNull();
    expect(lastError).toBe("match.any: at most 1000 items, got 1001");
  });
});
