// A fixed key space of buckets in shared data, updated with compare-and-swap.
//
// Shared data has no delete and no expiry, so per-client keys would grow Envoy's memory forever.
// Instead a rule owns `groups` keys ("<prefix><g>"), all created at configure time (the ABI has no
// atomic create-if-absent, so creating them during traffic could lose a first update). Each key holds
// a group of `ways` bucket entries; a client key is hashed to 64 bits and lives in the group its hash
// selects (set-associative, like a CPU cache): one read finds it, one CAS write updates it.
//
// An entry records the hash of the key it holds. An entry whose bucket has refilled to full carries
// no information and is taken over by any key (lossless). Only when every entry of the group holds
// another key's non-full bucket is one evicted — the least recently updated; its owner comes back to
// a full bucket, the documented price of the memory bound.
import { getSharedData, setSharedData, WasmResultValues } from "../../index";
import { RawShared, getSharedDataRawInto, setSharedDataRaw } from "../../sdk/rawheaders";
import { BucketLimits, BucketState, TakeResult, take, refill } from "./bucket";

/** Bytes of one entry: key hash, level, last refill (ms), unit scale — four u64, little-endian. */
export const ENTRY_BYTES: i32 = 32;
/** Entries per group for a keyed rule. */
export const WAYS: u32 = 8;

export enum SlotOutcome {
  /** The bucket decided (see TakeResult.admitted). */
  Decided = 0,
  /** Other workers kept winning the compare-and-swap past the retry bound. */
  Contended = 1,
  /** The host refused a read or write (or the group is missing or malformed). */
  Failed = 2,
}

export class SlotStore {
  /** Set by take(): it evicted another key's non-full bucket. */
  evicted: bool = false;
  private readonly state: BucketState = new BucketState();
  private readonly probe: BucketState = new BucketState();
  private readonly value: RawShared = new RawShared();
  // The UTF-8 key of the current group: the prefix, encoded once, then the group number's digits.
  private readonly keyBuf: ArrayBuffer;
  private readonly prefixLen: i32;
  // Where the host writes the group it returns (no heap allocation per read); larger groups fall back to the heap.
  private readonly landing: ArrayBuffer;

  constructor(public readonly prefix: string, public readonly groups: u32, public readonly ways: u32) {
    const p = String.UTF8.encode(prefix);
    this.prefixLen = p.byteLength;
    this.keyBuf = new ArrayBuffer(p.byteLength + 10); // + u32 digits
    this.landing = new ArrayBuffer(<i32>ways * ENTRY_BYTES * 2);
    memory.copy(changetype<usize>(this.keyBuf), changetype<usize>(p), <usize>p.byteLength);
  }

  /** Bucket capacity of the key space (groups × ways). */
  get capacity(): u32 { return this.groups * this.ways; }

  /** The shared-data key of group g. */
  key(g: u32): string { return this.prefix + g.toString(); }

  /**
   * Creates the groups that do not exist yet (at configure time). Existing groups — live buckets from
   * before a reconfiguration — are left as they are. Returns false if the host refused a write.
   */
  ensure(): bool {
    const empty = new ArrayBuffer(<i32>this.ways * ENTRY_BYTES);
    for (let g: u32 = 0; g < this.groups; g++) {
      const k = this.key(g);
      if (getSharedData(k).value !== null) continue;
      if (setSharedData(k, empty, 0) != WasmResultValues.Ok) return false;
    }
    return true;
  }

  /**
   * Takes one token from the bucket of the key with hash `h` (never 0), retrying up to `maxAttempts`
   * times when another worker updated the group in between. `out` receives the decision when the
   * outcome is Decided.
   */
  take(h: u64, limits: BucketLimits, nowMs: u64, maxAttempts: i32, out: TakeResult): SlotOutcome {
    this.evicted = false;
    const keyPtr = changetype<usize>(this.keyBuf);
    const keyLen = this.groupKey(<u32>(h % <u64>this.groups));
    const s = this.state;
    const v = this.value;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      // Read in place (no managed copy): into the landing buffer, or a host allocation released below.
      getSharedDataRawInto(keyPtr, keyLen, changetype<usize>(this.landing), <usize>this.landing.byteLength, v);
      const p = v.ptr;
      const len = <i32>v.len;
      // A missing group means the configure-time creation failed; writing now could clobber another
      // worker's update, so report a failure (the failure policy decides). A group written under
      // another width (an older configuration) is used at its own width.
      if (p == 0 || len == 0 || len % ENTRY_BYTES != 0) { v.release(); return SlotOutcome.Failed; }
      const n = len / ENTRY_BYTES;
      let at = -1;
      for (let i = 0; i < n; i++) {
        if (load<u64>(p + <usize>i * ENTRY_BYTES) == h) { at = i; break; }
      }
      const fresh = at < 0;
      let evicting = false;
      if (fresh) {
        at = this.victim(p, n, limits, nowMs);
        const e = p + <usize>at * ENTRY_BYTES;
        evicting = load<u64>(e) != 0 && !this.isFree(e, limits, nowMs);
        s.level = limits.capacity; s.lastMs = nowMs; s.scale = limits.cost; // a new key: full bucket
      } else {
        const e = p + <usize>at * ENTRY_BYTES;
        s.level = load<u64>(e, 8); s.lastMs = load<u64>(e, 16); s.scale = load<u64>(e, 24);
      }
      take(s, limits, nowMs, out);
      // A rejection leaves a stored bucket as it was: its refill is a pure function of time, so the
      // write would change nothing (and would only contend with workers that are admitting).
      // A fresh bucket is full, so it always admits and is always written.
      if (!out.admitted) { v.release(); return SlotOutcome.Decided; }
      const e = p + <usize>at * ENTRY_BYTES;
      store<u64>(e, h); store<u64>(e, s.level, 8); store<u64>(e, s.lastMs, 16); store<u64>(e, s.scale, 24);
      const st = setSharedDataRaw(keyPtr, keyLen, p, <usize>len, v.cas);
      v.release();
      if (st == WasmResultValues.Ok) { this.evicted = evicting; return SlotOutcome.Decided; }
      if (st != WasmResultValues.CasMismatch) return SlotOutcome.Failed;
    }
    return SlotOutcome.Contended;
  }

  /** Writes group g's key into keyBuf; returns its length in bytes. */
  private groupKey(g: u32): usize {
    const p = changetype<usize>(this.keyBuf) + <usize>this.prefixLen;
    let digits = 1;
    for (let x = g; x >= 10; x /= 10) digits++;
    for (let i = digits - 1, x = g; i >= 0; i--, x /= 10) store<u8>(p + <usize>i, <u8>(0x30 + x % 10));
    return <usize>(this.prefixLen + digits);
  }

  /** The entry a new key takes: the first empty or idle one, else the least recently updated. */
  private victim(p: usize, n: i32, limits: BucketLimits, nowMs: u64): i32 {
    let oldest = 0;
    let oldestMs: u64 = u64.MAX_VALUE;
    for (let i = 0; i < n; i++) {
      const e = p + <usize>i * ENTRY_BYTES;
      if (load<u64>(e) == 0 || this.isFree(e, limits, nowMs)) return i;
      const last = load<u64>(e, 16);
      if (last < oldestMs) { oldestMs = last; oldest = i; }
    }
    return oldest;
  }

  /** Full by now under the current limits, so it holds nothing worth keeping. */
  private isFree(e: usize, limits: BucketLimits, nowMs: u64): bool {
    const q = this.probe;
    q.level = load<u64>(e, 8); q.lastMs = load<u64>(e, 16); q.scale = load<u64>(e, 24);
    refill(q, limits, nowMs);
    return q.level >= limits.capacity;
  }
}

/** Decodes a group (for tests and diagnostics): entries of [hash, level, lastMs, scale]. */
export function decodeGroup(buf: ArrayBuffer | null): u64[][] {
  const out = new Array<u64[]>();
  if (buf === null || buf.byteLength % ENTRY_BYTES != 0) return out;
  const p = changetype<usize>(buf);
  for (let i = 0; i < buf.byteLength / ENTRY_BYTES; i++) {
    const e = p + <usize>i * ENTRY_BYTES;
    out.push([load<u64>(e), load<u64>(e, 8), load<u64>(e, 16), load<u64>(e, 24)]);
  }
  return out;
}
