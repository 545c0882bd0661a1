// Every line of a header map, read with one host call. Envoy's proxy_get_header_map_value returns only
// the first line of a repeated header (Envoy's own comment calls this a potential security issue: a route
// may match the second line while a filter reads the first), so a filter that must see every line —
// routing headers, `traceparent`, `baggage` — reads the whole map once with proxy_get_header_map_pairs
// and looks lines up here. Lookups compare bytes: no strings are built, nothing is allocated per request
// once the tables have grown to the largest map seen.
import * as imp from "./imports";
import { OUT_PTR, OUT_LEN, receiveInto, receivedInPlace } from "./memory";
import { RawName } from "./rawname";
import { WasmResultValues, HeaderMapTypeValues } from "./types";

const CHUNK_BYTES: usize = 1024;

/** The nameLen() of a line removed since the map was read (shared request lines only): no name matches it. */
export const REMOVED_LINE: u32 = 0xffffffff;

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
  // Names and values this module wrote since the map was read (mirrored lines point into them), in
  // chunks kept from read to read: a mirrored write allocates nothing once they have grown.
  private chunks: ArrayBuffer[] = [];
  private chunk: i32 = 0;
  private chunkUsed: usize = 0;

  /** `shared`: requestLines()'s instance, kept loaded for the whole callback (release() leaves it). */
  constructor(private readonly shared: bool = false) {}

  /** Reads the map (one host call). False when the host refused (map not available in this callback). */
  load(mapType: u32): bool {
    this.drop();
    store<u64>(OUT_PTR, 0);
    store<u64>(OUT_LEN, 0);
    receiveInto(changetype<usize>(this.land), <usize>this.land.byteLength);
    const ok = imp.proxy_get_header_map_pairs(mapType, OUT_PTR, OUT_LEN) == WasmResultValues.Ok;
    this.buf = load<usize>(OUT_PTR);
    this.landed = receivedInPlace(this.buf);
    if (!ok) { this.drop(); return false; }
    this.bufLen = load<usize>(OUT_LEN);
    // Larger than the landing area: it came from the heap; next time a map this size lands in place.
    if (!this.landed && <i32>this.bufLen > this.land.byteLength) this.land = new ArrayBuffer(<i32>this.bufLen);
    this.index();
    return true;
  }

  /** Frees the host's buffer when it is not the landing area (load() does it too). */
  release(): void {
    if (!this.shared) this.drop();
  }

  private drop(): void {
    if (this.buf != 0 && !this.landed) heap.free(this.buf);
    this.chunk = 0;
    this.chunkUsed = 0;
    this.buf = 0;
    this.landed = false;
    this.bufLen = 0;
    this.count = 0;
  }

  /** How many lines the map has. */
  get size(): i32 { return this.count; }

  /** Index of the first line named `name` at or after `from`, or -1. Names in Envoy's maps are lower case. */
  find(name: RawName, from: i32 = 0): i32 { return this.findBytes(name.ptr, name.len, from); }

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

  // ---- edits mirrored from the host's map, for the shared request lines (requestLines()). Line
  // indices stay valid through them: a removed line stays in place, nameless (nameLen() reads
  // REMOVED_LINE, so no name matches it), and a new line is appended.
  /** Replace: the first line named so gets the value and later ones go; none: a line is appended. */
  replace(namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): void {
    const name = this.keep(namePtr, nameLen, true);
    const value = this.keep(valuePtr, valueLen, false);
    const first = this.findBytes(name, nameLen, 0);
    if (first < 0) { this.append(name, nameLen, value, valueLen); return; }
    unchecked(this.table[(first << 2) + 2] = <u32>value);
    unchecked(this.table[(first << 2) + 3] = <u32>valueLen);
    this.removeFrom(name, nameLen, first + 1);
  }
  remove(namePtr: usize, nameLen: usize): void {
    this.removeFrom(this.keep(namePtr, nameLen, true), nameLen, 0);
  }
  add(namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): void {
    this.append(this.keep(namePtr, nameLen, true), nameLen, this.keep(valuePtr, valueLen, false), valueLen);
  }

  /** A copy of the bytes that lives as long as this map's lines (names lower-cased, as Envoy keeps them). */
  private keep(ptr: usize, len: usize, lower: bool): usize {
    const chunks = this.chunks;
    while (this.chunk < chunks.length && <usize>unchecked(chunks[this.chunk]).byteLength - this.chunkUsed < len) {
      this.chunk++;
      this.chunkUsed = 0;
    }
    if (this.chunk == chunks.length) chunks.push(new ArrayBuffer(<i32>max<usize>(CHUNK_BYTES, len)));
    const p = changetype<usize>(unchecked(chunks[this.chunk])) + this.chunkUsed;
    this.chunkUsed += len;
    memory.copy(p, ptr, len);
    if (lower) for (let i: usize = 0; i < len; i++) { const c = load<u8>(p + i); if (c >= 0x41 && c <= 0x5a) store<u8>(p + i, c | 0x20); }
    return p;
  }
  private findBytes(name: usize, len: usize, from: i32): i32 {
    const t = this.table;
    for (let i = from; i < this.count; i++) {
      const at = i << 2;
      if (unchecked(t[at + 1]) == <u32>len && memory.compare(<usize>unchecked(t[at]), name, len) == 0) return i;
    }
    return -1;
  }
  private removeFrom(name: usize, len: usize, from: i32): void {
    for (let i = this.findBytes(name, len, from); i >= 0; i = this.findBytes(name, len, i + 1)) {
      unchecked(this.table[(i << 2) + 1] = REMOVED_LINE);
      unchecked(this.table[(i << 2) + 3] = 0);
    }
  }
  private append(name: usize, nameLen: usize, value: usize, valueLen: usize): void {
    if ((this.count + 1) * 4 > this.table.length) {
      const grown = new StaticArray<u32>((this.count + 1) * 8);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.table), <usize>this.count << 4);
      this.table = grown;
    }
    const at = this.count << 2;
    const t = this.table;
    unchecked(t[at] = <u32>name);
    unchecked(t[at + 1] = <u32>nameLen);
    unchecked(t[at + 2] = <u32>value);
    unchecked(t[at + 3] = <u32>valueLen);
    this.count++;
  }

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

// ---------------------------------------------------------------- the request's lines, shared
// Everything in a module that reads the request headers during one callback — a chain's members one
// after another — shares one read of them: the first reader's proxy_get_header_map_pairs serves the
// rest, and the SDK's own header writes (replace, remove, add) are applied to it as the host applies
// them to its map, so a later member sees what an earlier one wrote. A new callback, a failed write,
// setting the whole map, and anything that may hand the request elsewhere (continue, close, a local
// response, another effective context) make the next reader ask the host again.

/** The kinds of edit requestHeadersWritten() mirrors. */
export const enum LineEdit { Replace, Remove, Add }

const REQUEST = new HeaderLines(true);
let callback: u32 = 1; // bumped as each callback starts
let loadedIn: u32 = 0; // the callback REQUEST was read in (0: none)
let loadedOk = false;

/** A callback starts (the dispatcher's registry calls this): the shared request lines must be read anew. */
export function newCallback(): void { callback++; }

/** The request's header lines, read at most once per callback; null when the host refuses (no request headers here). */
export function requestLines(): HeaderLines | null {
  if (loadedIn != callback) {
    loadedIn = callback;
    loadedOk = REQUEST.load(<u32>HeaderMapTypeValues.RequestHeaders);
  }
  return loadedOk ? REQUEST : null;
}

/** The shared request lines are out of date: the next reader asks the host. */
export function requestLinesStale(): void { loadedIn = 0; }

/** A request header write the host answered with `status`: mirrored into the shared lines, or they are dropped. */
export function requestHeadersWritten(edit: LineEdit, namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize, status: u32): void {
  if (loadedIn != callback || !loadedOk) return; // nothing read in this callback
  if (status != WasmResultValues.Ok) { loadedIn = 0; return; }
  if (edit == LineEdit.Replace) REQUEST.replace(namePtr, nameLen, valuePtr, valueLen);
  else if (edit == LineEdit.Remove) REQUEST.remove(namePtr, nameLen);
  else REQUEST.add(namePtr, nameLen, valuePtr, valueLen);
}
