import { parseTaggingConfig, isValidTag } from "../config";

function err(json: string): string { return parseTaggingConfig(json).error; }

const UID = "{\"source\": \"header\", \"name\": \"user-id\", \"operator\": \"modulo\", \"divisor\": 100, \"remainder\": 20}";

describe("tagging configuration", () => {
  it("has working defaults", () => {
    const c = parseTaggingConfig("");
    expect(c.error).toBe("");
    expect(c.header).toBe("x-mesh-tag");
    expect(c.baggageKey).toBe("mesh-tag");
    expect(c.overrideIncoming).toBe(false);
    expect(c.clearRouteCache).toBe(true);
    expect(c.responseHeader).toBe("");
    expect(c.baggageMaxBytes).toBe(8192);
    expect(c.baggageMaxMembers).toBe(180);
  });
  it("parses the user-id % 100 == 20 → gray rule, weights and a default", () => {
    const c = parseTaggingConfig("{\"header\": \"X-Mesh-Tag\", \"rules\": [{\"name\": \"uid\", \"tag\": \"gray\", \"match\": " + UID + "}]," +
      "\"weights\": [{\"tag\": \"blue\", \"percent\": 12.5}, {\"tag\": \"green\", \"percent\": 30}], \"defaultTag\": \"stable\"," +
      "\"weightKey\": {\"source\": \"cookie\", \"name\": \"uid\", \"salt\": \"exp1\"}}");
    expect(c.error).toBe("");
    expect(c.header).toBe("x-mesh-tag");
    expect(c.rules.length).toBe(1);
    expect(c.rules[0].name).toBe("uid");
    expect(c.weights[0].from).toBe(0);
    expect(c.weights[0].to).toBe(1250);
    expect(c.weights[1].from).toBe(1250);
    expect(c.weights[1].to).toBe(4250);
    expect(c.weightSalt).toBe("exp1");
    expect(c.tags.join(",")).toBe("stable,gray,blue,green");
  });
  it("names the rule and field of every problem", () => {
    expect(err("{\"rules\": [{\"tag\": \"gray\", \"match\": {\"source\": \"header\", \"name\": \"u\", \"operator\": \"eqals\", \"value\": \"1\"}}]}"))
      .toBe("rules[0].match.operator: unknown value \"eqals\"; did you mean \"equals\"? (expected one of: equals, notEquals, prefix, suffix, contains, in, present, absent, range, modulo, percentage, cidr)");
    expect(err("{\"weights\": [{\"tag\": \"a\", \"percent\": 60}, {\"tag\": \"b\", \"percent\": 50}]}"))
      .toBe("weights[1]: percent values add up to 110 (must be at most 100)");
    expect(err("{\"rules\": [{\"tag\": \"a\", \"match\": " + UID + "}, {\"tag\": \"b\", \"match\": {\"source\": \"sourceIp\", \"operator\": \"cidr\", \"values\": [\"10.0.0.0/40\"]}}]}"))
      .toBe("rules[1].match.values[0]: \"10.0.0.0/40\": prefix length must be 0–32");
    expect(err("{\"rules\": [{\"tag\": \"a\", \"match\": {\"source\": \"header\", \"name\": \"u\", \"operator\": \"modulo\", \"remainder\": 1}}]}"))
      .toBe("rules[0].match.divisor: is required for operator \"modulo\"");
    expect(err("{\"rules\": [{}]}")).toBe("rules[0].tag: is required; rules[0].match: is required (a condition; use defaultTag for a catch-all)");
    expect(err("{\"rules\": [{\"tag\": \"gray\"}]}")).toBe("rules[0].match: is required (a condition; use defaultTag for a catch-all)");
    expect(err("{\"rules\": [{\"tag\": \"gray\", \"match\": {}}]}")).toBe("rules[0].match.source: is required (a condition is all, any, not, or source + operator)");
    expect(err("{\"rules\": [{\"tag\": \"gray\", \"match\": {\"any\": []}}]}")).toBe("rules[0].match.any: must not be empty");
    expect(err("{\"rules\": [{\"tag\": \"gr ay\", \"match\": " + UID + "}]}"))
      .toBe("rules[0].tag: \"gr ay\" is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~')");
    expect(err("{\"rules\": [{\"name\": \"x\", \"tag\": \"a\", \"match\": " + UID + "}, {\"name\": \"x\", \"tag\": \"b\", \"match\": " + UID + "}]}"))
      .toBe("rules[1].name: \"x\" is already used by rules[0]");
    expect(err("{\"rules\": [{\"name\": \"weights\", \"tag\": \"a\", \"match\": " + UID + "}]}"))
      .toBe("rules[0].name: \"weights\" is reserved (metrics use it)");
    expect(err("{\"rules\": [{\"tag\": \"a\", \"match\": " + UID + ", \"mtach\": 1}]}")).toBe("rules[0].mtach: unknown field; did you mean \"match\"?");
    expect(err("{\"weights\": [{\"tag\": \"a\", \"percent\": 101}]}")).toBe("weights[0].percent: must be between 0 and 100, got 101");
    expect(err("{\"weights\": [{\"tag\": \"a\"}]}")).toBe("weights[0].percent: is required");
    expect(err("{\"weightKey\": {\"source\": \"cookie\", \"name\": \"uid\"}}")).toBe("weightKey: is only used with weights");
    expect(err("{\"header\": \"bad header\"}")).toBe("header: \"bad header\" is not a valid header name");
    expect(err("{\"header\": \"\"}")).toBe("header: must not be empty");
    expect(err("{\"header\": \"baggage\"}")).toBe("header: must not be the baggage header");
    expect(err("{\"baggageKey\": \"a b\"}")).toBe("baggageKey: \"a b\" is not a valid baggage key (an RFC 9110 token)");
    expect(err("{\"baggageMaxMembers\": 10}")).toBe("baggageMaxMembers: must be between 64 and 1024, got 10");
    expect(err("{\"defaultTag\": \"\\u00e9\"}").startsWith("defaultTag: \"\\u00e9\" is not a valid tag")).toBe(true);
    expect(err("{\"overide\": true}")).toBe("overide: unknown field; did you mean \"override\"?");
    expect(err("{\"rules\": {}}")).toBe("rules: expected array, got object");
    expect(err("[1]")).toBe("configuration must be a JSON object, got array");
  });
  it("validates tags", () => {
    expect(isValidTag("gray")).toBe(true);
    expect(isValidTag("v1.2_canary-A~")).toBe(true);
    expect(isValidTag("")).toBe(false);
    expect(isValidTag("a".repeat(65))).toBe(false);
    expect(isValidTag("a,b")).toBe(false);
    expect(isValidTag("a;b")).toBe(false);
  });
});

describe("tagging configuration: strict (issue D4, D8)", () => {
  it("\"match\": null is refused, and does not drop the later rules silently", () => {
    const c = parseTaggingConfig("{\"rules\": [{\"name\": \"a\", \"tag\": \"gray\", \"match\": null}, {\"name\": \"b\", \"tag\": \"blue\", \"match\": " + UID + "}]}");
    expect(c.error).toBe("rules[0].match: expected object, got null");
  });
  it("null for source, operator, tag, header, rules is refused with the path", () => {
    expect(err("{\"rules\": [{\"tag\": \"gray\", \"match\": {\"source\": null, \"name\": \"u\", \"operator\": \"present\"}}]}"))
      .toBe("rules[0].match.source: expected string, got null");
    expect(err("{\"rules\": [{\"tag\": \"gray\", \"match\": {\"source\": \"header\", \"name\": \"u\", \"operator\": null}}]}"))
      .toBe("rules[0].match.operator: expected string, got null");
    expect(err("{\"rules\": [{\"tag\": null, \"match\": " + UID + "}]}")).toBe("rules[0].tag: expected string, got null");
    expect(err("{\"header\": null}")).toBe("header: expected string, got null");
    expect(err("{\"rules\": null}")).toBe("rules: expected array, got null");
    expect(err("{\"weightKey\": null}")).toBe("weightKey: expected object, got null");
  });
  it("reports the problems of every rule, not just the first", () => {
    expect(err("{\"rules\": [{\"tag\": \"gr ay\", \"match\": " + UID + "}, {\"tag\": \"b\"}, {\"tag\": \"c\", \"mach\": {}}], \"overide\": 1}"))
      .toBe("overide: unknown field; did you mean \"override\"?; " +
        "rules[0].tag: \"gr ay\" is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~'); " +
        "rules[1].match: is required (a condition; use defaultTag for a catch-all); " +
        "rules[2].mach: unknown field; did you mean \"match\"?; rules[2].match: is required (a condition; use defaultTag for a catch-all)");
  });
  it("quotes a huge bad value as a short escaped excerpt", () => {
    const e = err("{\"defaultTag\": \"" + "\\n".repeat(100000) + "\"}");
    expect(e).toBe("defaultTag: \"" + "\\n".repeat(32) + "…\" (100000 characters) is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~')");
  });
  it("bounds the number of rules", () => {
    let rules = "";
    for (let i = 0; i <= 1000; i++) rules += (i ? "," : "") + "{\"tag\": \"a\", \"match\": {\"source\": \"path\", \"operator\": \"present\"}}";
    expect(err("{\"rules\": [" + rules + "]}")).toBe("rules: at most 1000 items, got 1001");
  });
});
