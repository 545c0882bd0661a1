// Issue 10, strict configurations in a real Envoy 1.40: configurations that used to be accepted with
// a silent default or a header injection are refused — Envoy refuses the plugin and its log says why
// on one short line (D4, D5, D8) — and a 30,000-value `in` list no longer delays Envoy's start (D6).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { expectEnvoyToFail, startStack } from "./lib/index.js";

/** The plugin's refusal lines in Envoy's log (each log line that carries `<filter>: `). */
function refusals(log: string, filter: string): string[] {
  return log.split("\n").filter((l) => l.includes(`${filter}: `) && /\[(error|critical)\]/.test(l));
}

describe("strict configurations in Envoy", () => {
  test("D5: a rate-limit response header value with CR LF is refused (no injected header on the 429)", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{
        module: "rate-limit",
        config: { response: { headers: { "x-a": "1\r\nx-injected: yes" } }, rules: [{ name: "all", tokens: 1, interval: "1m" }] },
      }],
    });
    assert.match(log, /rate-limit: response\.headers\.x-a: a header value must not contain CR, LF, NUL or other control characters; "1\\r\\nx-injected: yes" has CR at index 1/);
    assert.match(log, /Unable to create Wasm plugin/);
  });

  test("D5: NUL in a response header value is refused too", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{ module: "rate-limit", config: { response: { headers: { "x-a": "a\u0000b" } }, rules: [{ name: "all", tokens: 1 }] } }],
    });
    assert.match(log, /rate-limit: response\.headers\.x-a: .* has NUL at index 1/);
  });

  test("D4: tagging `\"match\": null` (a YAML `match:` left empty) is refused, naming the rule", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{ module: "tagging", config: { rules: [{ name: "beta", tag: "beta", match: null }, { name: "gray", tag: "gray", match: { source: "header", name: "x-gray", operator: "present" } }] } }],
    });
    assert.match(log, /tagging: rules\[0\]\.match: expected object, got null/);
  });

  test("D4: rate-limit `{\"rules\": null}` gets a real message", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{ module: "rate-limit", config: { rules: null } }],
    });
    assert.match(log, /rate-limit: rules: expected array, got null/);
  });

  test("D8: a 100 KB value full of newlines is quoted as a short escaped excerpt on one line", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{ module: "tagging", config: { defaultTag: "x\n".repeat(50_000) } }],
    });
    const lines = refusals(log, "tagging");
    assert.equal(lines.length, 1, lines.join("\n").slice(0, 2000));
    assert.ok(lines[0].length < 600, `${lines[0].length} characters`);
    assert.match(lines[0], /tagging: defaultTag: "x\\nx\\nx\\n.*…" \(100000 characters\) is not a valid tag/);
    assert.ok(log.split("\n").length < 400, `Envoy's whole log has ${log.split("\n").length} lines`);
  });

  test("issue 15: a typo next to a missing field reports both, with the closest name", async () => {
    const { log } = await expectEnvoyToFail({
      upstreams: { stable: { port: 9 } },
      filters: [{ module: "rate-limit", config: { rules: [{ name: "a", tokns: 5 }] } }],
    });
    assert.match(log, /rate-limit: rules\[0\]\.tokns: unknown field; did you mean "tokens"\?; rules\[0\]\.tokens: is required/);
  });
});

describe("D6: a large configuration does not delay Envoy", () => {
  test("a 30,000-value `in` list: Envoy ready, the list matches (start time reported, not asserted)", async (t) => {
    const values = Array.from({ length: 30_000 }, (_, i) => `user-${i}`);
    const t0 = Date.now();
    const stack = await startStack({
      upstreams: ["stable", "gray"],
      routes: [{ headers: { "x-mesh-tag": "gray" }, cluster: "gray" }, { cluster: "stable" }],
      filters: [{ module: "tagging", config: { rules: [{ name: "list", tag: "gray", match: { source: "header", name: "x-user", operator: "in", values } }] } }],
      concurrency: 2,
    });
    try {
      t.diagnostic(`Envoy ready ${Date.now() - t0} ms after start with a 30,000-value in list (2 workers)`);
      assert.equal((await stack.request("/", { headers: { "x-user": "user-29999" } })).status, 200);
      assert.equal(stack.upstreams.gray.last()?.headers["x-mesh-tag"], "gray");
      await stack.request("/", { headers: { "x-user": "user-30000" } });
      assert.notEqual(stack.upstreams.stable.last()?.headers["x-mesh-tag"], "gray");
    } finally {
      await stack.stop();
    }
  });
});
