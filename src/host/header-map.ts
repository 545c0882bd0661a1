// An HTTP header map with Envoy's semantics: keys lower-cased, insertion order kept, pseudo-headers
// (":path", …) kept ahead of regular headers, repeated keys allowed (multi-value).
// Values are byte-exact strings (see bytes.ts): a Uint8Array value is taken byte for byte, and
// getBytes() gives a value's exact bytes back, invalid UTF-8 included.
import { type Pair, byteLength, decodeBytes, encodeText, serializePairs } from "./bytes.js";

/** A header value: text, or exact bytes (which may be invalid UTF-8, as on the wire). */
export type HeaderValue = string | Uint8Array;
export type HeadersInit = Record<string, HeaderValue | HeaderValue[]> | readonly (readonly [string, HeaderValue])[] | HeaderMap;

const text = (v: unknown): string => (typeof v === "string" ? v : v instanceof Uint8Array ? decodeBytes(v) : String(v));

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
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (list[i][0] === k) return list[i][1];
    return undefined;
  }

  /** The exact bytes of the first value of `key`, or undefined. */
  getBytes(key: string): Uint8Array | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : encodeText(v);
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
  add(key: string, value: HeaderValue): void {
    const k = key.toLowerCase();
    if (typeof value !== "string") value = text(value);
    if (k.charCodeAt(0) === 58 /* ":" */) {
      let at = 0;
      while (at < this.list.length && this.list[at][0].charCodeAt(0) === 58) at++;
      this.list.splice(at, 0, [k, value]);
    } else {
      this.list.push([k, value]);
    }
  }

  /** Replaces every value of `key` with one (Envoy setCopy: remove, then add). */
  set(key: string, value: HeaderValue): void {
    this.remove(key);
    this.add(key, value);
  }

  remove(key: string): void {
    const k = key.toLowerCase();
    const list = this.list;
    let i = 0;
    while (i < list.length && list[i][0] !== k) i++;
    if (i === list.length) return; // absent: nothing to copy
    const kept: Pair[] = list.slice(0, i);
    for (i++; i < list.length; i++) if (list[i][0] !== k) kept.push(list[i]);
    this.list = kept;
  }

  clear(): void {
    this.list = [];
  }

  /** Replaces the whole map (Envoy set_header_map_pairs: remove every key, then add each pair). */
  setAll(init: HeadersInit): void {
    const list: Pair[] = [];
    if (init instanceof HeaderMap) {
      const src = init.list;
      for (let i = 0; i < src.length; i++) list.push([src[i][0].toLowerCase(), String(src[i][1])]);
    } else if (Array.isArray(init)) {
      const src = init as readonly (readonly [string, HeaderValue])[];
      for (let i = 0; i < src.length; i++) list.push([src[i][0].toLowerCase(), text(src[i][1])]);
    } else {
      for (const k in init as Record<string, HeaderValue | HeaderValue[]>) {
        const v = (init as Record<string, HeaderValue | HeaderValue[]>)[k];
        const key = k.toLowerCase();
        if (Array.isArray(v)) for (let i = 0; i < v.length; i++) list.push([key, text(v[i])]);
        else list.push([key, text(v)]);
      }
    }
    // Same order add() would give: pseudo-headers first, each group in insertion order (usually
    // already so: then the list is kept as built).
    this.list = pseudoFirst(list);
  }

  /** All entries in order, as [key, value] pairs (copies). */
  pairs(): Pair[] {
    return this.list.map(([k, v]) => [k, v]);
  }

  /** An object view; repeated keys are joined with "," (as HTTP/1 would fold them). */
  all(): Record<string, string> {
    const out: Record<string, string> = {};
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const k = list[i][0], v = list[i][1];
      const prev = out[k]; // values are strings: undefined exactly when `k in out` is false
      out[k] = prev === undefined ? v : `${prev},${v}`;
    }
    return out;
  }

  keys(): string[] {
    return [...new Set(this.list.map(([k]) => k))];
  }

  /** Envoy's HeaderMap::byteSize(): the sum of key and value lengths (what get_header_map_size returns). */
  byteSize(): number {
    let n = 0;
    const list = this.list;
    for (let i = 0; i < list.length; i++) n += byteLength(list[i][0]) + byteLength(list[i][1]);
    return n;
  }

  serialize(): Uint8Array {
    return serializePairs(this.list);
  }

  [Symbol.iterator](): Iterator<Pair> {
    return this.pairs()[Symbol.iterator]();
  }
}

/** A stable partition putting pseudo-headers (":…") first; returns `list` itself when already so. */
function pseudoFirst(list: Pair[]): Pair[] {
  let i = 0;
  while (i < list.length && list[i][0].charCodeAt(0) === 58) i++;
  let j = i;
  while (j < list.length && list[j][0].charCodeAt(0) !== 58) j++;
  if (j === list.length) return list;
  const pseudo: Pair[] = [], rest: Pair[] = [];
  for (const p of list) (p[0].charCodeAt(0) === 58 ? pseudo : rest).push(p);
  return pseudo.concat(rest);
}
