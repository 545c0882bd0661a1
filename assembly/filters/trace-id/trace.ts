// The trace identity one request carries, independent of the header format it came in or goes out in.

/** Outcome of reading one header format. */
export enum Parse {
  /** The header is not there. */
  Absent = 0,
  /** A usable trace context was read. */
  Valid = 1,
  /** The header is there but malformed: the trace restarts (a repair). */
  Invalid = 2,
  /** Only a sampling decision, no ids (B3 `b3: 0`, `X-B3-Sampled` alone): new ids, decision kept. */
  SamplingOnly = 3,
}

/** W3C trace-flags bits (Trace Context Level 2). */
export const FLAG_SAMPLED: u8 = 0x01;
export const FLAG_RANDOM: u8 = 0x02;

export class TraceContext {
  /** 128-bit trace id, high and low halves (a 64-bit B3 id has hi = 0). */
  hi: u64 = 0;
  lo: u64 = 0;
  /** The caller's span: W3C parent-id, B3 SpanId. */
  span: u64 = 0;
  /** B3 ParentSpanId (0 = none). */
  parent: u64 = 0;
  /** W3C trace-flags as received (B3: the sampled bit only). */
  flags: u8 = 0;
  /** Sampling decision: -1 none (deferred), 0 deny, 1 accept. */
  sampled: i32 = -1;
  /** B3 debug (`d`, `X-B3-Flags: 1`): implies accept. */
  debug: bool = false;
  /** traceparent version (W3C only). */
  version: u8 = 0;

  reset(): void {
    this.hi = 0; this.lo = 0; this.span = 0; this.parent = 0;
    this.flags = 0; this.sampled = -1; this.debug = false; this.version = 0;
  }

  copyFrom(o: TraceContext): void {
    this.hi = o.hi; this.lo = o.lo; this.span = o.span; this.parent = o.parent;
    this.flags = o.flags; this.sampled = o.sampled; this.debug = o.debug; this.version = o.version;
  }
}
