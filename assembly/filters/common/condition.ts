// Conditions over a request: combinators (all / any / not) and leaves (a source, an operator and its
// operands). Everything is parsed and checked once at configure time — CIDRs to bytes, lists to sets,
// numbers pre-parsed — so matching allocates nothing beyond the values the view reads.
import { ConfigObject, ConfigArray, fmt } from "../../sdk/config";
import { JsonKind, JsonString } from "../../sdk/json";
import { RequestView } from "./request-view";
import { Source, parseSource } from "./source";
import { CidrSet } from "./ip";
import { stickyBucketBytes, fnv1a64, fnv1a64Bytes, percentToBuckets } from "./hash";

export const OPERATORS: string[] = [
  "equals", "notEquals", "prefix", "suffix", "contains", "in", "present", "absent", "range", "modulo", "percentage", "cidr",
];

export class Condition {
  matches(view: RequestView): bool { return false; }
}

class All extends Condition {
  constructor(private items: StaticArray<Condition>) { super(); }
  matches(view: RequestView): bool {
    const items = this.items;
    for (let i = 0; i < items.length; i++) if (!unchecked(items[i]).matches(view)) return false;
    return true;
  }
}

class Any extends Condition {
  constructor(private items: StaticArray<Condition>) { super(); }
  matches(view: RequestView): bool {
    const items = this.items;
    for (let i = 0; i < items.length; i++) if (unchecked(items[i]).matches(view)) return true;
    return false;
  }
}

class Not extends Condition {
  constructor(private inner: Condition) { super(); }
  matches(view: RequestView): bool { return !this.inner.matches(view); }
}

/** A source plus a test of its value (UTF-8 bytes). Every operator but `absent` fails on an absent value. */
export class Leaf extends Condition {
  constructor(public readonly source: Source) { super(); }
  matches(view: RequestView): bool {
    return view.fetch(this.source) ? this.test(view.ptr, view.len) : this.whenAbsent();
  }
  test(p: usize, n: i32): bool { return false; }
  whenAbsent(): bool { return false; }
}

// Operands are encoded to UTF-8 once; values are compared as bytes.
// @ts-ignore: decorator
@inline function ptrOf(b: ArrayBuffer): usize { return changetype<usize>(b); }
function utf8(s: string): ArrayBuffer { return String.UTF8.encode(s); }
function sameBytes(p: usize, n: i32, b: ArrayBuffer): bool {
  return n == b.byteLength && memory.compare(p, ptrOf(b), <usize>n) == 0;
}

class Equals extends Leaf {
  private value: ArrayBuffer;
  constructor(source: Source, value: string) { super(source); this.value = utf8(value); }
  test(p: usize, n: i32): bool { return sameBytes(p, n, this.value); }
}
class NotEquals extends Leaf {
  private value: ArrayBuffer;
  constructor(source: Source, value: string) { super(source); this.value = utf8(value); }
  test(p: usize, n: i32): bool { return !sameBytes(p, n, this.value); }
}
class Prefix extends Leaf {
  private value: ArrayBuffer;
  constructor(source: Source, value: string) { super(source); this.value = utf8(value); }
  test(p: usize, n: i32): bool {
    const m = this.value.byteLength;
    return n >= m && memory.compare(p, ptrOf(this.value), <usize>m) == 0;
  }
}
class Suffix extends Leaf {
  private value: ArrayBuffer;
  constructor(source: Source, value: string) { super(source); this.value = utf8(value); }
  test(p: usize, n: i32): bool {
    const m = this.value.byteLength;
    return n >= m && memory.compare(p + <usize>(n - m), ptrOf(this.value), <usize>m) == 0;
  }
}
/**
 * Substring search in time linear in the value (Knuth–Morris–Pratt, its table built at configure time):
 * a naive search costs value × operand on hostile values such as `aaaa…` against `aa…ab`.
 */
class Contains extends Leaf {
  private value: ArrayBuffer;
  private next: StaticArray<i32> = new StaticArray<i32>(0); // next[k]: longest proper border of value[0, k]
  constructor(source: Source, value: string) {
    super(source);
    this.value = utf8(value);
    const v = ptrOf(this.value);
    const m = this.value.byteLength;
    const next = new StaticArray<i32>(m);
    for (let k = 1, b = 0; k < m; k++) {
      while (b > 0 && load<u8>(v + <usize>k) != load<u8>(v + <usize>b)) b = next[b - 1];
      if (load<u8>(v + <usize>k) == load<u8>(v + <usize>b)) b++;
      next[k] = b;
    }
    this.next = next;
  }
  test(p: usize, n: i32): bool {
    const v = ptrOf(this.value);
    const m = this.value.byteLength;
    if (m == 0) return true;
    const next = this.next;
    let b = 0;
    for (let i = 0; i < n; i++) {
      const c = load<u8>(p + <usize>i);
      while (b > 0 && c != load<u8>(v + <usize>b)) b = unchecked(next[b - 1]);
      if (c == load<u8>(v + <usize>b)) {
        if (++b == m) return true;
      }
    }
    return false;
  }
}
/** Set membership: a linear scan for a few values, an open-addressing table of FNV hashes beyond. */
class In extends Leaf {
  private values: StaticArray<ArrayBuffer>;
  private table: StaticArray<i32>; // index + 1 of the value in each cell, 0 = empty
  private mask: u32 = 0;
  constructor(source: Source, list: string[]) {
    super(source);
    // Deduplicated through the hash table as it is built: linear in the list (a pairwise scan made
    // 30,000 values take seconds at configure time).
    let size = 16;
    while (size < list.length * 2) size <<= 1;
    const mask = <u32>(size - 1);
    const table = new StaticArray<i32>(size);
    const values = new Array<ArrayBuffer>();
    for (let i = 0; i < list.length; i++) {
      const b = utf8(unchecked(list[i]));
      let c = <u32>fnv1a64Bytes(ptrOf(b), b.byteLength) & mask;
      let dup = false;
      for (let k = unchecked(table[c]); k != 0; c = (c + 1) & mask, k = unchecked(table[c])) {
        const v = unchecked(values[k - 1]);
        if (sameBytes(ptrOf(v), v.byteLength, b)) { dup = true; break; }
      }
      if (dup) continue;
      values.push(b);
      unchecked(table[c] = values.length);
    }
    this.values = StaticArray.fromArray(values);
    // A few values: a linear scan per request beats hashing the value.
    if (values.length > 8) { this.table = table; this.mask = mask; }
    else this.table = new StaticArray<i32>(0);
  }
  test(p: usize, n: i32): bool {
    const values = this.values;
    if (this.mask == 0) {
      for (let i = 0; i < values.length; i++) if (sameBytes(p, n, unchecked(values[i]))) return true;
      return false;
    }
    const table = this.table;
    let c = <u32>fnv1a64Bytes(p, n) & this.mask;
    for (let k = unchecked(table[c]); k != 0; c = (c + 1) & this.mask, k = unchecked(table[c])) {
      if (sameBytes(p, n, unchecked(values[k - 1]))) return true;
    }
    return false;
  }
}
class Present extends Leaf {
  test(p: usize, n: i32): bool { return true; }
}
class Absent extends Leaf {
  test(p: usize, n: i32): bool { return false; }
  whenAbsent(): bool { return true; }
}
class Range extends Leaf {
  constructor(source: Source, private min: f64, private max: f64) { super(source); }
  test(p: usize, n: i32): bool {
    const v = parseDecimalBytes(p, n);
    return !isNaN(v) && v >= this.min && v <= this.max;
  }
}
class Modulo extends Leaf {
  constructor(source: Source, private divisor: u64, private remainder: u64) { super(source); }
  test(p: usize, n: i32): bool {
    const r = decimalModBytes(p, n, this.divisor);
    return r >= 0 && <u64>r == this.remainder;
  }
}
class Percentage extends Leaf {
  private saltHash: u64;
  constructor(source: Source, private threshold: u32, salt: string) { super(source); this.saltHash = fnv1a64(salt); }
  test(p: usize, n: i32): bool { return stickyBucketBytes(p, n, this.saltHash) < this.threshold; }
}
class Cidr extends Leaf {
  constructor(source: Source, private ranges: CidrSet) { super(source); }
  test(p: usize, n: i32): bool { return this.ranges.containsBytes(p, n); }
}

// ---------------------------------------------------------------- value parsing (per request, no allocation)

// @ts-ignore: decorator
@inline function byteAt(p: usize, i: i32): i32 { return <i32>load<u8>(p + <usize>i); }

/** A plain decimal number ("-12", "3.5"), or NaN for anything else (no exponents, hex, spaces). */
export function parseDecimal(s: string): f64 {
  const b = utf8(s);
  return parseDecimalBytes(ptrOf(b), b.byteLength);
}

/** parseDecimal over `n` UTF-8 bytes at `p`. */
export function parseDecimalBytes(p: usize, n: i32): f64 {
  let i = 0;
  let neg = false;
  if (n > 0 && (byteAt(p, 0) == 0x2d || byteAt(p, 0) == 0x2b)) { neg = byteAt(p, 0) == 0x2d; i = 1; }
  let intPart: f64 = 0;
  let digits = 0;
  while (i < n) {
    const c = byteAt(p, i);
    if (c < 0x30 || c > 0x39) break;
    intPart = intPart * 10 + <f64>(c - 0x30);
    digits++;
    i++;
  }
  if (digits == 0) return NaN;
  let value = intPart;
  if (i < n && byteAt(p, i) == 0x2e) {
    i++;
    let scale: f64 = 0.1;
    let frac = 0;
    while (i < n) {
      const c = byteAt(p, i);
      if (c < 0x30 || c > 0x39) break;
      value += <f64>(c - 0x30) * scale;
      scale *= 0.1;
      frac++;
      i++;
    }
    if (frac == 0) return NaN;
  }
  if (i != n) return NaN;
  return neg ? -value : value;
}

/** `s % divisor` for a non-negative decimal integer of any length, or -1 if `s` is not one. */
export function decimalMod(s: string, divisor: u64): i64 {
  const b = utf8(s);
  return decimalModBytes(ptrOf(b), b.byteLength, divisor);
}

/** decimalMod over `n` UTF-8 bytes at `p`. */
export function decimalModBytes(p: usize, n: i32, divisor: u64): i64 {
  if (n == 0) return -1;
  let r: u64 = 0;
  for (let i = 0; i < n; i++) {
    const c = byteAt(p, i);
    if (c < 0x30 || c > 0x39) return -1;
    r = (r * 10 + <u64>(c - 0x30)) % divisor; // divisor ≤ 1e15 keeps r*10+9 far below 2^64
  }
  return <i64>r;
}

// ---------------------------------------------------------------- configuration

const MAX_DIVISOR: i64 = 1_000_000_000_000_000;
/** Most values of an `in` list (configure time stays linear; 100,000 values configure in tens of ms). */
export const MAX_IN_VALUES: i32 = 100_000;
/** Most ranges of a `cidr` list (matched by a scan per request). */
export const MAX_CIDR_VALUES: i32 = 10_000;
/** Most conditions in one `all` / `any` list. */
export const MAX_LIST_CONDITIONS: i32 = 1_000;

const LEAF_FIELDS: string[] = ["source", "name", "operator"];
const ALL_LEAF_FIELDS: string[] = ["source", "name", "operator", "value", "values", "min", "max", "divisor", "remainder", "percent", "salt"];

/** The fields a leaf with operator `op` may have. */
function leafFields(op: string): string[] {
  const f = LEAF_FIELDS.slice(0);
  if (op == "equals" || op == "notEquals" || op == "prefix" || op == "suffix" || op == "contains") f.push("value");
  else if (op == "in" || op == "cidr") f.push("values");
  else if (op == "range") { f.push("min"); f.push("max"); }
  else if (op == "modulo") { f.push("divisor"); f.push("remainder"); }
  else if (op == "percentage") { f.push("percent"); f.push("salt"); }
  else if (op != "present" && op != "absent") return ALL_LEAF_FIELDS; // unknown operator: reported by parseOperator
  return f;
}

/**
 * Parses a condition object: `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or a leaf
 * `{"source": ..., "name": ..., "operator": ..., operands}`. Errors are recorded on `cfg` with the
 * field path (`rules[1].match.operator: unknown value "eqals"; did you mean "equals"? …`) — every error
 * of the condition, not just the first; returns null then.
 */
export function parseCondition(cfg: ConfigObject): Condition | null {
  const isAll = cfg.has("all"), isAny = cfg.has("any"), isNot = cfg.has("not");
  const combinators = (isAll ? 1 : 0) + (isAny ? 1 : 0) + (isNot ? 1 : 0);
  if (combinators > 1) {
    cfg.fail(isAll ? "all" : "any", "a condition has exactly one of all, any, not");
    return null;
  }
  if (combinators == 1) {
    const key = isAll ? "all" : isAny ? "any" : "not";
    cfg.allowOnly([key]);
    let result: Condition | null = null;
    if (isNot) {
      const inner = cfg.obj("not");
      if (inner === null) return null; // the reader recorded why (wrong type or null)
      const c = parseCondition(inner);
      if (c !== null) result = new Not(c);
    } else {
      const list = cfg.arr(key, MAX_LIST_CONDITIONS);
      if (list === null) return null;
      const items = parseList(cfg, key, list);
      if (items !== null) result = isAll ? new All(items) : new Any(items);
    }
    return cfg.ok() ? result : null;
  }
  if (!cfg.has("source") && !cfg.has("operator")) {
    const keys = cfg.json.keys;
    if (keys.length) cfg.allowOnly(["all", "any", "not", "source", "operator"]);
    else cfg.fail("source", "is required (a condition is all, any, not, or source + operator)");
    return null;
  }
  const opValue = cfg.raw("operator");
  cfg.allowOnly(leafFields(opValue !== null && opValue.kind == JsonKind.String ? (<JsonString>opValue).value : ""));
  const source = parseSource(cfg);
  if (source === null) return null;
  const leaf = parseOperator(cfg, source);
  return cfg.ok() ? leaf : null;
}

function parseList(cfg: ConfigObject, key: string, list: ConfigArray): StaticArray<Condition> | null {
  if (list.length == 0) { cfg.fail(key, "must not be empty"); return null; }
  const items = new StaticArray<Condition>(list.length);
  let failed = false;
  for (let i = 0; i < list.length; i++) {
    const o = list.obj(i);
    if (o === null) { failed = true; continue; } // go on: report the other items' problems too
    const c = parseCondition(o);
    if (c === null) { failed = true; continue; }
    items[i] = c;
  }
  return failed ? null : items;
}

function parseOperator(cfg: ConfigObject, source: Source): Leaf | null {
  if (!cfg.has("operator")) { cfg.fail("operator", "is required (one of: " + OPERATORS.join(", ") + ")"); return null; }
  const op = cfg.oneOf("operator", "equals", OPERATORS);
  if (!cfg.ok()) return null;
  if (op == "equals" || op == "notEquals") {
    if (!cfg.has("value")) { cfg.fail("value", "is required for operator \"" + op + "\""); return null; }
    const v = cfg.str("value");
    return op == "equals" ? new Equals(source, v) : new NotEquals(source, v);
  }
  if (op == "prefix" || op == "suffix" || op == "contains") {
    const v = cfg.requiredStr("value");
    if (!cfg.ok()) return null;
    if (op == "prefix") return new Prefix(source, v);
    return op == "suffix" ? new Suffix(source, v) : new Contains(source, v);
  }
  if (op == "in") {
    const values = requiredList(cfg, "values", op, MAX_IN_VALUES);
    if (values === null) return null;
    return new In(source, values);
  }
  if (op == "present") return new Present(source);
  if (op == "absent") return new Absent(source);
  if (op == "range") {
    if (!cfg.has("min") && !cfg.has("max")) { cfg.fail("min", "range needs min, max or both"); return null; }
    const min = cfg.num("min", -Infinity);
    const max = cfg.num("max", Infinity);
    if (!cfg.ok()) return null;
    if (min > max) { cfg.fail("max", "must be ≥ min (" + fmt(min) + ")"); return null; }
    return new Range(source, min, max);
  }
  if (op == "modulo") {
    if (!cfg.has("divisor")) { cfg.fail("divisor", "is required for operator \"modulo\""); return null; }
    const divisor = cfg.int("divisor", 1, 1, MAX_DIVISOR);
    if (!cfg.ok()) return null;
    if (!cfg.has("remainder")) { cfg.fail("remainder", "is required for operator \"modulo\""); return null; }
    const remainder = cfg.int("remainder", 0, 0, divisor - 1);
    if (!cfg.ok()) return null;
    return new Modulo(source, <u64>divisor, <u64>remainder);
  }
  if (op == "percentage") {
    if (!cfg.has("percent")) { cfg.fail("percent", "is required for operator \"percentage\""); return null; }
    const percent = cfg.num("percent", 0, 0, 100);
    const salt = cfg.str("salt", "");
    if (!cfg.ok()) return null;
    return new Percentage(source, percentToBuckets(percent), salt);
  }
  // cidr
  const values = requiredList(cfg, "values", op, MAX_CIDR_VALUES);
  if (values === null) return null;
  const set = new CidrSet(values.length);
  for (let i = 0; i < values.length; i++) {
    const err = set.add(values[i]);
    if (err.length) cfg.fail("values[" + i.toString() + "]", err);
  }
  return cfg.ok() ? new Cidr(source, set) : null;
}

function requiredList(cfg: ConfigObject, key: string, op: string, maxItems: i32): string[] | null {
  if (!cfg.has(key)) { cfg.fail(key, "is required for operator \"" + op + "\""); return null; }
  const list = cfg.strList(key, maxItems);
  if (!cfg.ok()) return null;
  if (list.length == 0) { cfg.fail(key, "must not be empty"); return null; }
  return list;
}
