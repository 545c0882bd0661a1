// Envoy's rate-limit service protocol (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit) in
// protobuf wire format: exactly the two messages the filter exchanges. RateLimitRequest is written into
// one reusable buffer (fixed parts pre-encoded at configure time); RateLimitResponse is read with every
// length and tag checked, so a malformed or hostile answer is reported as an error and never traps.
// Field numbers: envoy/service/ratelimit/v3/rls.proto, envoy/extensions/common/ratelimit/v3/ratelimit.proto,
// envoy/config/core/v3/base.proto (HeaderValue), google/protobuf/duration.proto, wrappers.proto.
import { HeaderPair, makeHeaderPair, isHeaderName, asciiLower } from "../../../index";

/** RateLimitResponse.Code. */
export const enum RlsCode { Unknown = 0, Ok = 1, OverLimit = 2 }

const WIRE_VARINT: u32 = 0;
const WIRE_FIXED64: u32 = 1;
const WIRE_LEN: u32 = 2;
const WIRE_FIXED32: u32 = 5;

/** Bytes a varint of `v` takes. */
export function varintSize(v: u64): usize {
  let n: usize = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

/** A growable byte buffer reused across requests: reset(), append, then ptr/len. */
export class ProtoWriter {
  private buf: ArrayBuffer;
  ptr: usize;
  private cap: usize;
  len: usize = 0;

  constructor(capacity: i32 = 256) {
    this.buf = new ArrayBuffer(capacity);
    this.ptr = changetype<usize>(this.buf);
    this.cap = <usize>capacity;
  }

  reset(): void { this.len = 0; }

  private ensure(n: usize): void {
    if (this.len + n <= this.cap) return;
    let cap = this.cap << 1;
    while (this.len + n > cap) cap <<= 1;
    const buf = new ArrayBuffer(<i32>cap);
    memory.copy(changetype<usize>(buf), this.ptr, this.len);
    this.buf = buf;
    this.ptr = changetype<usize>(buf);
    this.cap = cap;
  }

  byte(b: u32): void {
    this.ensure(1);
    store<u8>(this.ptr + this.len, <u8>b);
    this.len++;
  }

  varint(v: u64): void {
    this.ensure(10);
    let p = this.ptr + this.len;
    while (v >= 0x80) { store<u8>(p++, <u8>(v | 0x80)); v >>= 7; }
    store<u8>(p++, <u8>v);
    this.len = p - this.ptr;
  }

  raw(src: usize, n: usize): void {
    this.ensure(n);
    memory.copy(this.ptr + this.len, src, n);
    this.len += n;
  }

  bytes(b: ArrayBuffer): void { this.raw(changetype<usize>(b), <usize>b.byteLength); }

  /** A length-delimited field's tag and length (its body follows). */
  lenField(field: u32, n: usize): void {
    this.varint(<u64>((field << 3) | WIRE_LEN));
    this.varint(<u64>n);
  }
}

/** Field `field` as a length-delimited string, encoded once (e.g. a domain or an entry key). */
export function encodeStringField(field: u32, s: string): ArrayBuffer {
  const w = new ProtoWriter(16 + String.UTF8.byteLength(s));
  const b = String.UTF8.encode(s);
  w.lenField(field, <usize>b.byteLength);
  w.bytes(b);
  const out = new ArrayBuffer(<i32>w.len);
  memory.copy(changetype<usize>(out), w.ptr, w.len);
  return out;
}

/**
 * Writes a RateLimitRequest: begin(domain), then per descriptor beginDescriptor(), entry()…,
 * endDescriptor(), then finish(). The message is at out.ptr / out.len until the next begin().
 */
export class RequestEncoder {
  readonly out: ProtoWriter = new ProtoWriter(512);
  private readonly desc: ProtoWriter = new ProtoWriter(256);
  descriptors: i32 = 0;

  /** `domainField`: encodeStringField(1, domain). */
  begin(domainField: ArrayBuffer): void {
    this.out.reset();
    this.out.bytes(domainField);
    this.descriptors = 0;
  }

  beginDescriptor(): void { this.desc.reset(); }

  /** One Entry: `keyField` = encodeStringField(1, key); the value is `valueLen` bytes at `valuePtr`. */
  entry(keyField: ArrayBuffer, valuePtr: usize, valueLen: usize): void {
    const entryLen = <usize>keyField.byteLength + 1 + varintSize(<u64>valueLen) + valueLen;
    const d = this.desc;
    d.lenField(1, entryLen); // RateLimitDescriptor.entries
    d.bytes(keyField);
    d.lenField(2, valueLen); // Entry.value
    d.raw(valuePtr, valueLen);
  }

  /** Ends the descriptor; `hitsAddend` ≥ 0 sets its hits_addend (a UInt64Value; 0 = check, count nothing). */
  endDescriptor(hitsAddend: i64): void {
    const d = this.desc;
    if (hitsAddend == 0) {
      d.lenField(3, 0); // UInt64Value with its default value: present, and 0
    } else if (hitsAddend > 0) {
      d.lenField(3, 1 + varintSize(<u64>hitsAddend));
      d.byte(0x08); // UInt64Value.value, varint
      d.varint(<u64>hitsAddend);
    }
    this.out.lenField(2, d.len); // RateLimitRequest.descriptors
    this.out.raw(d.ptr, d.len);
    this.descriptors++;
  }

  /** `hitsAddend` > 0 sets the request's hits_addend (else the service counts 1 per descriptor). */
  finish(hitsAddend: u32): void {
    if (hitsAddend > 0) {
      this.out.byte((3 << 3) | WIRE_VARINT);
      this.out.varint(<u64>hitsAddend);
    }
  }
}

// ---------------------------------------------------------------- decoding

/** RateLimitResponse.DescriptorStatus, the fields the filter uses. */
export class DescriptorStatus {
  code: i32 = 0;
  /** current_limit.requests_per_unit (0 when the service sent no limit). */
  limit: u32 = 0;
  /** current_limit.unit (RateLimitResponse.RateLimit.Unit). */
  unit: i32 = 0;
  remaining: u32 = 0;
  /** duration_until_reset in milliseconds (0 when absent). */
  resetMs: u64 = 0;

  clear(): void { this.code = 0; this.limit = 0; this.unit = 0; this.remaining = 0; this.resetMs = 0; }
}

/** A bounds-checked cursor over a message; `bad` turns true at the first malformed byte. */
class Reader {
  pos: usize = 0;
  end: usize = 0;
  bad: bool = false;

  at(ptr: usize, len: usize): Reader { this.pos = ptr; this.end = ptr + len; this.bad = false; return this; }
  get more(): bool { return !this.bad && this.pos < this.end; }

  varint(): u64 {
    let v: u64 = 0;
    for (let shift: u64 = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) { this.bad = true; return 0; }
      const b = <u64>load<u8>(this.pos++);
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
    this.bad = true; // more than 10 bytes
    return 0;
  }

  /** A length-delimited field's body: its start, with `pos` moved past it; 0 length → `lenOut` 0. */
  lenBody(): usize {
    const n = this.varint();
    if (this.bad || n > <u64>(this.end - this.pos)) { this.bad = true; return 0; }
    const start = this.pos;
    this.lastLen = <usize>n;
    this.pos += <usize>n;
    return start;
  }
  lastLen: usize = 0;

  skip(wire: u32): void {
    if (wire == WIRE_VARINT) this.varint();
    else if (wire == WIRE_LEN) this.lenBody();
    else if (wire == WIRE_FIXED64) this.advance(8);
    else if (wire == WIRE_FIXED32) this.advance(4);
    else this.bad = true; // groups (3, 4) and unknown wire types
  }

  private advance(n: usize): void {
    if (this.end - this.pos < n) this.bad = true;
    else this.pos += n;
  }

  /** The next tag; 0 (and bad) for field number 0 or a tag that does not fit 32 bits. */
  tag(): u32 {
    const t = this.varint();
    if (t >> 3 == 0 || t > 0xffffffff) { this.bad = true; return 0; }
    return <u32>t;
  }
}

const MAX_STATUSES: i32 = 1024;
const MAX_HEADERS: i32 = 256;

/** A decoded RateLimitResponse; one object reused by every answer of a VM. */
export class RlsResponse {
  overall: i32 = 0;
  /** statuses[0 … statusCount), in the order of the request's descriptors. */
  statuses: DescriptorStatus[] = [];
  statusCount: i32 = 0;
  responseHeaders: HeaderPair[] = [];
  requestHeaders: HeaderPair[] = [];
  /** raw_body, or null when absent or empty. */
  rawBody: ArrayBuffer | null = null;
  /** Why decode() failed ("" when it succeeded). */
  problem: string = "";
  private readonly r: Reader = new Reader();
  private readonly inner: Reader = new Reader();
  private readonly deep: Reader = new Reader();

  /** Decodes `len` bytes at `ptr`. False (with `problem`) when the message is malformed. */
  decode(ptr: usize, len: usize): bool {
    this.overall = 0;
    this.statusCount = 0;
    this.responseHeaders.length = 0;
    this.requestHeaders.length = 0;
    this.rawBody = null;
    this.problem = "";
    const r = this.r.at(ptr, len);
    while (r.more) {
      const tag = r.tag();
      if (r.bad) break;
      const field = tag >> 3, wire = tag & 7;
      if (field == 1 && wire == WIRE_VARINT) this.overall = <i32>r.varint();
      else if (field == 2 && wire == WIRE_LEN) {
        const at = r.lenBody();
        if (r.bad) break;
        if (this.statusCount >= MAX_STATUSES) return this.fail("more than " + MAX_STATUSES.toString() + " statuses");
        if (!this.status(at, r.lastLen)) return this.fail("malformed descriptor status");
      } else if ((field == 3 || field == 4) && wire == WIRE_LEN) {
        const at = r.lenBody();
        if (r.bad) break;
        const list = field == 3 ? this.responseHeaders : this.requestHeaders;
        if (list.length >= MAX_HEADERS) return this.fail("more than " + MAX_HEADERS.toString() + " headers");
        if (!this.header(at, r.lastLen, list)) return this.fail("malformed header");
      } else if (field == 5 && wire == WIRE_LEN) {
        const at = r.lenBody();
        if (r.bad) break;
        const n = r.lastLen;
        if (n > 0) {
          const b = new ArrayBuffer(<i32>n);
          memory.copy(changetype<usize>(b), at, n);
          this.rawBody = b;
        }
      } else r.skip(wire);
    }
    if (r.bad) return this.fail("truncated or malformed message");
    return true;
  }

  private fail(why: string): bool { this.problem = why; return false; }

  private status(ptr: usize, len: usize): bool {
    while (this.statuses.length <= this.statusCount) this.statuses.push(new DescriptorStatus());
    const st = unchecked(this.statuses[this.statusCount]);
    st.clear();
    const r = this.inner.at(ptr, len);
    while (r.more) {
      const tag = r.tag();
      if (r.bad) break;
      const field = tag >> 3, wire = tag & 7;
      if (field == 1 && wire == WIRE_VARINT) st.code = <i32>r.varint();
      else if (field == 3 && wire == WIRE_VARINT) st.remaining = <u32>r.varint();
      else if ((field == 2 || field == 4) && wire == WIRE_LEN) {
        const at = r.lenBody();
        if (r.bad) break;
        const d = this.deep.at(at, r.lastLen);
        if (field == 2) readLimit(d, st); else readDuration(d, st);
        if (d.bad) return false;
      } else r.skip(wire);
    }
    if (r.bad) return false;
    this.statusCount++;
    return true;
  }

  private header(ptr: usize, len: usize, list: HeaderPair[]): bool {
    const r = this.inner.at(ptr, len);
    let key = "", value = "";
    let raw: ArrayBuffer | null = null;
    while (r.more) {
      const tag = r.tag();
      if (r.bad) break;
      const field = tag >> 3, wire = tag & 7;
      if ((field == 1 || field == 2 || field == 3) && wire == WIRE_LEN) {
        const at = r.lenBody();
        if (r.bad) break;
        if (field == 3) {
          const b = new ArrayBuffer(<i32>r.lastLen);
          memory.copy(changetype<usize>(b), at, r.lastLen);
          raw = b;
        } else {
          const s = String.UTF8.decodeUnsafe(at, r.lastLen);
          if (field == 1) key = s; else value = s;
        }
      } else r.skip(wire);
    }
    if (r.bad) return false;
    // raw_value, when set, is the value (HeaderValue's newer form).
    if (raw !== null) value = String.UTF8.decode(raw);
    // A header Envoy could not carry is dropped, not forwarded.
    if (isHeaderName(key) && isHeaderValue(value)) list.push(makeHeaderPair(asciiLower(key), value));
    return true;
  }
}

function readLimit(d: Reader, st: DescriptorStatus): void {
  while (d.more) {
    const tag = d.tag();
    if (d.bad) return;
    const field = tag >> 3, wire = tag & 7;
    if (field == 1 && wire == WIRE_VARINT) st.limit = <u32>d.varint();
    else if (field == 2 && wire == WIRE_VARINT) st.unit = <i32>d.varint();
    else d.skip(wire);
  }
}

function readDuration(d: Reader, st: DescriptorStatus): void {
  let seconds: i64 = 0, nanos: i64 = 0;
  while (d.more) {
    const tag = d.tag();
    if (d.bad) return;
    const field = tag >> 3, wire = tag & 7;
    if (field == 1 && wire == WIRE_VARINT) seconds = <i64>d.varint();
    else if (field == 2 && wire == WIRE_VARINT) nanos = <i64><i32>d.varint();
    else d.skip(wire);
  }
  // Negative or absurd durations (over ~31 years) are clamped: they only shape retry-after.
  if (seconds < 0 || (seconds == 0 && nanos <= 0)) { st.resetMs = 0; return; }
  if (seconds > 1000000000) seconds = 1000000000;
  st.resetMs = <u64>seconds * 1000 + <u64>(nanos > 0 ? (nanos + 999999) / 1000000 : 0);
}

/** A value Envoy accepts in a header: no NUL, CR or LF. */
function isHeaderValue(v: string): bool {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c == 0 || c == 0x0a || c == 0x0d) return false;
  }
  return true;
}
