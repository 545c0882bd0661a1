// One request as the matcher sees it. Each source's value is read at most once per request and cached
// in a slot. Request headers come from one host call per request (proxy_get_header_map_pairs, through
// the SDK's HeaderLines), so every rule over any header costs that one call, and a header sent on
// several lines is seen whole: its lines joined as HTTP combines them (RFC 9110 §5.3: ","; cookies
// "; "), never just the first line (which is all proxy_get_header_map_value returns). Values are bytes
// in one arena the view owns, derived values (a cookie, the path without its query) are ranges of the
// value they come from, so a request allocates nothing once the arena has grown. A view is reused
// across requests: reset() forgets every slot in O(1).
import { getHeader, getPropertyBytes } from "../../sdk/hostcalls";
import { HeaderMapTypeValues } from "../../sdk/types";
import { RawName, RawValue, getHeaderRawInto, getPropertyRawInto } from "../../sdk/rawheaders";
import { HeaderLines, requestLines } from "../../sdk/headerlines";

/**
 * What a view caches: a value with its own slot. The matcher's Source (source.ts) is one; defined
 * here so the view does not depend on the sources (they depend on it).
 */
export class Cached {
  /** This value's cache slot in every RequestView. */
  readonly slot: i32;
  constructor() { this.slot = slots++; }
  /** Computes the value into the view (view.result / put*); false when absent. */
  compute(view: RequestView): bool { return false; }
}

let slots = 0;
/** Number of slots handed out so far (the size of a RequestView's cache). */
export function slotCount(): i32 { return slots; }

/** Where values come from: the host by default; unit tests substitute their own. */
export class ValueProvider {
  /** A request header (lower-case name; pseudo-headers such as ":path" included), or null. */
  header(name: string): string | null { return getHeader(HeaderMapTypeValues.RequestHeaders, name); }
  /** A property's raw bytes (path segments joined by NUL), or null. */
  property(path: string): ArrayBuffer | null { return getPropertyBytes(path); }

  /** Puts header `name` into the view (view.result); false when absent. `cookie`: lines join with "; ". */
  readHeader(view: RequestView, name: string, raw: RawName, cookie: bool): bool {
    const v = this.header(name);
    if (v === null) return false;
    view.putString(v);
    return true;
  }
  /** Puts property `path` into the view (view.result); false when absent. */
  readProperty(view: RequestView, path: string, raw: RawName): bool {
    const b = this.property(path);
    if (b === null) return false;
    view.putBytes(changetype<usize>(b), b.byteLength);
    return true;
  }
}

/** The host, read without strings: values land in the view's arena. */
class HostProvider extends ValueProvider {
  readHeader(view: RequestView, name: string, raw: RawName, cookie: bool): bool { return view.putHostHeader(raw, cookie); }
  readProperty(view: RequestView, path: string, raw: RawName): bool { return view.putHostProperty(raw); }
}

const HOST_PROVIDER: ValueProvider = new HostProvider();
const MIN_ROOM: usize = 256; // free arena space offered to the host for each read

export class RequestView {
  private gen: u32 = 1;
  private seen: StaticArray<u32>;
  private offs: StaticArray<i32>; // -1: absent
  private lens: StaticArray<i32>;
  private buf: ArrayBuffer = new ArrayBuffer(1024); // managed: a discarded view frees it
  private base: usize;
  private cap: usize = 1024;
  private used: usize = 0;
  private readonly raw: RawValue = new RawValue();
  private lines: HeaderLines | null = null; // the module's shared request lines, once read in this request
  private linesState: i32 = 0; // 0: not read in this request; 1: read; -1: the host refused
  /** The value found by the latest fetch(): `len` bytes at `ptr` (valid until the next fetch). */
  ptr: usize = 0;
  len: i32 = 0;
  /** Where a source's compute() leaves its value: an arena offset and length. */
  resOff: i32 = 0;
  resLen: i32 = 0;

  /** The provider is the host: sources read through putHost* directly (no virtual call). */
  readonly direct: bool;

  constructor(public readonly provider: ValueProvider = HOST_PROVIDER) {
    this.direct = provider === HOST_PROVIDER;
    const n = slotCount();
    this.seen = new StaticArray<u32>(n);
    this.offs = new StaticArray<i32>(n);
    this.lens = new StaticArray<i32>(n);
    this.base = changetype<usize>(this.buf);
  }

  /** Forgets every cached value: call at the start of each request when reusing a view. */
  reset(): void {
    this.release();
    this.used = 0;
    this.gen++;
    if (this.gen == 0) { // wrapped after 2^32 requests: stale stamps could collide
      const seen = this.seen;
      for (let i = 0; i < seen.length; i++) unchecked(seen[i] = 0);
      this.gen = 1;
    }
  }

  /** Every request header line, read with one host call on first use in a request; null if the host refused. */
  headerLines(): HeaderLines | null {
    if (this.linesState == 0) {
      this.lines = requestLines(); // shared with the module's other readers in this callback
      this.linesState = this.lines !== null ? 1 : -1;
    }
    return this.linesState > 0 ? this.lines : null;
  }

  /** Lets go of the header lines (reset() does it too); cached values stay valid (they are copies). */
  release(): void {
    this.lines = null;
    this.linesState = 0;
  }

  /** Looks up `src` for this request (read once, then cached): true with ptr/len set, false when absent. */
  fetch(src: Cached): bool {
    const i = src.slot;
    if (i < this.seen.length && unchecked(this.seen[i]) == this.gen) {
      const off = unchecked(this.offs[i]);
      if (off < 0) return false;
      this.ptr = this.base + <usize>off;
      this.len = unchecked(this.lens[i]);
      return true;
    }
    return this.miss(src);
  }

  // First use of `src` in this request: compute and cache it.
  private miss(src: Cached): bool {
    const i = src.slot;
    if (i >= this.seen.length) this.grow();
    let off: i32 = -1, len: i32 = 0;
    if (src.compute(this)) { off = this.resOff; len = this.resLen; }
    unchecked(this.seen[i] = this.gen);
    unchecked(this.offs[i] = off);
    unchecked(this.lens[i] = len);
    if (off < 0) return false;
    this.ptr = this.base + <usize>off;
    this.len = len;
    return true;
  }

  /** The value of `src` for this request as a string (null = absent). Decodes: not for hot paths. */
  value(src: Cached): string | null {
    return this.fetch(src) ? String.UTF8.decodeUnsafe(this.ptr, <usize>this.len) : null;
  }

  /** Address of arena offset `off` (moves when the arena grows: re-derive after each put or fetch). */
  at(off: i32): usize { return this.base + <usize>off; }
  /** The latest fetch()'s value as an arena offset. */
  get off(): i32 { return <i32>(this.ptr - this.base); }

  /** Sets the result to a range of the arena (a part of an already fetched value). */
  result(off: i32, len: i32): bool {
    this.resOff = off;
    this.resLen = len;
    return true;
  }

  /** Appends `len` bytes as the result; returns their address (valid until the next put). */
  putBytes(ptr: usize, len: i32): usize {
    const dst = this.reserve(<usize>len);
    if (len > 0) memory.copy(dst, ptr, <usize>len);
    return this.commit(len);
  }

  /** Appends `s` in UTF-8 as the result. */
  putString(s: string): void {
    const n = String.UTF8.byteLength(s);
    const dst = this.reserve(<usize>n);
    if (n > 0) String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, dst);
    this.commit(n);
  }

  /** Reserves `n` bytes at the arena's end and returns their address; commit() then makes them the result. */
  reserve(n: usize): usize {
    if (this.used + n > this.cap) {
      let cap = this.cap << 1;
      while (this.used + n > cap) cap <<= 1;
      const buf = new ArrayBuffer(<i32>cap);
      memory.copy(changetype<usize>(buf), this.base, this.used);
      this.buf = buf;
      this.base = changetype<usize>(buf);
      this.cap = cap;
    }
    return this.base + this.used;
  }

  commit(n: i32): usize {
    const at = this.base + this.used;
    this.resOff = <i32>this.used;
    this.resLen = n;
    this.used += <usize>n;
    return at;
  }

  /** Puts request header `name` (every line, joined; `cookie`: with "; ") into the view; false when absent. */
  putHostHeader(name: RawName, cookie: bool): bool {
    const lines = this.headerLines();
    if (lines !== null) {
      const first = lines.find(name);
      if (first < 0) return false;
      let next = lines.find(name, first + 1);
      if (next < 0) { this.putBytes(lines.valuePtr(first), <i32>lines.valueLen(first)); return true; }
      const sep: usize = cookie ? 2 : 1;
      let total = lines.valueLen(first);
      for (let i = next; i >= 0; i = lines.find(name, i + 1)) total += sep + lines.valueLen(i);
      let at = this.reserve(total);
      memory.copy(at, lines.valuePtr(first), lines.valueLen(first));
      at += lines.valueLen(first);
      for (let i = next; i >= 0; i = lines.find(name, i + 1)) {
        store<u8>(at, cookie ? 0x3b : 0x2c);
        if (cookie) store<u8>(at + 1, 0x20);
        at += sep;
        memory.copy(at, lines.valuePtr(i), lines.valueLen(i));
        at += lines.valueLen(i);
      }
      this.commit(<i32>total);
      return true;
    }
    const dst = this.reserve(MIN_ROOM);
    const raw = this.raw;
    if (!getHeaderRawInto(HeaderMapTypeValues.RequestHeaders, name, dst, this.cap - this.used, raw)) return false;
    this.takeRaw(raw);
    return true;
  }

  putHostProperty(path: RawName): bool {
    const dst = this.reserve(MIN_ROOM);
    const raw = this.raw;
    if (!getPropertyRawInto(path, dst, this.cap - this.used, raw)) { raw.release(); return false; }
    this.takeRaw(raw);
    return true;
  }

  // In place: the bytes are already at the arena's end. Else (too long for the free space) copy them in.
  private takeRaw(raw: RawValue): void {
    const n = <i32>raw.len;
    if (raw.inPlace) this.commit(n);
    else this.putBytes(raw.ptr, n);
    raw.release();
  }

  // Slots handed out after this view was made (another plugin configured later in the same VM).
  private grow(): void {
    const n = slotCount();
    const seen = new StaticArray<u32>(n);
    const offs = new StaticArray<i32>(n);
    const lens = new StaticArray<i32>(n);
    for (let i = 0; i < this.seen.length; i++) {
      unchecked(seen[i] = this.seen[i]);
      unchecked(offs[i] = this.offs[i]);
      unchecked(lens[i] = this.lens[i]);
    }
    this.seen = seen;
    this.offs = offs;
    this.lens = lens;
  }
}
