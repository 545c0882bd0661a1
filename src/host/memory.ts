// Access to one module instance's linear memory. Any call into the module (allocation included) may
// grow the memory and detach older views, so the cached views are re-made whenever the memory's
// ArrayBuffer is a different object than the one they were made over.
import { decodeText, encodeText } from "./bytes.js";

export class MemoryAccessError extends Error {}

const EMPTY = new Uint8Array(0);

export class ModuleMemory {
  memory: WebAssembly.Memory | null = null;
  private alloc: ((size: number) => number) | null = null;
  private buf: ArrayBuffer | null = null;
  private bytes: Uint8Array = EMPTY;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private text: Buffer = Buffer.alloc(0);

  bind(exports: WebAssembly.Exports): void {
    this.memory = exports.memory as WebAssembly.Memory;
    // Envoy (cpp-host) looks up malloc first, then proxy_on_memory_allocate.
    const fn = (exports.malloc ?? exports.proxy_on_memory_allocate) as ((n: number) => number) | undefined;
    this.alloc = fn ?? null;
    this.buf = null;
    this.bytes = EMPTY;
  }

  /** Brings the cached views up to date; throws when the module has no memory. */
  private sync(): void {
    if (!this.memory) throw new MemoryAccessError("module has no memory export");
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.bytes = new Uint8Array(b);
      this.view = new DataView(b);
      this.text = Buffer.from(b);
    }
  }

  /**
   * Checks [ptr, ptr+len) (both already unsigned) against the current memory and leaves `bytes`/`view`
   * usable for it. Memory never shrinks, so a range inside the cached view is valid; a grown memory
   * detaches the old view (length 0), which sends us to the slow path to re-make it.
   */
  private check(ptr: number, len: number): void {
    if (ptr + len <= this.bytes.length && this.bytes.length > 0) return;
    if (!this.memory) {
      if (ptr + len > 0) throw new MemoryAccessError(`out of bounds: ${ptr}+${len} > 0`);
      throw new MemoryAccessError("module has no memory export");
    }
    this.sync();
    const size = this.bytes.length;
    if (ptr + len > size) throw new MemoryAccessError(`out of bounds: ${ptr}+${len} > ${size}`);
  }

  /** A copy of [ptr, ptr+len). */
  read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return this.bytes.slice(ptr, ptr + len);
  }

  /**
   * [ptr, ptr+len) without a copy: only for callees that copy what they keep, and only until the
   * next call into the module (which may grow the memory and detach the view).
   */
  peek(ptr: number, len: number): Uint8Array {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return this.bytes.subarray(ptr, ptr + len);
  }

  /**
   * [ptr, ptr+len) as UTF-8 text, read in place (no copy). Header names and values and property
   * paths are nearly always ASCII, which is decoded without TextDecoder (see asciiOrDecode).
   */
  readString(ptr: number, len: number): string {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return decodeText(this.bytes, ptr, len, this.text);
  }

  write(ptr: number, data: Uint8Array): void {
    ptr >>>= 0;
    this.check(ptr, data.length);
    this.bytes.set(data, ptr);
  }

  u32(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return this.view.getUint32(ptr, true);
  }

  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.view.setUint32(ptr, v >>> 0, true);
  }

  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.view.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /** Allocates `size` bytes through the module's allocator; 0 on failure. */
  allocate(size: number): number {
    if (!this.alloc) return 0;
    return this.alloc(size) >>> 0;
  }

  /**
   * Hands `data` to the module: allocates a copy in its memory and writes pointer and size to the
   * out-parameters (cpp-host copyToPointerSize). Empty data is returned as pointer 0, size 0.
   */
  giveBack(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (data.length > 0) {
      p = this.allocate(data.length);
      if (p === 0) return false;
      this.write(p, data);
    }
    this.setU32(ptrPtr, p);
    this.setU32(sizePtr, data.length);
    return true;
  }

  /** giveBack of `text` as UTF-8; ASCII text is written straight into the allocation, without an encoded copy. */
  giveBackString(text: string, ptrPtr: number, sizePtr: number): boolean {
    const n = text.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (text.charCodeAt(i) > 0x7f) { ascii = false; break; }
    }
    if (!ascii) return this.giveBack(encodeText(text), ptrPtr, sizePtr);
    let p = 0;
    if (n > 0) {
      p = this.allocate(n);
      if (p === 0) return false;
      this.check(p, n);
      const b = this.bytes;
      for (let i = 0; i < n; i++) b[p + i] = text.charCodeAt(i);
    }
    this.setU32(ptrPtr, p);
    this.setU32(sizePtr, n);
    return true;
  }
}

