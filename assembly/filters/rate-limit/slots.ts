// A fixed key space of buckets in shared data, updated with compare-and-swap.
//
// Shared data has no delete and no expiry, so per-client keys would grow Envoy's memory forever.
// Instead a rule owns `groups` keys ("<prefix><g>"), all created at configure time (the ABI has no
// atomic create-if-absent, so creating them during traffic could lose a first update). Each key holds
// a group of `ways` bucket entries; a client key is hashed to 64 bits and lives in the group its hash
// selects (set-associative, like a CPU cache): one read finds it, one CAS write updates it.
//
// An entry records the hash of the key it holds and how often it was used. An entry whose bucket has
// refilled to full carries no information and is taken over by any key (lossless). Only when every
// entry of the group holds another key's non-full bucket is one evicted: the least used, then the
// least recently used. Every request counts as a use — rejections too, since a bucket that is
// rejecting someone is exactly the one whose eviction would hand out tokens. A new key starts with
// the use count a small frequency sketch of the group remembers for its hash (a count-min row, aged
// by halving), so a client that was evicted once comes back with its history and is not the first
// to go again: a flood of one-off keys cannot keep a limited client cycling through fresh buckets.
import { getSharedData, setSharedData, WasmResultValues } from "../../index";
import { RawShared, getSharedDataRawInto, setSharedDataRaw } from "../../sdk/rawheaders";
import { BucketLimits, BucketState, TakeResult, take, refill } from "./bucket";

/**
 * Bytes of one entry: key hash, level, last refill (ms), and unit scale (low 48 bits) with the use
 * count (high 16 bits) — four u64, little-endian.
 */
export const ENTRY_BYTES: i32 = 32;
/** Entries per group for a keyed rule. */
export const WAYS: u32 = 8;
/** Marks the block after a keyed group's entries: the group's frequency sketch (never a key hash). */
export const SKETCH_MAGIC: u64 = 0x736b657463680001;
/** Counters in the sketch block: u64 magic, u32 increments since the last halving, then u8 counters. */
const SKETCH_CELLS: u32 = 20;
/** Increments between two halvings of the sketch: its memory spans a few turns of a group. */
const SKETCH_AGE: u32 = 64;
const SCALE_MASK: u64 = 0x0000ffffffffffff;
const MAX_USES: u64 = 0xffff;
/**
 * Past this many uses a bucket outranks any newcomer (whose sketch estimate is at most 255), so a
 * rejection is written back at most once per millisecond: a flood of rejections on one hot key does
 * not turn into a flood of writes contending with the other keys of its group.
 */
const SETTLED_USES: u64 = 1024;

// @ts-ignore: decorator
@inline function usesOf(word: u64): u64 { return word >> 48; }

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
    const sketch = this.ways > 1;
    const empty = new ArrayBuffer((<i32>this.ways + (sketch ? 1 : 0)) * ENTRY_BYTES);
    if (sketch) store<u64>(changetype<usize>(empty) + <usize>this.ways * ENTRY_BYTES, SKETCH_MAGIC);
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
      let n = len / ENTRY_BYTES;
      let sketch: usize = 0;
      if (n > 1 && load<u64>(p + <usize>(n - 1) * ENTRY_BYTES) == SKETCH_MAGIC) { n--; sketch = p + <usize>n * ENTRY_BYTES; }
      let at = -1;
      for (let i = 0; i < n; i++) {
        if (load<u64>(p + <usize>i * ENTRY_BYTES) == h) { at = i; break; }
      }
      const seen: u64 = sketch ? countUse(sketch, h) : 1;
      const fresh = at < 0;
      let evicting = false;
      let uses: u64;
      if (fresh) {
        at = this.victim(p, n, limits, nowMs);
        const e = p + <usize>at * ENTRY_BYTES;
        evicting = load<u64>(e) != 0 && !this.isFree(e, limits, nowMs);
        s.level = limits.capacity; s.lastMs = nowMs; s.scale = limits.cost; // a new key: full bucket
        uses = seen;
      } else {
        const e = p + <usize>at * ENTRY_BYTES;
        const w = load<u64>(e, 24);
        s.level = load<u64>(e, 8); s.lastMs = load<u64>(e, 16); s.scale = w & SCALE_MASK;
        uses = usesOf(w) + 1;
      }
      if (uses > MAX_USES) uses = MAX_USES;
      const settled = !fresh && uses > SETTLED_USES && nowMs <= s.lastMs;
      take(s, limits, nowMs, out);
      if (settled && !out.admitted) { v.release(); return SlotOutcome.Decided; } // nothing worth a write
      // Admitted or not, the bucket is written back: refilled to now (refill is a pure function of
      // time, so this changes no decision) with one more use — a bucket that keeps rejecting its
      // client stays the most used, never the one evicted.
      const e = p + <usize>at * ENTRY_BYTES;
      store<u64>(e, h); store<u64>(e, s.level, 8); store<u64>(e, s.lastMs, 16); store<u64>(e, s.scale | (uses << 48), 24);
      const st = setSharedDataRaw(keyPtr, keyLen, p, <usize>len, v.cas);
      v.release();
      if (st == WasmResultValues.Ok) { this.evicted = evicting; return SlotOutcome.Decided; }
      // Another worker wrote first. A rejection stands (that write could only have taken tokens, or
      // evicted this key — then rejecting is the conservative answer); an admission is retried.
      if (st == WasmResultValues.CasMismatch && !out.admitted) return SlotOutcome.Decided;
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

  /** The entry a new key takes: the first empty or idle one, else the least used, then least recently updated. */
  private victim(p: usize, n: i32, limits: BucketLimits, nowMs: u64): i32 {
    let best = 0;
    let bestUses: u64 = u64.MAX_VALUE;
    let bestMs: u64 = u64.MAX_VALUE;
    for (let i = 0; i < n; i++) {
      const e = p + <usize>i * ENTRY_BYTES;
      if (load<u64>(e) == 0 || this.isFree(e, limits, nowMs)) return i;
      const uses = usesOf(load<u64>(e, 24));
      const last = load<u64>(e, 16);
      if (uses < bestUses || (uses == bestUses && last < bestMs)) { bestUses = uses; bestMs = last; best = i; }
    }
    return best;
  }

  /** Full by now under the current limits, so it holds nothing worth keeping. */
  private isFree(e: usize, limits: BucketLimits, nowMs: u64): bool {
    const q = this.probe;
    q.level = load<u64>(e, 8); q.lastMs = load<u64>(e, 16); q.scale = load<u64>(e, 24) & SCALE_MASK;
    refill(q, limits, nowMs);
    return q.level >= limits.capacity;
  }
}

/**
 * Counts one use of hash `h` in the sketch block at `sk` and returns its estimate (≥ 1): the
 * counter of its cell, halving every counter each SKETCH_AGE uses so old traffic fades.
 */
function countUse(sk: usize, h: u64): u64 {
  const cells = sk + 12;
  const cell = cells + <usize>(<u32>(h >> 40) % SKETCH_CELLS);
  let c = load<u8>(cell);
  if (c < 255) store<u8>(cell, ++c);
  const total = load<u32>(sk, 8) + 1;
  if (total >= SKETCH_AGE) {
    for (let i: u32 = 0; i < SKETCH_CELLS; i++) store<u8>(cells + <usize>i, load<u8>(cells + <usize>i) >> 1);
    store<u32>(sk, 0, 8);
  } else store<u32>(sk, total, 8);
  return c > 0 ? <u64>c : 1;
}

/** Decodes a group (for tests and diagnostics): entries of [hash, level, lastMs, scale, uses]; the sketch is left out. */
export function decodeGroup(buf: ArrayBuffer | null): u64[][] {
  const out = new Array<u64[]>();
  if (buf === null || buf.byteLength % ENTRY_BYTES != 0) return out;
  const p = changetype<usize>(buf);
  let n = buf.byteLength / ENTRY_BYTES;
  if (n > 1 && load<u64>(p + <usize>(n - 1) * ENTRY_BYTES) == SKETCH_MAGIC) n--;
  for (let i = 0; i < n; i++) {
    const e = p + <usize>i * ENTRY_BYTES;
    const w = load<u64>(e, 24);
    out.push([load<u64>(e), load<u64>(e, 8), load<u64>(e, 16), w & SCALE_MASK, usesOf(w)]);
  }
  return out;
}
