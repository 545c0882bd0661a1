// HeaderLines in real Envoy: Envoy keeps both lines of a repeated header that is not one of its inline
// headers, and hands a Wasm filter every line through get_header_map_pairs (get_header_map_value gives
// only the first). Header bytes that are not valid UTF-8 pass through Envoy unchanged.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type Stack } from "./lib/index.js";

describe("single-headers in Envoy", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      upstreams: ["stable"],
      filters: [{ module: "single-headers", config: JSON.stringify({ headers: ["x-mesh-tag", "traceparent"] }) }],
    });
  });
  after(() => stack?.stop());

  test("one line passes; two lines of x-mesh-tag or traceparent are refused with 400", async () => {
    assert.equal((await stack.request("/", { headers: { "x-mesh-tag": "gray" } })).status, 200);
    const two = await stack.request("/", { headers: { "x-mesh-tag": ["beta", "gray"] } });
    assert.equal(two.status, 400);
    assert.equal(two.body, "repeated header: x-mesh-tag\n");
    const tp = await stack.request("/", { headers: { traceparent: ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x"] } });
    assert.equal(tp.status, 400);
    assert.equal(tp.body, "repeated header: traceparent\n");
  });

  test("a repeated header the filter does not watch reaches the upstream as two lines, bytes exact", async () => {
    const raw = "ab\xffcd\xc3"; // latin1 string: these are the bytes on the wire
    const res = await stack.request("/", { headers: { "x-other": ["one", raw] } });
    assert.equal(res.status, 200);
    const lines = stack.upstreams.stable.last()!.lines.filter(([k]) => k === "x-other").map(([, v]) => v);
    assert.deepEqual(lines, ["one", raw]);
  });
});
