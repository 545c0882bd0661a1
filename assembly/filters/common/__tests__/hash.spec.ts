import { fnv1a64, fmix64, stickyBucket, percentToBuckets } from "../hash";

describe("sticky hashing", () => {
  it("is FNV-1a 64 over UTF-8 bytes", () => {
    // Published FNV-1a 64 test vectors.
    expect(fnv1a64("")).toBe(0xcbf29ce484222325);
    expect(fnv1a64("a")).toBe(0xaf63dc4c8601ec8c);
    expect(fnv1a64("foobar")).toBe(0x85944171f73967e8);
    // Salt then key equals hashing the concatenation.
    expect(fnv1a64("bar", fnv1a64("foo"))).toBe(fnv1a64("foobar"));
    // Non-ASCII hashes its UTF-8 encoding.
    const s = "é€😀";
    const bytes = Uint8Array.wrap(String.UTF8.encode(s));
    let h: u64 = 0xcbf29ce484222325;
    for (let i = 0; i < bytes.length; i++) h = (h ^ <u64>bytes[i]) * 0x100000001b3;
    expect(fnv1a64(s)).toBe(h);
  });
  it("gives the same bucket every time and depends on the salt", () => {
    const a = stickyBucket("user-120");
    for (let i = 0; i < 10; i++) expect(stickyBucket("user-120")).toBe(a);
    expect(a).toBeLessThan(10000);
    let differs = 0;
    for (let i = 0; i < 100; i++) if (stickyBucket(i.toString(), "exp-a") != stickyBucket(i.toString(), "exp-b")) differs++;
    expect(differs).toBeGreaterThan(90);
    expect(fmix64(0)).toBe(0);
  });
  it("splits 100,000 sequential keys within ±1 point of the configured percentage", () => {
    const percents: f64[] = [1, 10, 20, 33.33, 50, 90];
    for (let p = 0; p < percents.length; p++) {
      const t = percentToBuckets(percents[p]);
      let inside = 0;
      for (let i = 0; i < 100000; i++) if (stickyBucket(i.toString()) < t) inside++;
      const got = <f64>inside / 1000.0;
      expect(Math.abs(got - percents[p])).toBeLessThan(1.0);
    }
  });
  it("converts percentages to bucket thresholds", () => {
    expect(percentToBuckets(0)).toBe(0);
    expect(percentToBuckets(12.5)).toBe(1250);
    expect(percentToBuckets(100)).toBe(10000);
  });
});
