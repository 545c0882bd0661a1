// The tagging filter over its compiled module (build/tagging.wasm) in the test host: every rule type,
// weights and the default, propagation (keep / override / restore from baggage), baggage merging and
// limits, route-cache clearing, the response echo, metrics, configuration refusals, sticky buckets.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost, type HttpStream } from "../../src/host/index.js";

const WASM = "build/tagging.wasm";

async function host(pluginConfig: unknown = "", extra: Record<string, unknown> = {}) {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "tagging", pluginConfig, ...extra });
  assert.ok(h.configured, `configuration refused: ${h.logMessages("error").join("; ")}`);
  return h;
}

async function refused(pluginConfig: unknown): Promise<string> {
  const h = await ProxyHost.create({ wasm: WASM, rootId: "tagging", pluginConfig });
  assert.equal(h.configured, false, "the configuration should be refused");
  const errors = h.logMessages("error");
  assert.equal(errors.length, 1);
  return errors[0];
}

/** One request/response; returns the stream (headers as the upstream and the client saw them). */
function run(h: ProxyHost, headers: Record<string, string> = {}, path = "/", properties: Record<string, string> = {}): HttpStream {
  const s = h.newHttpStream({ properties });
  s.sendRequestHeaders({ ":method": "GET", ":path": path, ":authority": "shop.example.com", ...headers }, { endOfStream: true });
  s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
  s.complete();
  return s;
}

const tagOf = (s: HttpStream) => s.requestHeaders.get("x-mesh-tag");
const rule = (tag: string, match: unknown, name?: string) => ({ ...(name ? { name } : {}), tag, match });
const leaf = (source: string, name: string | undefined, operator: string, operands: Record<string, unknown> = {}) =>
  ({ source, ...(name === undefined ? {} : { name }), operator, ...operands });

describe("rules: every source and operator through the compiled module", () => {
  test("user-id % 100 == 20 → gray: 120 is gray, 121 untagged", async () => {
    const h = await host({ rules: [rule("gray", leaf("header", "user-id", "modulo", { divisor: 100, remainder: 20 }), "uid")] });
    const gray = run(h, { "user-id": "120" });
    assert.equal(tagOf(gray), "gray");
    assert.equal(gray.requestHeaders.get("baggage"), "mesh-tag=gray");
    assert.equal(h.routeCacheCleared(gray), 1);
    const plain = run(h, { "user-id": "121" });
    assert.equal(tagOf(plain), undefined);
    assert.equal(plain.requestHeaders.get("baggage"), undefined);
    assert.equal(h.routeCacheCleared(plain), 0);
  });

  interface Req { headers?: Record<string, string>; path?: string; props?: Record<string, unknown> }
  const cases: Array<[string, unknown, Req, Req]> = [
    ["header equals", leaf("header", "x-env", "equals", { value: "canary" }), { headers: { "x-env": "canary" } }, { headers: { "x-env": "canary2" } }],
    ["header notEquals", leaf("header", "x-env", "notEquals", { value: "prod" }), { headers: { "x-env": "dev" } }, { headers: { "x-env": "prod" } }],
    ["cookie prefix", leaf("cookie", "uid", "prefix", { value: "beta-" }), { headers: { cookie: "a=1; uid=beta-42" } }, { headers: { cookie: "uid=alpha-1; beta-=1" } }],
    ["query in", leaf("query", "region", "in", { values: ["eu", "us"] }), { path: "/p?region=eu" }, { path: "/p?region=ap&eu=1" }],
    ["path suffix", leaf("path", undefined, "suffix", { value: ".json" }), { path: "/items.json?x=1" }, { path: "/items?f=.json" }],
    ["path contains", leaf("path", undefined, "contains", { value: "/v2/" }), { path: "/api/v2/items" }, { path: "/api/v1/items?v=/v2/" }],
    ["method equals", leaf("method", undefined, "equals", { value: "GET" }), {}, { headers: { ":method": "POST" } }],
    ["authority suffix", leaf("authority", undefined, "suffix", { value: ".example.com" }), {}, { headers: { ":authority": "example.org" } }],
    ["header present", leaf("header", "x-debug", "present"), { headers: { "x-debug": "" } }, {}],
    ["header absent", leaf("header", "x-prod-only", "absent"), {}, { headers: { "x-prod-only": "1" } }],
    ["header range", leaf("header", "x-version", "range", { min: 2, max: 3.5 }), { headers: { "x-version": "3.1" } }, { headers: { "x-version": "3.6" } }],
    ["source IP cidr v4", leaf("sourceIp", undefined, "cidr", { values: ["10.0.0.0/8"] }), { props: { "source.address": "10.2.3.4:5000" } }, { props: { "source.address": "11.2.3.4:5000" } }],
    ["source IP cidr v6", leaf("sourceIp", undefined, "cidr", { values: ["2001:db8::/32"] }), { props: { "source.address": "[2001:db8::9]:5000" } }, { props: { "source.address": "[2001:db9::9]:5000" } }],
    ["source IP exact", leaf("sourceIp", undefined, "equals", { value: "192.168.1.9" }), { props: { "source.address": "192.168.1.9:1" } }, { props: { "source.address": "192.168.1.90:1" } }],
    ["integer property", leaf("property", "destination.port", "equals", { value: "8443" }), { props: { "destination.port": 8443 } }, { props: { "destination.port": 80 } }],
    ["percentage 100 / 0", leaf("header", "user-id", "percentage", { percent: 100 }), { headers: { "user-id": "7" } }, {}],
  ];
  for (const [name, match, hit, miss] of cases) {
    test(`${name}: a matching request is tagged, a non-matching one is not`, async () => {
      const h = await host({ rules: [rule("gray", match)] });
      const send = (r: Req) => run(h, r.headers ?? {}, r.path ?? "/", (r.props ?? {}) as Record<string, string>);
      assert.equal(tagOf(send(hit)), "gray", `${name} should match`);
      assert.equal(tagOf(send(miss)), undefined, `${name} should not match`);
    });
  }

  test("method and authority mismatches", async () => {
    const h = await host({ rules: [rule("gray", { any: [leaf("method", undefined, "equals", { value: "POST" }), leaf("authority", undefined, "equals", { value: "admin.local" })] })] });
    assert.equal(tagOf(run(h)), undefined);
    const s = h.newHttpStream();
    s.sendRequestHeaders({ ":method": "POST", ":path": "/", ":authority": "x" }, { endOfStream: true });
    assert.equal(s.requestHeaders.get("x-mesh-tag"), "gray");
  });

  test("all / any / not combine; the first matching rule wins", async () => {
    const h = await host({
      rules: [
        rule("blue", { all: [leaf("header", "x-a", "present"), { not: leaf("header", "x-b", "present") }] }, "a-not-b"),
        rule("green", { any: [leaf("header", "x-a", "present"), leaf("header", "x-b", "present")] }, "a-or-b"),
      ],
    });
    assert.equal(tagOf(run(h, { "x-a": "1" })), "blue");
    assert.equal(tagOf(run(h, { "x-a": "1", "x-b": "1" })), "green");
    assert.equal(tagOf(run(h, { "x-b": "1" })), "green");
    assert.equal(tagOf(run(h)), undefined);
    assert.equal(h.metric("tagging.tagged.tag.blue.rule.a-not-b"), 1);
    assert.equal(h.metric("tagging.tagged.tag.green.rule.a-or-b"), 2);
  });
});

describe("weights and the default tag", () => {
  test("sticky weights by key: stable per user, within ±1 point of the split over 100,000 users", async () => {
    const h = await host({ weights: [{ tag: "gray", percent: 10 }, { tag: "blue", percent: 25 }], defaultTag: "stable",
      weightKey: { source: "header", name: "user-id" } });
    const counts: Record<string, number> = { gray: 0, blue: 0, stable: 0 };
    const first = new Map<number, string>();
    for (let i = 0; i < 100_000; i++) {
      const s = h.newHttpStream();
      s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "a", "user-id": String(i) }, { endOfStream: true });
      const t = s.requestHeaders.get("x-mesh-tag") as string;
      counts[t]++;
      if (i < 500) first.set(i, t);
      s.complete();
    }
    assert.ok(Math.abs(counts.gray / 1000 - 10) <= 1, `gray ${counts.gray / 1000}%`);
    assert.ok(Math.abs(counts.blue / 1000 - 25) <= 1, `blue ${counts.blue / 1000}%`);
    assert.ok(Math.abs(counts.stable / 1000 - 65) <= 1, `stable ${counts.stable / 1000}%`);
    for (const [i, t] of first) assert.equal(tagOf(run(h, { "user-id": String(i) })), t, `user ${i} keeps its lane`);
    assert.equal(h.metric("tagging.tagged.tag.gray.rule.weights"), counts.gray + [...first.values()].filter((t) => t === "gray").length);
    assert.equal(h.metric("tagging.requests.outcome.default"), counts.stable + [...first.values()].filter((t) => t === "stable").length);
  });

  test("the same user lands in the same bucket on another VM and after a restart", async () => {
    const cfg = { weights: [{ tag: "gray", percent: 50 }], weightKey: { source: "cookie", name: "uid" } };
    const a = await host(cfg, { vms: 2 });
    const b = await host(cfg);
    for (let i = 0; i < 200; i++) {
      const cookie = { cookie: `uid=u${i}` };
      const t = tagOf(run(a, cookie));
      assert.equal(tagOf(run(a, cookie)), t);
      assert.equal(tagOf(run(b, cookie)), t);
    }
  });

  test("weights without a key are random per request but keep the split; a missing key value skips them", async () => {
    const h = await host({ weights: [{ tag: "gray", percent: 30 }] });
    let gray = 0;
    for (let i = 0; i < 20_000; i++) if (tagOf(run(h)) === "gray") gray++;
    assert.ok(Math.abs(gray / 200 - 30) <= 1.5, `gray ${gray / 200}%`);
    const keyed = await host({ weights: [{ tag: "gray", percent: 100 }], weightKey: { source: "header", name: "user-id" }, defaultTag: "stable" });
    assert.equal(tagOf(run(keyed)), "stable");
    assert.equal(tagOf(run(keyed, { "user-id": "1" })), "gray");
  });

  test("rules come before weights, weights before the default", async () => {
    const h = await host({ rules: [rule("gray", leaf("header", "x-gray", "present"))], weights: [{ tag: "blue", percent: 100 }], defaultTag: "stable",
      weightKey: { source: "header", name: "user-id" } });
    assert.equal(tagOf(run(h, { "x-gray": "1", "user-id": "1" })), "gray");
    assert.equal(tagOf(run(h, { "user-id": "1" })), "blue");
    assert.equal(tagOf(run(h)), "stable");
    assert.equal(h.metric("tagging.requests.outcome.assigned"), 2);
    assert.equal(h.metric("tagging.requests.outcome.default"), 1);
    assert.equal(h.metric("tagging.tagged.tag.stable.rule.defaultTag"), 1);
  });
});

describe("propagation", () => {
  const cfg = { rules: [rule("gray", leaf("header", "user-id", "modulo", { divisor: 100, remainder: 20 }))], defaultTag: "stable" };

  test("an incoming routing header is kept (not re-evaluated) and added to baggage", async () => {
    const h = await host(cfg);
    const s = run(h, { "user-id": "120", "x-mesh-tag": "blue", baggage: "userId=alice" });
    assert.equal(tagOf(s), "blue");
    assert.equal(s.requestHeaders.get("baggage"), "mesh-tag=blue,userId=alice");
    assert.equal(h.routeCacheCleared(s), 0, "the routing header did not change");
    assert.equal(h.metric("tagging.requests.outcome.preserved"), 1);
    assert.equal(h.metric("tagging.preserved.tag.other"), 1);
  });

  test("sidecar outbound: the tag is restored from baggage into the routing header", async () => {
    const h = await host({}); // no rules: a pure propagator
    const s = run(h, { baggage: "userId=alice, mesh-tag=gray;src=edge" });
    assert.equal(tagOf(s), "gray");
    assert.equal(s.requestHeaders.get("baggage"), "userId=alice, mesh-tag=gray;src=edge", "baggage already right: untouched");
    assert.equal(h.routeCacheCleared(s), 1);
  });

  test("baggage values are percent-decoded; an invalid incoming tag is ignored", async () => {
    const h = await host(cfg);
    assert.equal(tagOf(run(h, { baggage: "mesh-tag=gr%61y" })), "gray");
    const bad = run(h, { "x-mesh-tag": "not a tag!", "user-id": "121" });
    assert.equal(tagOf(bad), "stable", "re-evaluated and replaced");
    assert.equal(tagOf(run(h, { baggage: "mesh-tag=%20" })), "stable");
  });

  test("the routing header wins over a disagreeing baggage entry, which is corrected", async () => {
    const h = await host(cfg);
    const s = run(h, { "x-mesh-tag": "gray", baggage: "a=1,mesh-tag=blue,b=2" });
    assert.equal(tagOf(s), "gray");
    assert.equal(s.requestHeaders.get("baggage"), "mesh-tag=gray,a=1,b=2");
  });

  test("override: the edge re-decides and strips an unconfirmed client tag", async () => {
    const h = await host({ ...cfg, defaultTag: undefined, override: true });
    const reassigned = run(h, { "x-mesh-tag": "blue", "user-id": "120" });
    assert.equal(tagOf(reassigned), "gray");
    assert.equal(h.routeCacheCleared(reassigned), 1);
    const stripped = run(h, { "x-mesh-tag": "blue", baggage: "a=1, mesh-tag=blue", "user-id": "121" });
    assert.equal(tagOf(stripped), undefined);
    assert.equal(stripped.requestHeaders.get("baggage"), "a=1");
    assert.equal(h.routeCacheCleared(stripped), 1);
    const onlyOurs = run(h, { baggage: "mesh-tag=blue", "user-id": "121" });
    assert.equal(onlyOurs.requestHeaders.get("baggage"), undefined);
    assert.equal(h.metric("tagging.requests.outcome.preserved"), 0);
  });

  test("the tag is echoed on the response when asked", async () => {
    const h = await host({ ...cfg, responseHeader: "x-lane" });
    assert.equal(run(h, { "user-id": "120" }).responseHeaders.get("x-lane"), "gray");
    assert.equal(run(h, { "x-mesh-tag": "blue" }).responseHeaders.get("x-lane"), "blue");
    const none = await host({ responseHeader: "x-lane" });
    assert.equal(run(none).responseHeaders.get("x-lane"), undefined);
    assert.equal(run(await host(cfg), { "user-id": "120" }).responseHeaders.get("x-lane"), undefined);
  });

  test("baggage can be switched off and the headers renamed", async () => {
    const h = await host({ ...cfg, header: "X-Lane", baggageKey: "" });
    const s = run(h, { "user-id": "120", baggage: "mesh-tag=blue" });
    assert.equal(s.requestHeaders.get("x-lane"), "gray");
    assert.equal(s.requestHeaders.get("baggage"), "mesh-tag=blue", "baggage untouched and not read");
  });

  test("clearRouteCache: false never calls the foreign function", async () => {
    const h = await host({ ...cfg, clearRouteCache: false });
    const s = run(h, { "user-id": "120" });
    assert.equal(tagOf(s), "gray");
    assert.equal(h.routeCacheCleared(s), 0);
    assert.equal(h.metric("tagging.route_cache.result.cleared"), 0);
  });

  test("a host without clear_route_cache is counted, not fatal", async () => {
    const h = await host(cfg, { foreignFunctions: { clear_route_cache: () => 1 /* NOT_FOUND */ } });
    assert.equal(tagOf(run(h, { "user-id": "120" })), "gray");
    assert.equal(h.metric("tagging.route_cache.result.failed"), 1);
  });
});

describe("baggage merging and limits", () => {
  test("our entry goes first; other members stay whole and in order; duplicates of ours are dropped", async () => {
    const h = await host({ defaultTag: "gray" });
    const s = run(h, { "x-mesh-tag": "green", baggage: "k1=v1;p=1, mesh-tag=blue, k2 = v2, mesh-tag=x" });
    assert.equal(s.requestHeaders.get("baggage"), "mesh-tag=green,k1=v1;p=1,k2 = v2");
    const untouched = run(h, { baggage: "k1=v1, mesh-tag=blue" });
    assert.equal(untouched.requestHeaders.get("baggage"), "k1=v1, mesh-tag=blue", "already carrying the tag: left as it was");
  });

  test("a merged header over 8192 bytes drops whole members from the end, never ours", async () => {
    const h = await host({ defaultTag: "gray" });
    const members = Array.from({ length: 10 }, (_, i) => `k${i}=${"v".repeat(900)}`);
    const s = run(h, { baggage: members.join(",") });
    const out = s.requestHeaders.get("baggage") as string;
    assert.ok(Buffer.byteLength(out) <= 8192, `${Buffer.byteLength(out)} bytes`);
    const parts = out.split(",");
    assert.equal(parts[0], "mesh-tag=gray");
    assert.deepEqual(parts.slice(1), members.slice(0, parts.length - 1));
    assert.equal(parts.length, 10, "9 of the 10 existing members fit beside ours");
  });

  test("the member limit is configurable (at least 64)", async () => {
    const h = await host({ defaultTag: "gray", baggageMaxMembers: 64, baggageMaxBytes: 4096 });
    const members = Array.from({ length: 80 }, (_, i) => `k${i}=1`);
    const out = run(h, { baggage: members.join(",") }).requestHeaders.get("baggage") as string;
    assert.equal(out.split(",").length, 64);
    assert.ok(out.startsWith("mesh-tag=gray,k0=1,k1=1"));
  });
});

describe("configuration refusals name the rule and the field", () => {
  const cases: Array<[string, unknown, string]> = [
    ["unknown operator", { rules: [rule("gray", leaf("header", "u", "eqals", { value: "1" }))] }, 'rules[0].match.operator: unknown value "eqals"'],
    ["percentages over 100", { weights: [{ tag: "a", percent: 70 }, { tag: "b", percent: 40 }] }, "weights[1]: percent values add up to 110 (must be at most 100)"],
    ["bad CIDR", { rules: [rule("a", leaf("sourceIp", undefined, "cidr", { values: ["10.0.0.0/33"] }))] }, 'rules[0].match.values[0]: "10.0.0.0/33": prefix length must be 0–32'],
    ["modulo without divisor", { rules: [rule("a", leaf("header", "u", "modulo", { remainder: 1 }))] }, 'rules[0].match.divisor: is required for operator "modulo"'],
    ["empty rule", { rules: [{}] }, "rules[0].tag: is required"],
    ["rule without a condition", { rules: [{ tag: "gray" }] }, "rules[0].match: is required"],
    ["empty condition list", { rules: [rule("a", { all: [] })] }, "rules[0].match.all: must not be empty"],
    ["unknown field", { rules: [], overide: true }, "overide: unknown field"],
    ["not JSON", "{rules: 1}", "configuration is not valid JSON"],
  ];
  for (const [name, cfg, message] of cases) {
    test(name, async () => {
      const err = await refused(cfg);
      assert.ok(err.startsWith("tagging: "), err);
      assert.ok(err.includes(message), `${err}\n  should include: ${message}`);
    });
  }
});
