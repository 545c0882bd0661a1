import { BucketLimits, BucketState, TakeResult, take, refill, isIdle, fullBucket, secondsCeil } from "../bucket";

function admitted(s: BucketState, l: BucketLimits, now: u64, n: i32): i32 {
  const out = new TakeResult();
  let count = 0;
  for (let i = 0; i < n; i++) if (take(s, l, now, out).admitted) count++;
  return count;
}

describe("token bucket", () => {
  it("admits burst at once, then refuses", () => {
    const l = new BucketLimits(10, 1000, 15);
    const s = fullBucket(l, 5000);
    expect(admitted(s, l, 5000, 40)).toBe(15);
    const out = take(s, l, 5000, new TakeResult());
    expect(out.admitted).toBe(false);
    expect(out.remaining).toBe(0);
    expect(out.retryMs).toBe(100); // 10 tokens per second: one every 100 ms
    expect(out.resetMs).toBe(1500); // 15 tokens to refill
  });

  it("refills exactly tokens per interval, with no drift over many intervals", () => {
    const l = new BucketLimits(7, 1000, 7);
    const s = fullBucket(l, 0);
    let total = admitted(s, l, 0, 100);
    // 3 requests every 10 ms for 100 s: the bucket is the only limit.
    for (let t: u64 = 10; t <= 100000; t += 10) total += admitted(s, l, t, 3);
    expect(total).toBe(7 + 7 * 100);
  });

  it("refills fractionally between whole tokens (3 per 1000 ms)", () => {
    const l = new BucketLimits(3, 1000, 3);
    const s = fullBucket(l, 0);
    expect(admitted(s, l, 0, 3)).toBe(3);
    expect(admitted(s, l, 333, 1)).toBe(0);
    expect(admitted(s, l, 334, 1)).toBe(1); // 334 ms × 3 units ≥ 1000 units
    expect(admitted(s, l, 666, 1)).toBe(0);
    expect(admitted(s, l, 667, 1)).toBe(1);
  });

  it("caps refill at burst after a long idle time without overflowing", () => {
    const l = new BucketLimits(1000000, 86400000, 2000000);
    const s = fullBucket(l, 0);
    expect(admitted(s, l, 0, 10)).toBe(10);
    refill(s, l, 0xffffffffffff);
    expect(s.level).toBe(l.capacity);
    expect(isIdle(s, l, 0xffffffffffff)).toBe(true);
  });

  it("does not refill when the clock goes backwards, and keeps the later time", () => {
    const l = new BucketLimits(10, 1000, 10);
    const s = fullBucket(l, 10000);
    expect(admitted(s, l, 10000, 10)).toBe(10);
    expect(admitted(s, l, 9000, 1)).toBe(0);
    expect(s.lastMs).toBe(10000);
    // Time from 10000 is counted once: 100 ms later one token is back, not more.
    expect(admitted(s, l, 10100, 5)).toBe(1);
  });

  it("reports a full bucket as idle and a used one as not", () => {
    const l = new BucketLimits(1, 1000, 2);
    const s = fullBucket(l, 0);
    expect(isIdle(s, l, 0)).toBe(true);
    admitted(s, l, 0, 1);
    expect(isIdle(s, l, 999)).toBe(false);
    expect(isIdle(s, l, 1000)).toBe(true);
  });

  it("keeps the token count when the interval changes (reconfiguration)", () => {
    const old = new BucketLimits(10, 1000, 10);
    const s = fullBucket(old, 0);
    expect(admitted(s, old, 0, 6)).toBe(6); // 4 left
    const next = new BucketLimits(60, 60000, 60);
    expect(admitted(s, next, 0, 10)).toBe(4);
    expect(s.scale).toBe(60000);
  });

  it("clamps the level when burst is lowered", () => {
    const old = new BucketLimits(100, 1000, 100);
    const s = fullBucket(old, 0);
    const next = new BucketLimits(5, 1000, 5);
    expect(admitted(s, next, 0, 20)).toBe(5);
  });

  it("rejects unusable limits with a reason", () => {
    expect(BucketLimits.check(0, 1000, 1)).not.toBeNull();
    expect(BucketLimits.check(10, 1000, 5)).not.toBeNull();
    expect(BucketLimits.check(10, 1000, 10)).toBeNull();
    expect(BucketLimits.check(1, 86400000, 1 << 40)).not.toBeNull();
  });

  it("rounds header seconds up", () => {
    expect(secondsCeil(0)).toBe(0);
    expect(secondsCeil(1)).toBe(1);
    expect(secondsCeil(1000)).toBe(1);
    expect(secondsCeil(1001)).toBe(2);
  });
});
