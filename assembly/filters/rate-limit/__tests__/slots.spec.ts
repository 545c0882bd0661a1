import { getSharedData, setSharedData } from "../../../sdk/shared";
export { allocate as proxy_on_memory_allocate } from "../../../sdk/memory";
import { fnv1a64, fmix64 } from "../../common";
import { BucketLimits, TakeResult } from "../bucket";
import { SlotStore, SlotOutcome, decodeGroup, ENTRY_BYTES } from "../slots";

const out = new TakeResult();

function hashOf(key: string): u64 { const h = fmix64(fnv1a64(key)); return h == 0 ? 1 : h; }

function admit(store: SlotStore, key: string, l: BucketLimits, now: u64): bool {
  const o = store.take(hashOf(key), l, now, 4, out);
  expect(o).toBe(SlotOutcome.Decided);
  return out.admitted;
}

describe("slot store", () => {
  it("creates every group once and keeps live buckets on a second ensure", () => {
    const s = new SlotStore("spec/ensure/", 4, 8);
    expect(s.capacity).toBe(32);
    expect(s.ensure()).toBe(true);
    for (let g: u32 = 0; g < 4; g++) expect(getSharedData(s.key(g)).value!.byteLength).toBe(8 * ENTRY_BYTES);
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "k", l, 100)).toBe(true);
    expect(s.ensure()).toBe(true);
    expect(admit(s, "k", l, 100)).toBe(false);
  });

  it("keeps a bucket per key and admits burst per key", () => {
    const s = new SlotStore("spec/keys/", 8, 8);
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
    const s = new SlotStore("spec/nowrite/", 1, 1);
    s.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "x", l, 0)).toBe(true);
    const before = getSharedData(s.key(0));
    expect(admit(s, "x", l, 10)).toBe(false);
    expect(getSharedData(s.key(0)).cas).toBe(before.cas);
  });

  it("lets a new key take over an idle entry without an eviction", () => {
    const s = new SlotStore("spec/idle/", 1, 1);
    s.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "a", l, 0)).toBe(true);
    expect(admit(s, "b", l, 1000)).toBe(true); // a is full again by now
    expect(s.evicted).toBe(false);
    const entries = decodeGroup(getSharedData(s.key(0)).value);
    expect(entries[0][0]).toBe(hashOf("b"));
  });

  it("evicts the least recently updated non-full bucket only when the group is full", () => {
    const s = new SlotStore("spec/evict/", 1, 2);
    s.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(s, "a", l, 0)).toBe(true);
    expect(admit(s, "b", l, 10)).toBe(true);
    expect(s.evicted).toBe(false);
    expect(admit(s, "c", l, 20)).toBe(true); // evicts a (updated at 0)
    expect(s.evicted).toBe(true);
    expect(admit(s, "b", l, 30)).toBe(false); // b kept its bucket
    expect(admit(s, "c", l, 30)).toBe(false);
    expect(admit(s, "a", l, 40)).toBe(true); // a comes back to a full bucket (evicting b)
  });

  it("never uses more keys than its groups, whatever the number of clients", () => {
    const s = new SlotStore("spec/bound/", 4, 8);
    s.ensure();
    const l = new BucketLimits(1, 60000, 1);
    let evictions = 0;
    for (let k = 0; k < 2000; k++) {
      admit(s, "c" + k.toString(), l, <u64>k);
      if (s.evicted) evictions++;
    }
    expect(getSharedData(s.key(4)).value).toBeNull();
    expect(evictions).toBe(2000 - 32);
  });

  it("reads a group written under another width (a reconfiguration)", () => {
    const old = new SlotStore("spec/width/", 1, 2);
    old.ensure();
    const l = new BucketLimits(1, 1000, 1);
    expect(admit(old, "a", l, 0)).toBe(true);
    const now = new SlotStore("spec/width/", 1, 8);
    now.ensure();
    expect(admit(now, "a", l, 10)).toBe(false);
    expect(getSharedData(now.key(0)).value!.byteLength).toBe(2 * ENTRY_BYTES);
  });

  it("reports a missing or malformed group as a failure, never writing it", () => {
    const s = new SlotStore("spec/missing/", 2, 8);
    const l = new BucketLimits(1, 1000, 1);
    expect(s.take(hashOf("k"), l, 0, 4, out)).toBe(SlotOutcome.Failed);
    expect(getSharedData(s.key(0)).value).toBeNull();
    expect(getSharedData(s.key(1)).value).toBeNull();
    setSharedData(s.key(0), new ArrayBuffer(3), 0);
    setSharedData(s.key(1), new ArrayBuffer(3), 0);
    expect(s.take(hashOf("k"), l, 0, 4, out)).toBe(SlotOutcome.Failed);
  });
});
