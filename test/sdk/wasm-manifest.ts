// Reads a wasm module's imports and exports *with their signatures* straight from the binary
// (type, import, function and export sections). WebAssembly.Module.imports() gives names only.
import type { ValType } from "./abi.js";

export interface FuncImport { module: string; name: string; params: ValType[]; results: ValType[] }
export interface Export { name: string; kind: "function" | "table" | "memory" | "global" | "tag"; params?: ValType[]; results?: ValType[] }
export interface Manifest { imports: FuncImport[]; otherImports: { module: string; name: string; kind: string }[]; exports: Export[] }

const VALTYPES: Record<number, ValType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };
const KINDS = ["function", "table", "memory", "global", "tag"] as const;

class Reader {
  pos = 0;
  constructor(private b: Uint8Array) {}
  get done() { return this.pos >= this.b.length; }
  u8() { if (this.pos >= this.b.length) throw new Error("wasm: unexpected end"); return this.b[this.pos++]; }
  u32() {
    let result = 0, shift = 0, byte;
    do { byte = this.u8(); result |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return result >>> 0;
  }
  bytes(n: number) { const s = this.b.subarray(this.pos, this.pos + n); this.pos += n; return s; }
  name() { return new TextDecoder().decode(this.bytes(this.u32())); }
  valtype(): ValType {
    const t = this.u8();
    const v = VALTYPES[t];
    if (!v) throw new Error(`wasm: unsupported value type 0x${t.toString(16)}`);
    return v;
  }
  limits() { const flags = this.u8(); this.u32(); if (flags & 1) this.u32(); }
}

export function readManifest(bytes: Uint8Array): Manifest {
  const r = new Reader(bytes);
  const magic = r.bytes(8);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) throw new Error("not a wasm module");
  const types: { params: ValType[]; results: ValType[] }[] = [];
  const imports: FuncImport[] = [];
  const otherImports: Manifest["otherImports"] = [];
  const funcTypes: number[] = []; // type index of every function, imports first
  const exports: Export[] = [];
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.u8() !== 0x60) throw new Error("wasm: unsupported type form");
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name(), name = r.name(), kind = r.u8();
        if (kind === 0) {
          const t = r.u32();
          funcTypes.push(t);
          imports.push({ module, name, ...types[t] });
        } else {
          if (kind === 1) { r.u8(); r.limits(); } else if (kind === 2) r.limits(); else if (kind === 3) { r.u8(); r.u8(); } else r.u32();
          otherImports.push({ module, name, kind: KINDS[kind] ?? String(kind) });
        }
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name(), kind = r.u8(), index = r.u32();
        const e: Export = { name, kind: KINDS[kind] };
        if (kind === 0) Object.assign(e, types[funcTypes[index]]);
        exports.push(e);
      }
    }
    r.pos = end;
  }
  return { imports, otherImports, exports };
}
