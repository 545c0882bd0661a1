// The request's trace headers, found in one pass over every header line: the whole map comes from one
// host call (HeaderLines), so repeated lines are seen (Envoy's get returns only the first) and no
// header costs a host call of its own. Names are compared as bytes; nothing is allocated per request.
import { HeaderLines } from "../../sdk/headerlines";
import { RawName } from "../../sdk/rawheaders";

/** The headers the filter reads, by slot (the request-id header's name is configured). */
export const TRACEPARENT = 0;
export const TRACESTATE = 1;
export const B3 = 2;
export const B3_TRACE_ID = 3;
export const B3_SPAN_ID = 4;
export const B3_PARENT_SPAN_ID = 5;
export const B3_SAMPLED = 6;
export const B3_FLAGS = 7;
export const REQUEST_ID = 8;
const SLOTS = 9;

export const NAMES: StaticArray<RawName> = [
  new RawName("traceparent"), new RawName("tracestate"), new RawName("b3"),
  new RawName("x-b3-traceid"), new RawName("x-b3-spanid"), new RawName("x-b3-parentspanid"),
  new RawName("x-b3-sampled"), new RawName("x-b3-flags"),
];

export class TraceHeaders {
  /** The watched slots and their names (set once, at configure time). */
  private slots: StaticArray<i32>;
  private namePtr: StaticArray<usize>;
  private nameLen: StaticArray<usize>;
  /** Per slot: the first line's index and how many lines carry that name. */
  private firstLine: StaticArray<i32> = new StaticArray<i32>(SLOTS);
  private lineCount: StaticArray<i32> = new StaticArray<i32>(SLOTS);
  private names: StaticArray<RawName | null> = new StaticArray<RawName | null>(SLOTS);
  /** Bit n set when a watched name is n bytes long (n < 64; longer names always go to the compare). */
  private lengths: u64 = 0;

  /** Watches the W3C, B3 and B3-multi names as asked, and the request-id header when not null. */
  constructor(w3c: bool, b3: bool, b3multi: bool, requestId: RawName | null) {
    const watched = new Array<i32>();
    if (w3c) { watched.push(TRACEPARENT); watched.push(TRACESTATE); }
    if (b3) watched.push(B3);
    if (b3multi) for (let s = B3_TRACE_ID; s <= B3_FLAGS; s++) watched.push(s);
    if (requestId !== null) watched.push(REQUEST_ID);
    const n = watched.length;
    this.slots = new StaticArray<i32>(n);
    this.namePtr = new StaticArray<usize>(n);
    this.nameLen = new StaticArray<usize>(n);
    for (let i = 0; i < n; i++) {
      const slot = watched[i];
      const name = slot == REQUEST_ID ? <RawName>requestId : NAMES[slot];
      this.slots[i] = slot;
      this.namePtr[i] = name.ptr;
      this.nameLen[i] = name.len;
      this.names[slot] = name;
      this.lengths |= name.len < 64 ? <u64>1 << <u64>name.len : 0;
    }
  }

  /** Records where each watched header is in `lines`: one pass, a length check before any byte compare. */
  scan(lines: HeaderLines): void {
    const first = this.firstLine, count = this.lineCount;
    memory.fill(changetype<usize>(first), 0xff, SLOTS * sizeof<i32>()); // -1: absent
    memory.fill(changetype<usize>(count), 0, SLOTS * sizeof<i32>());
    const n = this.slots.length;
    const size = lines.size;
    const lengths = this.lengths;
    for (let i = 0; i < size; i++) {
      const len = lines.nameLen(i);
      // Most lines (pseudo-headers, user-agent, accept, …) have no watched length: one bit test.
      if (len < 64 && (lengths & (<u64>1 << <u64>len)) == 0) continue;
      const name = lines.namePtr(i);
      const c0 = load<u8>(name);
      for (let k = 0; k < n; k++) {
        const w = unchecked(this.namePtr[k]);
        if (unchecked(this.nameLen[k]) != len || load<u8>(w) != c0 || memory.compare(name, w, len) != 0) continue;
        const slot = unchecked(this.slots[k]);
        if (unchecked(count[slot]) == 0) unchecked(first[slot] = i);
        unchecked(count[slot] = count[slot] + 1);
        break;
      }
    }
  }

  /** How many lines carry the slot's header (0 when absent or not watched). */
  count(slot: i32): i32 { return unchecked(this.lineCount[slot]); }
  /** Index of the slot's first line (-1 when absent). */
  first(slot: i32): i32 { return unchecked(this.firstLine[slot]); }
  /** The name watched in `slot` (null when not watched). */
  name(slot: i32): RawName | null { return unchecked(this.names[slot]); }
}
