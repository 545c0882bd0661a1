import { parseConfig } from "../../../sdk/config";
import { parseSettings, Settings, HeaderMode, DEFAULT_MAX_KEYS } from "../settings";

function errorOf(json: string): string {
  const cfg = parseConfig(json);
  const s = cfg.ok() ? parseSettings(cfg, "plugin") : null;
  expect(s).toBeNull();
  return cfg.error();
}

function expectIncludes(actual: string, part: string): void {
  if (!actual.includes(part)) log(actual);
  expect(actual.includes(part)).toBe(true);
}

function parse(json: string): Settings {
  const cfg = parseConfig(json);
  const s = parseSettings(cfg, "my.plugin/1");
  expect(cfg.error()).toBe("");
  return s!;
}

describe("rate-limit settings", () => {
  it("reads a full configuration", () => {
    const s = parse(`{
      "shadow": false, "failOpen": false, "casAttempts": 8, "rateLimitHeaders": "all",
      "shadowHeader": "X-Would-Limit", "statPrefix": "rl.edge",
      "response": {"status": 503, "body": "slow down", "headers": {"Content-Type": "text/plain"}},
      "rules": [
        {"name": "per-ip", "key": [{"source": "sourceIp"}], "tokens": 10, "interval": "1s", "burst": 20, "maxKeys": 500},
        {"name": "login", "match": {"source": "path", "operator": "prefix", "value": "/login"},
         "tokens": 5, "interval": "1m", "shadow": true},
        {"name": "per-user", "key": [{"source": "header", "name": "X-User"}, {"source": "method"}],
         "tokens": 100, "interval": 60000, "missingKey": "unknown"}
      ]}`);
    expect(s.failOpen).toBe(false);
    expect(s.casAttempts).toBe(8);
    expect(s.headerMode).toBe(HeaderMode.All);
    expect(s.shadowHeader).toBe("x-would-limit");
    expect(s.status).toBe(503);
    expect(String.UTF8.decode(s.body)).toBe("slow down");
    expect(s.responseHeaders[0].key).toBe("content-type");
    expect(s.rules.length).toBe(3);
    const ip = s.rules[0];
    expect(ip.limits.tokens).toBe(10);
    expect(ip.limits.intervalMs).toBe(1000);
    expect(ip.limits.burst).toBe(20);
    expect(ip.store.groups).toBe(63); // 500 keys in groups of 8
    expect(ip.store.ways).toBe(8);
    expect(String.UTF8.decode(ip.limitBytes)).toBe("20");
    expect(ip.store.prefix).toBe("rl:my.plugin_1:per-ip:");
    const login = s.rules[1];
    expect(login.match).not.toBeNull();
    expect(login.key.length).toBe(0);
    expect(login.store.groups).toBe(1);
    expect(login.store.ways).toBe(1);
    expect(login.limits.burst).toBe(5);
    expect(login.limits.intervalMs).toBe(60000);
    expect(login.shadow).toBe(true);
    const user = s.rules[2];
    expect(user.countUnknown).toBe(true);
    expect(user.key.length).toBe(2);
    expect(user.store.capacity).toBe(<u32>DEFAULT_MAX_KEYS);
  });

  it("applies defaults", () => {
    const s = parse(`{"rules": [{"name": "all", "tokens": 3}]}`);
    expect(s.failOpen).toBe(true);
    expect(s.shadow).toBe(false);
    expect(s.status).toBe(429);
    expect(s.headerMode).toBe(HeaderMode.Limited);
    expect(s.shadowHeader).toBe("x-ratelimit-shadow");
    expect(s.rules[0].limits.intervalMs).toBe(1000);
    expect(s.rules[0].countUnknown).toBe(false);
  });

  it("global shadow makes every rule shadow", () => {
    const s = parse(`{"shadow": true, "rules": [{"name": "a", "tokens": 1}]}`);
    expect(s.rules[0].shadow).toBe(true);
  });

  it("refuses zero and negative rates, naming rule and field", () => {
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 0}]}`)).toBe("rules[0].tokens: must be between 1 and 1000000000, got 0");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1}, {"name": "b", "tokens": -5}]}`)).toBe("rules[1].tokens: must be between 1 and 1000000000, got -5");
    expect(errorOf(`{"rules": [{"name": "a"}]}`)).toBe("rules[0].tokens: is required (tokens added per interval)");
  });

  it("refuses burst below tokens", () => {
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 10, "burst": 5}]}`)).toBe("rules[0].burst: burst (5) must be at least tokens (10)");
  });

  it("refuses a bad duration", () => {
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "interval": "soon"}]}`), "rules[0].interval:");
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "interval": 0}]}`), "rules[0].interval:");
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "interval": "-1s"}]}`), "rules[0].interval:");
  });

  it("refuses an unknown key source", () => {
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "key": [{"source": "bogus"}]}]}`), "rules[0].key[0].source: unknown value \"bogus\"");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "key": [{"source": "header"}]}]}`)).toBe("rules[0].key[0].name: is required");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "key": [{"source": "path", "operator": "equals"}]}]}`)).toBe("rules[0].key[0].operator: unknown field");
  });

  it("refuses a bad match through the shared matcher", () => {
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "match": {"source": "path", "operator": "eqals", "value": "/"}}]}`), "rules[0].match.operator: unknown value \"eqals\"");
  });

  it("refuses unusable structure", () => {
    expect(errorOf(`{}`)).toBe("rules: is required (a list of rules)");
    expect(errorOf(`{"rules": []}`)).toBe("rules: must not be empty");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1}, {"name": "a", "tokens": 2}]}`)).toBe("rules[1]: name \"a\" is used by another rule");
    expectIncludes(errorOf(`{"rules": [{"name": "a b", "tokens": 1}]}`), "rules[0].name:");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "maxKeys": 10}]}`)).toBe("rules[0].maxKeys: only applies to a rule with a key");
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "key": [{"source": "method"}], "maxKeys": 0}]}`), "rules[0].maxKeys:");
    expectIncludes(errorOf(`{"rules": [{"name": "a", "tokens": 1, "missingKey": "drop"}]}`), "rules[0].missingKey: unknown value");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "token": 2}]}`)).toBe("rules[0].token: unknown field; did you mean \"tokens\"?");
    expect(errorOf(`{"rulez": [], "rules": [{"name": "a", "tokens": 1}]}`)).toBe("rulez: unknown field; did you mean \"rules\"?");
    expectIncludes(errorOf(`{"response": {"status": 99}, "rules": [{"name": "a", "tokens": 1}]}`), "response.status:");
    expectIncludes(errorOf(`{"response": {"headers": {"bad header": "x"}}, "rules": [{"name": "a", "tokens": 1}]}`), "response.headers[\"bad header\"]: \"bad header\" is not a valid header name");
    expectIncludes(errorOf(`{"rateLimitHeaders": "some", "rules": [{"name": "a", "tokens": 1}]}`), "rateLimitHeaders: unknown value");
  });
});

describe("rate-limit settings: strict (D4, D5, D8)", () => {
  it("{\"rules\": null} gets a real message, and so do other nulls", () => {
    expect(errorOf(`{"rules": null}`)).toBe("rules: expected array, got null");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": null}]}`)).toBe("rules[0].tokens: expected number, got null");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "match": null}]}`)).toBe("rules[0].match: expected object, got null");
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "key": [{"source": null}]}]}`)).toBe("rules[0].key[0].source: expected string, got null");
    expect(errorOf(`{"response": null, "rules": [{"name": "a", "tokens": 1}]}`)).toBe("response: expected object, got null");
  });
  it("refuses response header values with CR, LF or NUL (header injection)", () => {
    expect(errorOf(`{"response": {"headers": {"x-a": "1\\r\\nx-injected: yes"}}, "rules": [{"name": "a", "tokens": 1}]}`))
      .toBe("response.headers.x-a: a header value must not contain CR, LF, NUL or other control characters; \"1\\r\\nx-injected: yes\" has CR at index 1");
    expectIncludes(errorOf(`{"response": {"headers": {"x-a": "a\\nb"}}, "rules": [{"name": "a", "tokens": 1}]}`), "has LF at index 1");
    expectIncludes(errorOf(`{"response": {"headers": {"x-a": "a\\u0000"}}, "rules": [{"name": "a", "tokens": 1}]}`), "has NUL at index 1");
    const ok = parse(`{"response": {"headers": {"x-a": "tab\\there é"}}, "rules": [{"name": "a", "tokens": 1}]}`);
    expect(ok.responseHeaders[0].value).toBe("tab\there é");
  });
  it("reports every rule's problems, with the closest field name for typos", () => {
    expect(errorOf(`{"rules": [{"name": "a", "tokns": 1}, {"name": "b c", "tokens": 0}]}`))
      .toBe("rules[0].tokns: unknown field; did you mean \"tokens\"?; rules[0].tokens: is required (tokens added per interval); " +
        "rules[1].name: \"b c\" must be 1–64 letters, digits, _ or -; rules[1].tokens: must be between 1 and 1000000000, got 0");
  });
  it("bounds response headers and key parts", () => {
    let h = "";
    for (let i = 0; i < 65; i++) h += (i ? "," : "") + "\"x-h" + i.toString() + "\": \"v\"";
    expect(errorOf(`{"response": {"headers": {` + h + `}}, "rules": [{"name": "a", "tokens": 1}]}`)).toBe("response.headers: at most 64 headers, got 65");
    let k = "";
    for (let i = 0; i < 17; i++) k += (i ? "," : "") + "{\"source\": \"header\", \"name\": \"x-k" + i.toString() + "\"}";
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "key": [` + k + `]}]}`)).toBe("rules[0].key: at most 16 items, got 17");
  });
});
