// Token-bucket maths in exact integer units, refilled lazily from the time of the last update.
//
// A bucket holds `burst` tokens and gains `tokens` every `intervalMs`. Measuring the level in units of
// 1/intervalMs token makes every step an integer: one millisecond adds `tokens` units, one request costs
// `intervalMs` units, and a full bucket holds `burst * intervalMs` units. No rounding drifts, so a bucket
// shared by several workers admits exactly what a single bucket would.
//
// Refill is a pure function of the elapsed time, so nothing has to run between requests (no tick, no
// stale-config refills), and a bucket that has refilled to full is indistinguishable from a new one —
// which is what lets the slot store evict idle buckets without losing anything.

/** The most units a bucket may hold: keeps every product below 2^63. */
export const MAX_UNITS: u64 = 1 << 62;

/** A rule's limit, with the derived unit constants computed once at configure time. */
export class BucketLimits {
  /** Units added per millisecond. */
  readonly rate: u64;
  /** Units one request costs (= intervalMs). */
  readonly cost: u64;
  /** Units in a full bucket. */
  readonly capacity: u64;

  constructor(public readonly tokens: u64, public readonly intervalMs: u64, public readonly burst: u64) {
    this.rate = tokens;
    this.cost = intervalMs;
    this.capacity = burst * intervalMs;
  }

  /** Null when the limit is usable, else the reason (for configuration errors). */
  static check(tokens: u64, intervalMs: u64, burst: u64): string | null {
    if (tokens == 0) return "must be at least 1";
    if (intervalMs == 0) return "interval must be positive";
    if (burst < tokens) return "burst (" + burst.toString() + ") must be at least tokens (" + tokens.toString() + ")";
    if (burst > MAX_UNITS / intervalMs) return "burst × interval is too large (at most 2^62 token-milliseconds)";
    return null;
  }
}

/** A bucket's state: level in units, time of the last refill, and the unit scale the level is in. */
export class BucketState {
  constructor(public level: u64 = 0, public lastMs: u64 = 0, public scale: u64 = 0) {}
}

/** What one request did to a bucket. Times are in milliseconds. */
export class TakeResult {
  admitted: bool = false;
  /** Whole tokens left after this request. */
  remaining: u64 = 0;
  /** Until the bucket is full again. */
  resetMs: u64 = 0;
  /** Until one token is available (0 when admitted). */
  retryMs: u64 = 0;
  /** The state changed and must be written back. */
  changed: bool = false;
}

/** Ceiling of a / b for b > 0. */
// @ts-ignore: decorator
@inline function ceilDiv(a: u64, b: u64): u64 { return a == 0 ? 0 : (a - 1) / b + 1; }

/**
 * Brings `s` up to `nowMs` under `limits`: converts a level written under another interval (a
 * reconfiguration) and adds the refill since `lastMs`, capped at full. A clock reading behind
 * `lastMs` — another worker read the clock a moment later and wrote first — adds nothing and keeps
 * `lastMs`, so time is never counted twice. Returns true when `s` changed.
 */
export function refill(s: BucketState, limits: BucketLimits, nowMs: u64): bool {
  let changed = false;
  if (s.scale != limits.cost) {
    // Same number of tokens, expressed in the new unit (1/interval token).
    const old = s.scale == 0 ? limits.cost : s.scale;
    const whole = s.level / old;
    const part = s.level % old;
    let level: u64 = whole > limits.capacity / limits.cost ? limits.capacity : whole * limits.cost + part * limits.cost / old;
    s.level = level > limits.capacity ? limits.capacity : level;
    s.scale = limits.cost;
    changed = true;
  } else if (s.level > limits.capacity) {
    s.level = limits.capacity; // burst lowered by a reconfiguration
    changed = true;
  }
  if (nowMs > s.lastMs) {
    const elapsed = nowMs - s.lastMs;
    const need = limits.capacity - s.level;
    // Compare before multiplying so a long idle time cannot overflow.
    if (need == 0 || elapsed >= ceilDiv(need, limits.rate)) s.level = limits.capacity;
    else s.level += elapsed * limits.rate;
    s.lastMs = nowMs;
    changed = true;
  }
  return changed;
}

/** True when the bucket would be full at `nowMs`: it carries no information and may be reused. */
export function isIdle(s: BucketState, limits: BucketLimits, nowMs: u64): bool {
  const probe = new BucketState(s.level, s.lastMs, s.scale);
  refill(probe, limits, nowMs);
  return probe.level >= limits.capacity;
}

/** Refills, then takes one token if there is one. `out` is overwritten. */
export function take(s: BucketState, limits: BucketLimits, nowMs: u64, out: TakeResult): TakeResult {
  out.changed = refill(s, limits, nowMs);
  if (s.level >= limits.cost) {
    s.level -= limits.cost;
    out.admitted = true;
    out.retryMs = 0;
    out.changed = true;
  } else {
    out.admitted = false;
    out.retryMs = ceilDiv(limits.cost - s.level, limits.rate);
  }
  out.remaining = s.level / limits.cost;
  out.resetMs = ceilDiv(limits.capacity - s.level, limits.rate);
  return out;
}

/** A new client's bucket: full. */
export function fullBucket(limits: BucketLimits, nowMs: u64): BucketState {
  return new BucketState(limits.capacity, nowMs, limits.cost);
}

/** Milliseconds → whole seconds, rounded up (HTTP headers count in seconds). */
export function secondsCeil(ms: u64): u64 { return ceilDiv(ms, 1000); }
