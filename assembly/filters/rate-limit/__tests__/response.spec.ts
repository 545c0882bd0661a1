import { deserializeHeaders, makeHeaderPair } from "../../../sdk/headers";
import { LimitedHeaders, writeDigits } from "../response";

describe("limited response headers", () => {
  it("serializes retry-after, x-ratelimit-* and the configured headers in the ABI map format", () => {
    const h = new LimitedHeaders([makeHeaderPair("content-type", "text/plain"), makeHeaderPair("x-why", "")]);
    const len = h.build(7, true, String.UTF8.encode("1000000000"), 18446744073709551615);
    const pairs = deserializeHeaders(h.ptr, len);
    expect(pairs.length).toBe(6);
    expect(pairs[0].key).toBe("retry-after");
    expect(pairs[0].value).toBe("7");
    expect(pairs[1].key).toBe("x-ratelimit-limit");
    expect(pairs[1].value).toBe("1000000000");
    expect(pairs[2].value).toBe("0");
    expect(pairs[3].key).toBe("x-ratelimit-reset");
    expect(pairs[3].value).toBe("18446744073709551615");
    expect(pairs[4].value).toBe("text/plain");
    expect(pairs[5].key).toBe("x-why");
    expect(pairs[5].value).toBe("");
  });

  it("leaves the limits out when asked, and reuses its buffer", () => {
    const h = new LimitedHeaders([]);
    h.build(123456, true, String.UTF8.encode("5"), 99);
    const pairs = deserializeHeaders(h.ptr, h.build(1, false, String.UTF8.encode("5"), 0));
    expect(pairs.length).toBe(1);
    expect(pairs[0].value).toBe("1");
  });

  it("never emits a configured pair that would inject a header line (D5, defence in depth)", () => {
    const h = new LimitedHeaders([
      makeHeaderPair("x-a", "1\r\nx-injected: yes"), makeHeaderPair("x-b", "a\0b"), makeHeaderPair("x-c\nd", "v"),
      makeHeaderPair("x-ok", "tab\tok"),
    ]);
    const pairs = deserializeHeaders(h.ptr, h.build(1, false, String.UTF8.encode("5"), 0));
    expect(pairs.length).toBe(2);
    expect(pairs[0].key).toBe("retry-after");
    expect(pairs[1].key).toBe("x-ok");
    expect(pairs[1].value).toBe("tab\tok");
  });

  it("writes digits", () => {
    const p = memory.data(24);
    expect(writeDigits(p, 0)).toBe(1);
    expect(load<u8>(p)).toBe(0x30);
    expect(writeDigits(p, 4096)).toBe(4);
    expect(String.UTF8.decodeUnsafe(p, 4)).toBe("4096");
  });
});
