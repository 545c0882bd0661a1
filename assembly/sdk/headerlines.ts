// Every line of a header map, read with one host call. Envoy's proxy_get_header_map_value returns only
// the first line of a repeated header (Envoy's own comment calls this a potential security issue: a route
// may match the second line while a filter reads the first), so a filter that must see every line —
// routing headers, `traceparent`, `baggage` — reads the whole map once with proxy_get_header_map_pairs
// and looks lines up here. Lookups compare bytes: no strings are built, nothing is allocated per request
// once the tables have grown to the largest map seen.
import * as imp from "./imports";
import { OUT_PTR, OUT_LEN, receiveInto, receivedInPlace } from "./memory";
import { RawName } from "./rawheaders";
import { WasmResultValues } from "./types";

/** The lines of one header map, in the order the host keeps them (Envoy: pseudo-headers first). */
export class HeaderLines {
  private buf: usize = 0;
  private bufLen: usize = 0;
  private count: i32 = 0;
  // Where the host writes the map (no heap.alloc/free per request); grows to the largest map seen.
  private land: ArrayBuffer = new ArrayBuffer(1024);
  private landed: bool = false;
  // Per line: name offset, name length, value offset, value length (absolute addresses).
  private table: StaticArray<u32> = new StaticArray<u32>(64 * 4);

  /** Reads the map (one host call). False when the host refused (map not available in this callback). */
  load(mapType: u32): bool {
    this.release();
    store<u64>(OUT_PTR, 0);
    store<u64>(OUT_LEN, 0);
    receiveInto(changetype<usize>(this.land), <usize>this.land.byteLength);
    const ok = imp.proxy_get_header_map_pairs(mapType, OUT_PTR, OUT_LEN) == WasmResultValues.Ok;
    this.buf = load<usize>(OUT_PTR);
    this.landed = receivedInPlace(this.buf);
    if (!ok) { this.release(); return false; }
    this.bufLen = load<usize>(OUT_LEN);
    // Larger than the landing area: it came from the heap; next time a map this size lands in place.
    if (!this.landed && <i32>this.bufLen > this.land.byteLength) this.land = new ArrayBuffer(<i32>this.bufLen);
    this.index();
    return true;
  }

  /** Frees the host's buffer when it is not the landing area (load() does it too). */
  release(): void {
    if (this.buf != 0 && !this.landed) heap.free(this.buf);
    this.buf = 0;
    this.landed = false;
    this.bufLen = 0;
    this.count = 0;
  }

  /** How many lines the map has. */
  get size(): i32 { return this.count; }

  /** Index of the first line named `name` at or after `from`, or -1. Names in Envoy's maps are lower case. */
  find(name: RawName, from: i32 = 0): i32 {
    const t = this.table;
    const n = <u32>name.len;
    for (let i = from; i < this.count; i++) {
      const at = i << 2;
      if (unchecked(t[at + 1]) == n && memory.compare(<usize>unchecked(t[at]), name.ptr, n) == 0) return i;
    }
    return -1;
  }

  /** How many lines are named `name`. */
  countOf(name: RawName): i32 {
    let c = 0;
    for (let i = this.find(name); i >= 0; i = this.find(name, i + 1)) c++;
    return c;
  }

  namePtr(i: i32): usize { return <usize>unchecked(this.table[(i << 2)]); }
  nameLen(i: i32): usize { return <usize>unchecked(this.table[(i << 2) + 1]); }
  valuePtr(i: i32): usize { return <usize>unchecked(this.table[(i << 2) + 2]); }
  valueLen(i: i32): usize { return <usize>unchecked(this.table[(i << 2) + 3]); }
  /** Line i's value as a string (UTF-8; invalid bytes become U+FFFD: compare bytes where it matters). */
  value(i: i32): string { return String.UTF8.decodeUnsafe(this.valuePtr(i), this.valueLen(i)); }
  name(i: i32): string { return String.UTF8.decodeUnsafe(this.namePtr(i), this.nameLen(i)); }

  /** Builds the line table; a malformed buffer (never sent by a correct host) reads as an empty map. */
  private index(): void {
    const base = this.buf, end = base + this.bufLen;
    this.count = 0;
    if (this.bufLen < 4) return;
    const n = load<u32>(base);
    if (<u64>n * 8 + 4 > <u64>this.bufLen) return;
    if (<i32>n * 4 > this.table.length) this.table = new StaticArray<u32>(<i32>n * 4 * 2);
    const t = this.table;
    let data = base + 4 + (<usize>n << 3);
    for (let i: u32 = 0; i < n; i++) {
      const kl = <usize>load<u32>(base + 4 + (<usize>i << 3));
      const vl = <usize>load<u32>(base + 8 + (<usize>i << 3));
      if (data + kl + vl + 2 > end || data + kl + vl + 2 < data) { this.count = 0; return; }
      const at = <i32>i << 2;
      unchecked(t[at] = <u32>data);
      unchecked(t[at + 1] = <u32>kl);
      unchecked(t[at + 2] = <u32>(data + kl + 1));
      unchecked(t[at + 3] = <u32>vl);
      data += kl + vl + 2;
    }
    this.count = <i32>n;
  }
}
