// Memory shared with the host: out-parameters, host-allocated buffers, and reusable UTF-8 slots.
// Host-returned buffers are allocated through proxy_on_memory_allocate (heap.alloc: outside the GC),
// copied into managed objects and freed here, so nothing the host hands over is ever leaked.

/** Out-parameter words: the host writes pointers, sizes, ids and 64-bit values here. */
export const OUT_PTR: usize = memory.data(8);
export const OUT_LEN: usize = memory.data(8);
export const OUT_EXTRA: usize = memory.data(8);

// A one-shot landing area for the next buffer the host returns (see receiveInto): a hot path can
// read a header or shared-data value straight into memory it owns, with no heap.alloc/free pair.
let landPtr: usize = 0;
let landCap: usize = 0;

/**
 * The next host allocation of at most `cap` bytes returns `ptr` instead of heap memory. Arm it right
 * before one host call that returns one buffer, and call receivedInPlace() right after (which disarms).
 */
// @ts-ignore: decorator
@inline export function receiveInto(ptr: usize, cap: usize): void {
  landPtr = ptr;
  landCap = cap;
}

/** Disarms receiveInto(); true when the returned buffer at `ptr` is the landing area (do not free it). */
// @ts-ignore: decorator
@inline export function receivedInPlace(ptr: usize): bool {
  const landed = ptr != 0 && ptr == landPtr && landCap == usize.MAX_VALUE;
  landPtr = 0;
  landCap = 0;
  return landed;
}

/** The allocator the host calls (exported as proxy_on_memory_allocate and malloc). */
export function allocate(size: usize): usize {
  if (landPtr != 0 && size <= landCap && landCap != usize.MAX_VALUE) {
    landCap = usize.MAX_VALUE; // used: marks the landing as taken
    return landPtr;
  }
  return heap.alloc(size == 0 ? 1 : size);
}

/** Takes the buffer the host just returned in OUT_PTR/OUT_LEN as a string, and frees it. */
export function takeString(): string {
  const ptr = load<usize>(OUT_PTR);
  const len = load<usize>(OUT_LEN);
  if (ptr == 0) return "";
  const s = String.UTF8.decodeUnsafe(ptr, len);
  heap.free(ptr);
  return s;
}

/** Takes the buffer the host just returned in OUT_PTR/OUT_LEN as bytes, and frees it. */
export function takeBuffer(): ArrayBuffer {
  const ptr = load<usize>(OUT_PTR);
  const len = load<usize>(OUT_LEN);
  const buf = new ArrayBuffer(<i32>len);
  if (ptr != 0) {
    memory.copy(changetype<usize>(buf), ptr, len);
    heap.free(ptr);
  }
  return buf;
}

/** Frees a buffer the host returned without reading it. */
export function dropReturned(): void {
  const ptr = load<usize>(OUT_PTR);
  if (ptr != 0) heap.free(ptr);
}

/**
 * A reusable UTF-8 encoding area, so passing a string to the host allocates nothing.
 * Several are needed because one host call can take up to four strings.
 */
export class Utf8Slot {
  ptr: usize = 0;
  cap: usize = 0;
  len: usize = 0;

  /** Encodes `s` into this slot; `ptr`/`len` then describe the bytes. */
  set(s: string): Utf8Slot {
    const units = <usize>s.length;
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    const need = units * 3;
    if (need > this.cap) {
      if (this.ptr != 0) heap.free(this.ptr);
      const cap: usize = need < 64 ? 64 : need;
      this.ptr = heap.alloc(cap);
      this.cap = cap;
    }
    this.len = units == 0 ? 0 : String.UTF8.encodeUnsafe(changetype<usize>(s), <i32>units, this.ptr);
    return this;
  }
}

export const SLOT_A = new Utf8Slot();
export const SLOT_B = new Utf8Slot();
export const SLOT_C = new Utf8Slot();
export const SLOT_D = new Utf8Slot();

/** Copies a managed buffer's address/length pair for passing to the host. */
// @ts-ignore: decorator
@inline export function bufPtr(b: ArrayBuffer): usize { return changetype<usize>(b); }
// @ts-ignore: decorator
@inline export function bufLen(b: ArrayBuffer): usize { return <usize>b.byteLength; }
