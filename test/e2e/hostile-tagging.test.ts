// Hostile requests against the tagging filter in real Envoy (issue 10: D1, D2, D7).
// - D1: a 59 KiB `baggage: a,a,a,…` through the demo chain costs Envoy about what a normal baggage
//   header of the same size costs (Envoy's own CPU time from /proc/<pid>/stat, a ratio within one run).
// - D2: header bytes that are not a valid tag (invalid UTF-8, overlong encodings) never make a request
//   gray: the echo, the baggage and the upstream that answers agree.
// - D7: a routing header on two lines cannot route one way while the filter believes another.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startDemo, startStack, type Demo, type RouteSpec, type Stack } from "./lib/index.js";

/** Envoy's CPU time so far (user + system, all threads), in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
  return Number(f[11]) + Number(f[12]); // utime (14), stime (15)
}

// Envoy refuses request headers above 60 KiB in total (max_request_headers_kb default): 59 KiB of
// baggage leaves room for the request line and the other headers.
const SIZE = 59 * 1024;
const repeatTo = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
const SHAPES: Record<string, string> = {
  normal: repeatTo("k=v,"),
  "a,a,a": repeatTo("a,"),
  "=,=,=": repeatTo("=,"),
  "OWS": repeatTo("a=1" + " ".repeat(61) + ","),
};

describe("tagging in Envoy under hostile headers: the demo chain (envoy-config/demo.yaml)", () => {
  let demo: Demo;
  before(async () => { demo = await startDemo({ port: 0, adminPort: 0 }); });
  after(() => demo?.stop());

  test("D1: a 59 KiB baggage of adversarial shape costs Envoy's CPU within a small multiple of a normal one", async () => {
    const pid = demo.stack.envoy.pid;
    const reps = 20;
    const ticks: Record<string, number> = {};
    for (const [name, baggage] of Object.entries(SHAPES)) {
      const t0 = cpuTicks(pid);
      for (let i = 0; i < reps; i++) {
        const res = await demo.stack.request("/", { headers: { baggage }, timeoutMs: 20_000 });
        assert.equal(res.status, 200, `${name}: ${res.status} ${res.body}`);
        assert.equal(res.headers["x-mesh-tag"], "stable");
      }
      ticks[name] = cpuTicks(pid) - t0;
    }
    const msPer = (n: number) => (n * 10 / reps).toFixed(1); // USER_HZ = 100: a tick is 10 ms
    console.log(`# Envoy CPU per 59 KiB request (ms, ${reps} each): ` +
      Object.entries(ticks).map(([k, v]) => `${k} ${msPer(v)}`).join(", "));
    for (const [name, t] of Object.entries(ticks)) {
      // Ticks are 10 ms: allow 3× the normal cost plus 10 ticks of noise for the whole batch.
      assert.ok(t <= 3 * ticks.normal + 10, `${name}: ${t} ticks for ${reps} requests vs normal ${ticks.normal}`);
    }
    // The rewritten baggage stays within W3C's limits: our member first, at most 180 members.
    const seen = demo.stack.upstreams.stable.last()!.lines.filter(([k]) => k === "baggage").map(([, v]) => v);
    assert.equal(seen.length, 1);
    assert.ok(seen[0].startsWith("mesh-tag=stable,"));
    assert.ok(seen[0].length <= 8192 && seen[0].split(",").length <= 180, `${seen[0].length} bytes`);
  });

  /** Where the request went and what every party says its lane is. */
  async function lane(headers: Record<string, string | string[]>) {
    const res = await demo.stack.request("/", { headers });
    assert.equal(res.status, 200);
    const upstream = res.headers["x-upstream"] as string;
    const seen = demo.stack.upstreams[upstream].last()!;
    const all = (name: string) => seen.lines.filter(([k]) => k === name).map(([, v]) => v);
    return { upstream, header: all("x-mesh-tag"), baggage: all("baggage"), echo: res.headers["x-mesh-tag"] };
  }

  test("D2: bytes that are not a tag never make a request gray, in the header or in baggage", async () => {
    const stable = { upstream: "stable", header: ["stable"], baggage: ["mesh-tag=stable"], echo: "stable" };
    assert.deepEqual(await lane({ "x-mesh-tag": "gray\x80" }), stable);
    assert.deepEqual(await lane({ "x-mesh-tag": "\xc1\xa7\xc1\xb2\xc1\xa1\xc1\xb9" }), stable); // overlong "gray"
    assert.deepEqual(await lane({ baggage: "mesh-tag=\xc1\xa7\xc1\xb2\xc1\xa1\xc1\xb9" }), stable);
    assert.deepEqual(await lane({ baggage: "mesh-tag=%C1%A7%C1%B2%C1%A1%C1%B9" }), stable);
    // And the other way round: a beta user with a spoofed "stable" still reaches gray, all agreeing.
    assert.deepEqual(await lane({ "x-beta": "1", "x-mesh-tag": "stable\x80" }),
      { upstream: "gray", header: ["gray"], baggage: ["mesh-tag=gray"], echo: "gray" });
  });

  test("D3: other baggage members reach the upstream byte for byte, invalid bytes included", async () => {
    // Our member is invalid (overlong 'g'), so the filter re-decides and rewrites the baggage.
    const got = await lane({ baggage: "a=\xff\xfe;p=\xc3, mesh-tag=\xc1\xa7, b=caf\xc3\xa9" });
    assert.deepEqual(got.baggage, ["mesh-tag=stable,a=\xff\xfe;p=\xc3,b=caf\xc3\xa9"]);
    // A valid incoming tag is kept, and so is the baggage, as it came.
    const kept = await lane({ baggage: "a=\xff\xfe, mesh-tag=blue" });
    assert.deepEqual(kept, { upstream: "stable", header: ["blue"], baggage: ["a=\xff\xfe, mesh-tag=blue"], echo: "blue" });
  });

  test("D7: x-mesh-tag on two lines routes where the filter says, and the echo and baggage agree", async () => {
    // Envoy's route matches either line: without the filter's rewrite, beta + gray would reach gray.
    assert.deepEqual(await lane({ "x-mesh-tag": ["beta", "gray"] }),
      { upstream: "stable", header: ["stable"], baggage: ["mesh-tag=stable"], echo: "stable" });
    assert.deepEqual(await lane({ "x-mesh-tag": ["gray", "beta"], "x-beta": "1" }),
      { upstream: "gray", header: ["gray"], baggage: ["mesh-tag=gray"], echo: "gray" });
  });

  test("D7: baggage on two lines is one list (W3C): the tag in the second line is found and kept", async () => {
    const got = await lane({ baggage: ["a=1", "mesh-tag=gray"] });
    assert.equal(got.upstream, "gray");
    assert.deepEqual(got.header, ["gray"]);
    assert.equal(got.echo, "gray");
    assert.deepEqual(got.baggage, ["a=1", "mesh-tag=gray"], "already right: both lines forwarded as they came");
    const rewritten = await lane({ baggage: ["a=1, mesh-tag=gray", "b=2, mesh-tag=beta"] });
    assert.deepEqual(rewritten, { upstream: "stable", header: ["stable"], baggage: ["mesh-tag=stable,a=1,b=2"], echo: "stable" },
      "our key twice is ambiguous: re-decided, one line written");
  });
});

describe("tagging in Envoy: rules over a header sent on several lines", () => {
  const routes: RouteSpec[] = [{ headers: { "x-mesh-tag": "gray" }, cluster: "gray" }, { prefix: "/", cluster: "stable" }];
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["gray", "stable"], routes,
      filters: [{
        module: "tagging",
        config: {
          rules: [
            { name: "uid", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } },
            { name: "lane", tag: "gray", match: { source: "cookie", name: "lane", operator: "equals", value: "gray" } },
          ],
        },
      }],
    });
  });
  after(() => stack?.stop());

  test("every line is seen: user-id 120 + 121 is no user id; a cookie on the second cookie line is found", async () => {
    // The rule sees "120,121" (lines joined as HTTP combines them), not just the first line (120 → gray).
    assert.equal((await stack.request("/", { headers: { "user-id": ["120", "121"] } })).headers["x-upstream"], "stable");
    assert.equal((await stack.request("/", { headers: { "user-id": ["120"] } })).headers["x-upstream"], "gray");
    // Envoy 1.40 joins cookie lines itself ("; "; the first line already holds both); the filter joins
    // them the same way on a host that does not.
    assert.equal((await stack.request("/", { headers: { cookie: ["a=1", "lane=gray"] } })).headers["x-upstream"], "gray");
    assert.equal((await stack.request("/", { headers: { cookie: ["lane=blue", "a=1"] } })).headers["x-upstream"], "stable");
  });
});
