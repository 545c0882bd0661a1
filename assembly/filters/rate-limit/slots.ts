// A fixed key space of buckets in shared data, updated with compare-and-swap.
//
// Shared data has no delete and no expiry, so per-client keys would grow Envoy's memory forever.
// Instead a rule owns `slots` keys ("<prefix><i>"), all created at configure time (the ABI has no
// atomic create-if-absent, so creating them during traffic could lose a first update). A client key
// is hashed to 64 bits and may live in one of two slots (two-choice hashing keeps collisions rare).
// A slot records the hash of the key it holds; a slot whose bucket has refilled to full carries no
// information and is taken over by any key. Only when both candidate slots hold other, still
// non-full buckets is one evicted (the one updated least recently); its owner comes back to a full
// bucket — the documented price of the memory bound.
import { getSharedData, setSharedData, SharedValue, WasmResultValues } from "../../index";
import { BucketLimits, BucketState, TakeResult, take, fullBucket, refill } from "./bucket";

/** Bytes of one slot value: key hash, level, last refill (ms), unit scale — four u64, little-endian. */
export const SLOT_BYTES: i32 = 32;

export enum SlotOutcome {
  /** The bucket decided (see TakeResult.admitted). */
  Decided = 0,
  /** Other workers kept winning the compare-and-swap past the retry bound. */
  Contended = 1,
  /** The host refused a read or write (or a slot is missing or malformed). */
  Failed = 2,
}

/** FNV-1a 64 over the UTF-16 code units; never 0, which marks an empty slot. */
export function hashKey(key: string): u64 {
  let h: u64 = 0xcbf29ce484222325;
  const p = changetype<usize>(key);
  const n = <usize>key.length << 1;
  for (let i: usize = 0; i < n; i++) {
    h ^= <u64>load<u8>(p + i);
    h *= 0x100000001b3;
  }
  // Final avalanche so both halves of the hash spread well for the two slot choices.
  h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33;
  return h == 0 ? 1 : h;
}

// The value last read from a slot, decoded.
class SlotRead {
  ok: bool = false;
  cas: u32 = 0;
  hash: u64 = 0;
  state: BucketState = new BucketState();
}

export class SlotStore {
  /** Evictions of a non-full bucket, since the store was made (for the metric). */
  evictions: u64 = 0;
  private readonly a: SlotRead = new SlotRead();
  private readonly b: SlotRead = new SlotRead();
  private readonly out: ArrayBuffer = new ArrayBuffer(SLOT_BYTES);

  constructor(public readonly prefix: string, public readonly slots: u32) {}

  /** The shared-data key of slot i. */
  key(i: u32): string { return this.prefix + i.toString(); }

  /**
   * Creates the slots that do not exist yet (at configure time). Existing slots — live buckets from
   * before a reconfiguration — are left as they are. Returns false if the host refused a write.
   */
  ensure(): bool {
    const empty = new ArrayBuffer(SLOT_BYTES);
    for (let i: u32 = 0; i < this.slots; i++) {
      const k = this.key(i);
      if (getSharedData(k).value !== null) continue;
      if (setSharedData(k, empty, 0) != WasmResultValues.Ok) return false;
    }
    return true;
  }

  /**
   * Takes one token from the bucket of the key with hash `h`, retrying up to `maxAttempts` times when
   * another worker updated a slot in between. `out` receives the decision when the outcome is Decided.
   */
  take(h: u64, limits: BucketLimits, nowMs: u64, maxAttempts: i32, out: TakeResult): SlotOutcome {
    const first = <u32>(h % <u64>this.slots);
    const second = this.slots > 1 ? <u32>((h >> 32) % <u64>this.slots) : first;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const a = this.a;
      if (!this.read(first, a)) return SlotOutcome.Failed;
      let slot = first;
      let cur = a;
      let fresh = false;
      let evicting = false;
      if (a.hash != h) {
        const b = this.b;
        if (second == first) {
          fresh = true;
        } else {
          if (!this.read(second, b)) return SlotOutcome.Failed;
          if (b.hash == h) { slot = second; cur = b; }
          else {
            fresh = true;
            // Prefer an empty or idle slot; else evict the bucket updated least recently.
            if (!this.free(a, limits, nowMs) && (this.free(b, limits, nowMs) || b.state.lastMs < a.state.lastMs)) {
              slot = second; cur = b;
            }
          }
        }
        evicting = fresh && !this.free(cur, limits, nowMs);
      }
      const state = fresh ? fullBucket(limits, nowMs) : cur.state;
      take(state, limits, nowMs, out);
      // A rejection leaves a stored bucket as it was: its refill is a pure function of time, so the
      // write would change nothing (and would only contend with workers that are admitting).
      // (A fresh bucket is full, so it always admits and is always written.)
      if (!out.admitted) return SlotOutcome.Decided;
      const st = this.write(slot, h, state, cur.cas);
      if (st == WasmResultValues.Ok) {
        if (evicting) this.evictions++;
        return SlotOutcome.Decided;
      }
      if (st != WasmResultValues.CasMismatch) return SlotOutcome.Failed;
    }
    return SlotOutcome.Contended;
  }

  /** Empty, or full by now (so it holds nothing worth keeping). */
  private free(r: SlotRead, limits: BucketLimits, nowMs: u64): bool {
    if (r.hash == 0) return true;
    const probe = new BucketState(r.state.level, r.state.lastMs, r.state.scale);
    refill(probe, limits, nowMs);
    return probe.level >= limits.capacity;
  }

  private read(i: u32, r: SlotRead): bool {
    const v: SharedValue = getSharedData(this.key(i));
    const buf = v.value;
    // A missing slot means the configure-time creation failed; a short one is not ours. Either way
    // writing now could clobber another worker's update, so report a failure (the failure policy decides).
    if (buf === null || buf.byteLength != SLOT_BYTES) { r.ok = false; return false; }
    const p = changetype<usize>(buf);
    r.ok = true;
    r.cas = v.cas;
    r.hash = load<u64>(p);
    r.state.level = load<u64>(p, 8);
    r.state.lastMs = load<u64>(p, 16);
    r.state.scale = load<u64>(p, 24);
    return true;
  }

  private write(i: u32, h: u64, s: BucketState, cas: u32): u32 {
    const p = changetype<usize>(this.out);
    store<u64>(p, h);
    store<u64>(p, s.level, 8);
    store<u64>(p, s.lastMs, 16);
    store<u64>(p, s.scale, 24);
    return setSharedData(this.key(i), this.out, cas);
  }
}

/** Decodes a slot value (for tests and diagnostics): [hash, level, lastMs, scale], or null. */
export function decodeSlot(buf: ArrayBuffer | null): u64[] | null {
  if (buf === null || buf.byteLength != SLOT_BYTES) return null;
  const p = changetype<usize>(buf);
  return [load<u64>(p), load<u64>(p, 8), load<u64>(p, 16), load<u64>(p, 24)];
}
