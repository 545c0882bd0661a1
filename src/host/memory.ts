// Access to one module instance's linear memory. Views are re-created on every access because any
// call into the module (allocation included) may grow the memory and detach older views.
import { toText } from "./bytes.js";

export class MemoryAccessError extends Error {}

export class ModuleMemory {
  memory: WebAssembly.Memory | null = null;
  private alloc: ((size: number) => number) | null = null;

  bind(exports: WebAssembly.Exports): void {
    this.memory = exports.memory as WebAssembly.Memory;
    // Envoy (cpp-host) looks up malloc first, then proxy_on_memory_allocate.
    const fn = (exports.malloc ?? exports.proxy_on_memory_allocate) as ((n: number) => number) | undefined;
    this.alloc = fn ?? null;
  }

  private u8(): Uint8Array {
    if (!this.memory) throw new MemoryAccessError("module has no memory export");
    return new Uint8Array(this.memory.buffer);
  }

  private dv(): DataView {
    if (!this.memory) throw new MemoryAccessError("module has no memory export");
    return new DataView(this.memory.buffer);
  }

  private check(ptr: number, len: number): void {
    const size = this.memory ? this.memory.buffer.byteLength : 0;
    if (ptr < 0 || len < 0 || ptr + len > size) throw new MemoryAccessError(`out of bounds: ${ptr}+${len} > ${size}`);
  }

  /** A copy of [ptr, ptr+len). */
  read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return this.u8().slice(ptr, ptr + len);
  }

  readString(ptr: number, len: number): string {
    return toText(this.read(ptr, len));
  }

  write(ptr: number, data: Uint8Array): void {
    ptr >>>= 0;
    this.check(ptr, data.length);
    this.u8().set(data, ptr);
  }

  u32(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return this.dv().getUint32(ptr, true);
  }

  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.dv().setUint32(ptr, v >>> 0, true);
  }

  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.dv().setBigUint64(ptr, BigInt.asUintN(64, v), true);
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
}
