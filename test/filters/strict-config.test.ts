// Issue 10 D4, D5, D8 and issue 15 item 4 over the compiled filters in the test host: configurations
// that used to be accepted with a silent default, a header injection or a 100 KB log line are refused,
// each problem named with its field path on one short line, typos with the closest field name.
// (Before the fix: `"match": null` silently dropped that rule and every later one, `{"rules": null}`
// was refused as "rate-limit: ", CR LF in a response header reached the 429, and a bad value was
// echoed whole, newlines included.)
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const BUILD = process.env.STRICT_BUILD ?? "build";
const ROOT: Record<string, string> = { "trace-id": "trace_id", tagging: "tagging", "rate-limit": "rate_limit" };

/** The refusal line of `filter` for `config` (asserting the plugin was refused). */
async function refusal(filter: string, config: unknown): Promise<string> {
  const h = await ProxyHost.create({ wasm: `${BUILD}/${filter}.wasm`, rootId: ROOT[filter], pluginConfig: config });
  const errors = h.logMessages("error");
  assert.equal(h.configured, false, `accepted: ${JSON.stringify(config).slice(0, 200)}`);
  assert.equal(errors.length, 1, errors.join("\n").slice(0, 2000));
  return errors[0];
}

const UID = { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 };

describe("D4: null where a value is required is refused with the field path", () => {
  const cases: [string, unknown, string][] = [
    ["tagging", { rules: [{ name: "a", tag: "beta", match: null }, { name: "b", tag: "gray", match: UID }] }, "tagging: rules[0].match: expected object, got null"],
    ["tagging", { rules: [{ tag: "gray", match: { source: null, name: "u", operator: "present" } }] }, "tagging: rules[0].match.source: expected string, got null"],
    ["tagging", { rules: [{ tag: "gray", match: { source: "header", name: "u", operator: null } }] }, "tagging: rules[0].match.operator: expected string, got null"],
    ["rate-limit", { rules: null }, "rate-limit: rules: expected array, got null"],
    ["rate-limit", { rules: [{ name: "a", tokens: null }] }, "rate-limit: rules[0].tokens: expected number, got null"],
    ["trace-id", { sampleRate: null }, "trace-id: sampleRate: expected number, got null"],
  ];
  for (const [filter, config, message] of cases) {
    test(message, async () => assert.equal(await refusal(filter, config), message));
  }
});

describe("D5: response header values that would inject header lines are refused", () => {
  for (const [value, what] of [["1\r\nx-injected: yes", "CR"], ["1\nx-injected: yes", "LF"], ["a\u0000b", "NUL"]]) {
    test(`a value with ${what}`, async () => {
      const msg = await refusal("rate-limit", { response: { headers: { "x-a": value } }, rules: [{ name: "all", tokens: 1, interval: "1m" }] });
      assert.match(msg, new RegExp(`^rate-limit: response\\.headers\\.x-a: a header value must not contain CR, LF, NUL or other control characters; ".*" has ${what} at index 1$`));
    });
  }
  test("a clean value reaches the 429 exactly", async () => {
    const h = await ProxyHost.create({ wasm: `${BUILD}/rate-limit.wasm`, rootId: "rate_limit", pluginConfig: { response: { headers: { "X-A": "1\tb é" } }, rules: [{ name: "all", tokens: 1, interval: "1m" }] } });
    assert.equal(h.configured, true);
    for (let i = 0; i < 2; i++) {
      const s = h.newHttpStream();
      const r = s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "a" }, { endOfStream: true });
      if (i === 1) assert.equal(r.localResponse?.headers["x-a"], "1\tb é");
      else s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
      s.complete();
    }
  });
});

describe("D8: refusals quote a short escaped excerpt, on one line", () => {
  test("a 100 KB value full of newlines", async () => {
    const msg = await refusal("tagging", { defaultTag: "x\n".repeat(50_000) });
    assert.equal(msg, `tagging: defaultTag: "${"x\\n".repeat(16)}…" (100000 characters) is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~')`);
  });
  test("a long key with control characters", async () => {
    const msg = await refusal("rate-limit", { [`\r\n${"k".repeat(10_000)}`]: 1, rules: [{ name: "a", tokens: 1 }] });
    assert.ok(!/[\r\n]/.test(msg) && msg.length < 200, msg.slice(0, 300));
    assert.match(msg, /^rate-limit: \["\\r\\nkkk.*…" \(10002 characters\)\]: unknown field$/);
  });
});

describe("issue 15: every problem, typos with the closest field name", () => {
  test("a typo next to the missing field it was meant to be", async () => {
    assert.equal(await refusal("rate-limit", { rules: [{ name: "a", tokns: 5 }] }),
      "rate-limit: rules[0].tokns: unknown field; did you mean \"tokens\"?; rules[0].tokens: is required (tokens added per interval)");
  });
  test("problems in several rules, each with its path", async () => {
    assert.equal(await refusal("tagging", { rules: [{ tag: "a", mtach: UID }, { tag: "b c", match: UID }], overide: true }),
      "tagging: overide: unknown field; did you mean \"override\"?; rules[0].mtach: unknown field; did you mean \"match\"?; " +
      "rules[0].match: is required (a condition; use defaultTag for a catch-all); " +
      "rules[1].tag: \"b c\" is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~')");
  });
  test("at most 20 problems, the rest counted", async () => {
    const config = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`unknown${i}`, i]));
    const msg = await refusal("trace-id", config);
    assert.equal(msg.split("; ").length, 21, msg);
    assert.ok(msg.endsWith("; … and 10 more"), msg);
  });
});
