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
    expect(errorOf(`{"rules": [{"name": "a", "tokens": 1, "token": 2}]}`)).toBe("rules[0].token: unknown field");
    expect(errorOf(`{"rulez": [], "rules": [{"name": "a", "tokens": 1}]}`)).toBe("rulez: unknown field");
    expectIncludes(errorOf(`{"response": {"status": 99}, "rules": [{"name": "a", "tokens": 1}]}`), "response.status:");
    expectIncludes(errorOf(`{"response": {"headers": {"bad header": "x"}}, "rules": [{"name": "a", "tokens": 1}]}`), "response.headers.bad header:");
    expectIncludes(errorOf(`{"rateLimitHeaders": "some", "rules": [{"name": "a", "tokens": 1}]}`), "rateLimitHeaders: unknown value");
  });
});
