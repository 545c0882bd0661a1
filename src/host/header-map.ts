// An HTTP header map with Envoy's semantics: keys lower-cased, insertion order kept, pseudo-headers
// (":path", …) kept ahead of regular headers, repeated keys allowed (multi-value).
import { type Pair, serializePairs } from "./bytes.js";

export type HeadersInit = Record<string, string | string[]> | readonly Pair[] | HeaderMap;

export class HeaderMap {
  private list: Pair[] = [];

  constructor(init?: HeadersInit) {
    if (init) this.setAll(init);
  }

  static from(init?: HeadersInit): HeaderMap {
    return init instanceof HeaderMap ? init.clone() : new HeaderMap(init);
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.list = this.list.map(([k, v]) => [k, v]);
    return m;
  }

  get size(): number {
    return this.list.length;
  }

  /** First value of `key` (Envoy's get_header_map_value returns the first), or undefined. */
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const [n, v] of this.list) if (n === k) return v;
    return undefined;
  }

  /** Every value of `key`, in order. */
  getAll(key: string): string[] {
    const k = key.toLowerCase();
    return this.list.filter(([n]) => n === k).map(([, v]) => v);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Appends a value (Envoy addCopy): pseudo-headers go after the last pseudo-header. */
  add(key: string, value: string): void {
    const k = key.toLowerCase();
    if (k.startsWith(":")) {
      let at = 0;
      while (at < this.list.length && this.list[at][0].startsWith(":")) at++;
      this.list.splice(at, 0, [k, value]);
    } else {
      this.list.push([k, value]);
    }
  }

  /** Replaces every value of `key` with one (Envoy setCopy: remove, then add). */
  set(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  remove(key: string): void {
    const k = key.toLowerCase();
    this.list = this.list.filter(([n]) => n !== k);
  }

  clear(): void {
    this.list = [];
  }

  /** Replaces the whole map (Envoy set_header_map_pairs: remove every key, then add each pair). */
  setAll(init: HeadersInit): void {
    const pseudo: Pair[] = [];
    const rest: Pair[] = [];
    const put = (k: string, v: string) => {
      const key = k.toLowerCase();
      (key.charCodeAt(0) === 58 /* ":" */ ? pseudo : rest).push([key, String(v)]);
    };
    if (init instanceof HeaderMap) for (const [k, v] of init.list) put(k, v);
    else if (Array.isArray(init)) for (const [k, v] of init as Pair[]) put(k, v);
    else {
      for (const k in init as Record<string, string | string[]>) {
        const v = (init as Record<string, string | string[]>)[k];
        if (Array.isArray(v)) for (const x of v) put(k, x);
        else put(k, v);
      }
    }
    // Same order add() would give: pseudo-headers first, each group in insertion order.
    this.list = pseudo.length ? pseudo.concat(rest) : rest;
  }

  /** All entries in order, as [key, value] pairs (copies). */
  pairs(): Pair[] {
    return this.list.map(([k, v]) => [k, v]);
  }

  /** An object view; repeated keys are joined with "," (as HTTP/1 would fold them). */
  all(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.list) out[k] = k in out ? `${out[k]},${v}` : v;
    return out;
  }

  keys(): string[] {
    return [...new Set(this.list.map(([k]) => k))];
  }

  /** Envoy's HeaderMap::byteSize(): the sum of key and value lengths (what get_header_map_size returns). */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.list) n += Buffer.byteLength(k) + Buffer.byteLength(v);
    return n;
  }

  serialize(): Uint8Array {
    return serializePairs(this.list);
  }

  [Symbol.iterator](): Iterator<Pair> {
    return this.pairs()[Symbol.iterator]();
  }
}
