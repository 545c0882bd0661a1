import { parseConfig, ConfigObject } from "../../../sdk/config";
import { Condition, parseCondition, parseDecimal, decimalMod } from "../condition";
import { RequestView, ValueProvider } from "../request-view";
import { Source, parseSource, cookieValue, queryValue, percentDecode } from "../source";

/** A request made of maps; counts host reads so caching can be checked. */
class FakeRequest extends ValueProvider {
  headers: Map<string, string> = new Map();
  props: Map<string, ArrayBuffer> = new Map();
  reads: i32 = 0;
  header(name: string): string | null {
    this.reads++;
    return this.headers.has(name) ? this.headers.get(name) : null;
  }
  property(path: string): ArrayBuffer | null {
    this.reads++;
    return this.props.has(path) ? this.props.get(path) : null;
  }
  h(name: string, value: string): FakeRequest { this.headers.set(name, value); return this; }
  p(path: string, value: string): FakeRequest { this.props.set(path.replaceAll(".", "\0"), String.UTF8.encode(value)); return this; }
}

function req(): FakeRequest {
  return new FakeRequest().h(":path", "/api/items?user=120&q=a%20b+c&flag&empty=").h(":method", "GET")
    .h(":authority", "shop.example.com").h("x-user-id", "120").h("cookie", "session=abc; lane=\"gray\"; uid=7")
    .p("source.address", "10.1.2.3:5555");
}

let lastError = "";

/** Parses `{"match": <json>}` and returns the condition (null with lastError set on a config error). */
function cond(json: string): Condition | null {
  const cfg = parseConfig("{\"match\": " + json + "}");
  const m = cfg.obj("match");
  let c: Condition | null = null;
  if (m !== null) c = parseCondition(m);
  lastError = cfg.error();
  if (!cfg.ok()) return null;
  return c;
}

function matches(json: string, r: FakeRequest = req()): bool {
  const c = cond(json);
  if (c === null) { log("config error: " + lastError); return false; }
  return c.matches(new RequestView(r));
}

function leaf(source: string, op: string, operands: string = ""): string {
  return "{" + source + ", \"operator\": \"" + op + "\"" + (operands.length ? ", " + operands : "") + "}";
}
const UID = "\"source\": \"header\", \"name\": \"x-user-id\"";
const NOPE = "\"source\": \"header\", \"name\": \"x-missing\"";

describe("operators", () => {
  it("equals / notEquals", () => {
    expect(matches(leaf(UID, "equals", "\"value\": \"120\""))).toBe(true);
    expect(matches(leaf(UID, "equals", "\"value\": \"12\""))).toBe(false);
    expect(matches(leaf(UID, "notEquals", "\"value\": \"121\""))).toBe(true);
    expect(matches(leaf(UID, "notEquals", "\"value\": \"120\""))).toBe(false);
    expect(matches(leaf(NOPE, "equals", "\"value\": \"\""))).toBe(false);
    expect(matches(leaf(NOPE, "notEquals", "\"value\": \"x\""))).toBe(false); // absent never matches
  });
  it("prefix / suffix / contains", () => {
    const A = "\"source\": \"authority\"";
    expect(matches(leaf(A, "prefix", "\"value\": \"shop.\""))).toBe(true);
    expect(matches(leaf(A, "prefix", "\"value\": \"example\""))).toBe(false);
    expect(matches(leaf(A, "suffix", "\"value\": \".example.com\""))).toBe(true);
    expect(matches(leaf(A, "suffix", "\"value\": \".org\""))).toBe(false);
    expect(matches(leaf(A, "contains", "\"value\": \"example\""))).toBe(true);
    expect(matches(leaf(A, "contains", "\"value\": \"exemple\""))).toBe(false);
    expect(matches(leaf(NOPE, "contains", "\"value\": \"x\""))).toBe(false);
  });
  it("contains finds overlapping and self-similar operands (a linear search, not a restart per byte)", () => {
    const H = "\"source\": \"header\", \"name\": \"x-h\"";
    const r = (v: string): FakeRequest => new FakeRequest().h("x-h", v);
    expect(matches(leaf(H, "contains", "\"value\": \"aab\""), r("aaab"))).toBe(true);
    expect(matches(leaf(H, "contains", "\"value\": \"abab\""), r("abaabab"))).toBe(true);
    expect(matches(leaf(H, "contains", "\"value\": \"abab\""), r("abaaba"))).toBe(false);
    expect(matches(leaf(H, "contains", "\"value\": \"aaaa\""), r("aaaa"))).toBe(true);
    expect(matches(leaf(H, "contains", "\"value\": \"a\""), r(""))).toBe(false);
    // 200,000 bytes of "a" against "a…ab" (1,000 bytes): 200 M byte comparisons for a naive search.
    const op = "a".repeat(999) + "b";
    expect(matches(leaf(H, "contains", "\"value\": \"" + op + "\""), r("a".repeat(200000)))).toBe(false);
    expect(matches(leaf(H, "contains", "\"value\": \"" + op + "\""), r("a".repeat(200000) + "b"))).toBe(true);
  });
  it("values are compared as bytes: invalid UTF-8 never equals an operand", () => {
    // The FakeRequest hands strings over; U+FFFD stands for what a lax decoder makes of a stray byte.
    expect(matches(leaf(UID, "equals", "\"value\": \"120\""), new FakeRequest().h("x-user-id", "120\uFFFD"))).toBe(false);
  });
  it("in", () => {
    expect(matches(leaf(UID, "in", "\"values\": [\"7\", \"120\"]"))).toBe(true);
    expect(matches(leaf(UID, "in", "\"values\": [\"7\", \"1200\"]"))).toBe(false);
    expect(matches(leaf(UID, "in", "\"values\": \"120\""))).toBe(true); // a single string is a one-item list
    expect(matches(leaf(NOPE, "in", "\"values\": [\"\"]"))).toBe(false);
  });
  it("present / absent", () => {
    expect(matches(leaf(UID, "present"))).toBe(true);
    expect(matches(leaf(NOPE, "present"))).toBe(false);
    expect(matches(leaf(UID, "absent"))).toBe(false);
    expect(matches(leaf(NOPE, "absent"))).toBe(true);
    expect(matches(leaf("\"source\": \"query\", \"name\": \"flag\"", "present"))).toBe(true);
  });
  it("range (inclusive; non-numeric never matches)", () => {
    expect(matches(leaf(UID, "range", "\"min\": 100, \"max\": 120"))).toBe(true);
    expect(matches(leaf(UID, "range", "\"min\": 120"))).toBe(true);
    expect(matches(leaf(UID, "range", "\"max\": 119.5"))).toBe(false);
    expect(matches(leaf(UID, "range", "\"min\": 121, \"max\": 200"))).toBe(false);
    const r = req().h("x-score", "-2.5");
    expect(matches(leaf("\"source\": \"header\", \"name\": \"x-score\"", "range", "\"min\": -3, \"max\": -2"), r)).toBe(true);
    r.h("x-score", "abc");
    expect(matches(leaf("\"source\": \"header\", \"name\": \"x-score\"", "range", "\"min\": -1000"), r)).toBe(false);
    expect(matches(leaf(NOPE, "range", "\"min\": 0"))).toBe(false);
  });
  it("modulo: user-id % 100 == 20 → 120 matches, 121 does not", () => {
    const m = leaf(UID, "modulo", "\"divisor\": 100, \"remainder\": 20");
    expect(matches(m)).toBe(true);
    expect(matches(m, req().h("x-user-id", "121"))).toBe(false);
    expect(matches(m, req().h("x-user-id", "20"))).toBe(true);
    expect(matches(m, req().h("x-user-id", "99999999999999999999999999920"))).toBe(true); // longer than u64
    expect(matches(m, req().h("x-user-id", "-20"))).toBe(false);
    expect(matches(m, req().h("x-user-id", "12a0"))).toBe(false);
    expect(matches(m, req().h("x-user-id", ""))).toBe(false);
    expect(matches(leaf(NOPE, "modulo", "\"divisor\": 2, \"remainder\": 0"))).toBe(false);
  });
  it("percentage is sticky and bounded by 0 and 100", () => {
    const half = cond(leaf(UID, "percentage", "\"percent\": 50"));
    expect(half).not.toBeNull();
    let inside = 0;
    for (let i = 0; i < 2000; i++) {
      const r = req().h("x-user-id", i.toString());
      const first = (<Condition>half).matches(new RequestView(r));
      expect((<Condition>half).matches(new RequestView(r))).toBe(first);
      if (first) inside++;
    }
    expect(inside).toBeGreaterThan(900);
    expect(inside).toBeLessThan(1100);
    expect(matches(leaf(UID, "percentage", "\"percent\": 0"))).toBe(false);
    expect(matches(leaf(UID, "percentage", "\"percent\": 100"))).toBe(true);
    expect(matches(leaf(NOPE, "percentage", "\"percent\": 100"))).toBe(false);
  });
  it("percentage salt reshuffles the buckets", () => {
    const a = <Condition>cond(leaf(UID, "percentage", "\"percent\": 50, \"salt\": \"a\""));
    const b = <Condition>cond(leaf(UID, "percentage", "\"percent\": 50, \"salt\": \"b\""));
    let differ = 0;
    for (let i = 0; i < 400; i++) {
      const r = req().h("x-user-id", i.toString());
      if (a.matches(new RequestView(r)) != b.matches(new RequestView(r))) differ++;
    }
    expect(differ).toBeGreaterThan(120);
  });
  it("cidr over the source IP, IPv4 and IPv6", () => {
    const S = "\"source\": \"sourceIp\"";
    expect(matches(leaf(S, "cidr", "\"values\": [\"192.168.0.0/16\", \"10.0.0.0/8\"]"))).toBe(true);
    expect(matches(leaf(S, "cidr", "\"values\": [\"10.1.3.0/24\"]"))).toBe(false);
    expect(matches(leaf(S, "equals", "\"value\": \"10.1.2.3\""))).toBe(true); // exact IP
    const v6 = req().p("source.address", "[2001:db8::7]:443");
    expect(matches(leaf(S, "cidr", "\"values\": [\"2001:db8::/32\"]"), v6)).toBe(true);
    expect(matches(leaf(S, "cidr", "\"values\": [\"::1/128\"]"), v6)).toBe(false);
    const noAddr = new FakeRequest();
    expect(matches(leaf(S, "cidr", "\"values\": [\"0.0.0.0/0\"]"), noAddr)).toBe(false);
  });
});

describe("sources", () => {
  it("cookie", () => {
    expect(matches(leaf("\"source\": \"cookie\", \"name\": \"lane\"", "equals", "\"value\": \"gray\""))).toBe(true);
    expect(matches(leaf("\"source\": \"cookie\", \"name\": \"uid\"", "equals", "\"value\": \"7\""))).toBe(true);
    expect(matches(leaf("\"source\": \"cookie\", \"name\": \"sess\"", "present"))).toBe(false);
    expect(matches(leaf("\"source\": \"cookie\", \"name\": \"lane\"", "present"), new FakeRequest())).toBe(false);
  });
  it("query (decoded)", () => {
    expect(matches(leaf("\"source\": \"query\", \"name\": \"user\"", "equals", "\"value\": \"120\""))).toBe(true);
    expect(matches(leaf("\"source\": \"query\", \"name\": \"q\"", "equals", "\"value\": \"a b c\""))).toBe(true);
    expect(matches(leaf("\"source\": \"query\", \"name\": \"empty\"", "equals", "\"value\": \"\""))).toBe(true);
    expect(matches(leaf("\"source\": \"query\", \"name\": \"use\"", "present"))).toBe(false);
  });
  it("path (without the query string), method, authority", () => {
    expect(matches(leaf("\"source\": \"path\"", "equals", "\"value\": \"/api/items\""))).toBe(true);
    expect(matches(leaf("\"source\": \"path\"", "prefix", "\"value\": \"/api/\""))).toBe(true);
    expect(matches(leaf("\"source\": \"method\"", "in", "\"values\": [\"GET\", \"HEAD\"]"))).toBe(true);
    expect(matches(leaf("\"source\": \"method\"", "equals", "\"value\": \"POST\""))).toBe(false);
    expect(matches(leaf("\"source\": \"authority\"", "equals", "\"value\": \"shop.example.com\""))).toBe(true);
  });
  it("header names are case-insensitive", () => {
    expect(matches(leaf("\"source\": \"header\", \"name\": \"X-User-ID\"", "equals", "\"value\": \"120\""))).toBe(true);
  });
  it("property: text, integer and boolean encodings", () => {
    const r = req().p("route_name", "shop-route");
    const port = new ArrayBuffer(8);
    store<i64>(changetype<usize>(port), 8443);
    r.props.set("destination\0port", port);
    const mtls = new ArrayBuffer(1);
    store<u8>(changetype<usize>(mtls), 1);
    r.props.set("connection\0mtls", mtls);
    expect(matches(leaf("\"source\": \"property\", \"name\": \"route_name\"", "equals", "\"value\": \"shop-route\""), r)).toBe(true);
    expect(matches(leaf("\"source\": \"property\", \"name\": \"destination.port\"", "equals", "\"value\": \"8443\""), r)).toBe(true);
    expect(matches(leaf("\"source\": \"property\", \"name\": \"connection.mtls\"", "equals", "\"value\": \"true\""), r)).toBe(true);
    expect(matches(leaf("\"source\": \"property\", \"name\": \"node.id\"", "present"), r)).toBe(false);
  });
  it("reads each source once per request however many conditions use it", () => {
    const c = <Condition>cond("{\"any\": [" +
      leaf(UID, "equals", "\"value\": \"1\"") + ", " + leaf(UID, "equals", "\"value\": \"2\"") + ", " +
      leaf(UID, "prefix", "\"value\": \"9\"") + ", " + leaf("\"source\": \"cookie\", \"name\": \"a\"", "present") + ", " +
      leaf("\"source\": \"cookie\", \"name\": \"b\"", "present") + ", " + leaf("\"source\": \"path\"", "equals", "\"value\": \"/x\"") + ", " +
      leaf("\"source\": \"query\", \"name\": \"q\"", "equals", "\"value\": \"x\"") + "]}");
    const r = req();
    const view = new RequestView(r);
    expect(c.matches(view)).toBe(false);
    expect(r.reads).toBe(3); // x-user-id, cookie, :path
    expect(c.matches(view)).toBe(false);
    expect(r.reads).toBe(3);
    view.reset();
    expect(c.matches(view)).toBe(false);
    expect(r.reads).toBe(6);
  });
  it("parseSource reads key parts for other filters", () => {
    const cfg = parseConfig("{\"source\": \"header\", \"name\": \"X-Tenant\"}");
    const s = parseSource(cfg);
    expect(s).not.toBeNull();
    expect((<Source>s).name).toBe("x-tenant");
    expect((<Source>s).read(new RequestView(req().h("x-tenant", "acme")))).toBe("acme");
    expect((<Source>s).describe()).toBe("header \"x-tenant\"");
    const again = parseSource(parseConfig("{\"source\": \"header\", \"name\": \"x-tenant\"}"));
    expect((<Source>again).slot).toBe((<Source>s).slot);
  });
});


const T = leaf(UID, "equals", "\"value\": \"120\"");
const F = leaf(UID, "equals", "\"value\": \"0\"");

describe("combinators", () => {
  it("all / any / not", () => {
    expect(matches("{\"all\": [" + T + ", " + T + "]}")).toBe(true);
    expect(matches("{\"all\": [" + T + ", " + F + "]}")).toBe(false);
    expect(matches("{\"any\": [" + F + ", " + T + "]}")).toBe(true);
    expect(matches("{\"any\": [" + F + ", " + F + "]}")).toBe(false);
    expect(matches("{\"not\": " + F + "}")).toBe(true);
    expect(matches("{\"not\": " + T + "}")).toBe(false);
    expect(matches("{\"not\": " + leaf(NOPE, "equals", "\"value\": \"x\"") + "}")).toBe(true); // not includes absent
    expect(matches("{\"all\": [{\"any\": [" + F + ", {\"not\": " + F + "}]}, " + T + "]}")).toBe(true);
  });
});

describe("configuration errors name the field and the reason", () => {
  it("unknown operator and source", () => {
    expect(cond(leaf(UID, "eqals", "\"value\": \"1\""))).toBeNull();
    expect(lastError).toBe("match.operator: unknown value \"eqals\"; did you mean \"equals\"? (expected one of: equals, notEquals, prefix, suffix, contains, in, present, absent, range, modulo, percentage, cidr)");
    expect(cond("{\"source\": \"body\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.source: unknown value \"body\" (expected one of: header, cookie, query, path, method, authority, sourceIp, property)");
  });
  it("missing pieces", () => {
    expect(cond("{}")).toBeNull();
    expect(lastError).toBe("match.source: is required (a condition is all, any, not, or source + operator)");
    expect(cond("{\"source\": \"header\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: is required");
    expect(cond("{\"source\": \"path\", \"name\": \"x\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: is not used by source \"path\"");
    expect(cond("{" + UID + "}")).toBeNull();
    expect(lastError.startsWith("match.operator: is required")).toBe(true);
    expect(cond(leaf(UID, "equals"))).toBeNull();
    expect(lastError).toBe("match.value: is required for operator \"equals\"");
    expect(cond(leaf(UID, "prefix", "\"value\": \"\""))).toBeNull();
    expect(lastError).toBe("match.value: must not be empty");
    expect(cond(leaf(UID, "in", "\"values\": []"))).toBeNull();
    expect(lastError).toBe("match.values: must not be empty");
    expect(cond(leaf(UID, "range"))).toBeNull();
    expect(lastError).toBe("match.min: range needs min, max or both");
    expect(cond(leaf(UID, "range", "\"min\": 5, \"max\": 1"))).toBeNull();
    expect(lastError.startsWith("match.max: must be ≥ min")).toBe(true);
  });
  it("modulo without divisor, bad remainder", () => {
    expect(cond(leaf(UID, "modulo", "\"remainder\": 20"))).toBeNull();
    expect(lastError).toBe("match.divisor: is required for operator \"modulo\"");
    expect(cond(leaf(UID, "modulo", "\"divisor\": 0, \"remainder\": 0"))).toBeNull();
    expect(lastError.startsWith("match.divisor: must be between 1 and")).toBe(true);
    expect(cond(leaf(UID, "modulo", "\"divisor\": 100, \"remainder\": 100"))).toBeNull();
    expect(lastError).toBe("match.remainder: must be between 0 and 99, got 100");
    expect(cond(leaf(UID, "modulo", "\"divisor\": 100"))).toBeNull();
    expect(lastError).toBe("match.remainder: is required for operator \"modulo\"");
    expect(cond(leaf(UID, "modulo", "\"divisor\": 2.5, \"remainder\": 0"))).toBeNull();
    expect(lastError).toBe("match.divisor: must be a whole number, got 2.5");
  });
  it("percentage over 100, bad CIDR", () => {
    expect(cond(leaf(UID, "percentage", "\"percent\": 120"))).toBeNull();
    expect(lastError).toBe("match.percent: must be between 0 and 100, got 120");
    expect(cond(leaf(UID, "percentage"))).toBeNull();
    expect(lastError).toBe("match.percent: is required for operator \"percentage\"");
    expect(cond(leaf("\"source\": \"sourceIp\"", "cidr", "\"values\": [\"10.0.0.0/8\", \"10.0.0.300/24\"]"))).toBeNull();
    expect(lastError).toBe("match.values[1]: \"10.0.0.300/24\" is not an IP address or CIDR range");
  });
  it("empty and ambiguous combinators, stray fields, wrong types", () => {
    expect(cond("{\"all\": []}")).toBeNull();
    expect(lastError).toBe("match.all: must not be empty");
    expect(cond("{\"any\": [" + leaf(UID, "present") + ", 5]}")).toBeNull();
    expect(lastError).toBe("match.any[1]: expected object, got number");
    expect(cond("{\"all\": [" + leaf(UID, "bogus") + "]}")).toBeNull();
    expect(lastError.startsWith("match.all[0].operator: unknown value \"bogus\"")).toBe(true);
    expect(cond("{\"all\": [], \"any\": []}")).toBeNull();
    expect(lastError).toBe("match.all: a condition has exactly one of all, any, not");
    expect(cond("{\"not\": [" + leaf(UID, "present") + "]}")).toBeNull();
    expect(lastError).toBe("match.not: expected object, got array");
    expect(cond(leaf(UID, "present", "\"value\": \"x\""))).toBeNull();
    expect(lastError).toBe("match.value: unknown field");
    expect(cond(leaf(UID, "equals", "\"value\": 20"))).toBeNull();
    expect(lastError).toBe("match.value: expected string, got number");
    expect(cond("{\"source\": \"header\", \"name\": \"bad header\", \"operator\": \"present\"}")).toBeNull();
    expect(lastError).toBe("match.name: \"bad header\" is not a valid header name");
  });
});

describe("value helpers", () => {
  it("parseDecimal is strict", () => {
    expect(parseDecimal("42")).toBe(42.0);
    expect(parseDecimal("-0.5")).toBe(-0.5);
    expect(isNaN(parseDecimal("1e3"))).toBe(true);
    expect(isNaN(parseDecimal("12abc"))).toBe(true);
    expect(isNaN(parseDecimal("1."))).toBe(true);
    expect(isNaN(parseDecimal(""))).toBe(true);
    expect(isNaN(parseDecimal("-"))).toBe(true);
  });
  it("decimalMod handles long numbers and rejects others", () => {
    expect(decimalMod("120", 100)).toBe(20);
    expect(decimalMod("18446744073709551616", 1000)).toBe(616); // 2^64
    expect(decimalMod("1.5", 10)).toBe(-1);
    expect(decimalMod("", 10)).toBe(-1);
  });
  it("cookie and query parsing", () => {
    expect(cookieValue("a=1;b=2", "b")).toBe("2");
    expect(cookieValue(" a = 1 ; b=\"q\"", "a")).toBe("1");
    expect(cookieValue("ab=1", "a")).toBeNull();
    expect(cookieValue("a", "a")).toBeNull();
    expect(queryValue("/p", "a")).toBeNull();
    expect(queryValue("/p?a=1&a=2", "a")).toBe("1");
    expect(queryValue("/p?ab=1&b=%E2%82%AC", "b")).toBe("€");
    expect(percentDecode("%zz%4", 0, 5)).toBe("%zz%4");
  });
  it("cookie and query items without '=' (or with many) are skipped in one pass", () => {
    expect(cookieValue("a;b;lane=gray", "lane")).toBe("gray");
    expect(cookieValue("a;lane;x=1", "lane")).toBeNull();
    expect(queryValue("/p?a&b&lane=gray", "lane")).toBe("gray");
    expect(queryValue("/p?a=b=c&lane", "lane")).toBe("");
    // Linear: 100,000 items would take minutes with a search restarting at each item.
    expect(cookieValue("a;".repeat(100000) + "lane=gray", "lane")).toBe("gray");
    expect(queryValue("/p?" + "a&".repeat(100000) + "lane=gray", "lane")).toBe("gray");
    const view = new RequestView(new FakeRequest().h("cookie", "a;".repeat(100000) + "lane=gray").h(":path", "/?" + "a=".repeat(100000) + "&lane=gray"));
    expect(parseSource(parseConfig("{\"source\": \"cookie\", \"name\": \"lane\"}"))!.read(view)).toBe("gray");
    expect(parseSource(parseConfig("{\"source\": \"query\", \"name\": \"lane\"}"))!.read(view)).toBe("gray");
  });
});
