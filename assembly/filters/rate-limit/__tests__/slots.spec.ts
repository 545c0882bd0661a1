import { getSharedData, setSharedData } from "../../../sdk/shared";
export { allocate as proxy_on_memory_allocate } from "../../../sdk/memory";
import { BucketLimits, TakeResult } from "../bucket";
import { SlotStore, SlotOutcome, hashKey, decodeSlot } from "../slots";

const out = new TakeResult();

function admit(store: SlotStore, key: string, l: BucketLimits, now: u64): bool {
  const o = store.take(hashKey(key), l, now, 4, out);
  expect(o).toBe(SlotOutcome.Decided);
  return out.admitted;
}

describe("slot store", () => {
  it("creates every slot once and keeps live buckets on a second ensure", () => {
    const s = new SlotStore("spec/ensure/", 8);
    expect(s.ensure()).toBe(true);
    for (let i: u32 = 0; i < 8; i++) expect(getSharedData(s.key(i)).value).not.toBeNull();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "k", l, 100)).toBe(true);
    expect(s.ensure()).toBe(true);
    expect(admit(s, "k", l, 100)).toBe(false);
  });

  it("keeps a bucket per key and admits burst per key", () => {
    const s = new SlotStore("spec/keys/", 64);
    s.ensure();
    const l = new BucketLimits(2, 1000, 2);
    for (let k = 0; k < 10; k++) {
      const key = "client-" + k.toString();
      expect(admit(s, key, l, 0)).toBe(true);
      expect(admit(s, key, l, 0)).toBe(true);
      expect(admit(s, key, l, 0)).toBe(false);
    }
  });

  it("does not write on rejection", () => {
    const s = new SlotStore("spec/nowrite/", 1);
    s.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "x", l, 0)).toBe(true);
    const before = getSharedData(s.key(0));
    expect(admit(s, "x", l, 10)).toBe(false);
    expect(getSharedData(s.key(0)).cas).toBe(before.cas);
  });

  it("lets a new key take over an idle slot without counting an eviction", () => {
    const s = new SlotStore("spec/idle/", 1);
    s.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "a", l, 0)).toBe(true);
    expect(admit(s, "b", l, 1000)).toBe(true); // a is full again by now
    expect(s.evictions).toBe(0);
    const v = decodeSlot(getSharedData(s.key(0)).value);
    expect((<u64[]>v)[0]).toBe(hashKey("b"));
  });

  it("evicts a non-full bucket only when both choices are taken, and counts it", () => {
    const s = new SlotStore("spec/evict/", 1);
    s.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "a", l, 0)).toBe(true);
    expect(admit(s, "b", l, 10)).toBe(true); // one slot only: a is evicted
    expect(s.evictions).toBe(1);
    expect(admit(s, "b", l, 20)).toBe(false);
  });

  it("never uses more than its slots, whatever the number of keys", () => {
    const s = new SlotStore("spec/bound/", 16);
    s.ensure();
    const l = new BucketLimits(1, 60000, 1);
    for (let k = 0; k < 2000; k++) admit(s, "c" + k.toString(), l, <u64>k);
    expect(getSharedData(s.key(16)).value).toBeNull();
    expect(s.evictions).toBeGreaterThan(0);
  });

  it("reports a missing or malformed slot as a failure, never writing it", () => {
    const s = new SlotStore("spec/missing/", 4);
    const l = new BucketLimits(1, 1000, 1);
    expect(s.take(hashKey("k"), l, 0, 4, out)).toBe(SlotOutcome.Failed);
    setSharedData(s.key(0), new ArrayBuffer(3), 0);
    setSharedData(s.key(1), new ArrayBuffer(3), 0);
    setSharedData(s.key(2), new ArrayBuffer(3), 0);
    setSharedData(s.key(3), new ArrayBuffer(3), 0);
    expect(s.take(hashKey("k"), l, 0, 4, out)).toBe(SlotOutcome.Failed);
  });

  it("hashes distinct keys apart and never to 0", () => {
    expect(hashKey("a")).not.toBe(hashKey("b"));
    expect(hashKey("")).not.toBe(0);
  });
});
