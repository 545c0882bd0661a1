// The limited response's header map, serialized straight into one reusable buffer: the names and the
// configured headers are encoded once, numbers are written as digits in place. A flood of rejected
// requests — the path a rate limiter takes most under attack — then allocates nothing per request.
import { Headers, isHeaderName, isHeaderValue } from "../../index";

/** A header's name and value, UTF-8 encoded once. */
class EncodedPair {
  constructor(public readonly name: ArrayBuffer, public readonly value: ArrayBuffer) {}
}

const RETRY_AFTER = String.UTF8.encode("retry-after");
const LIMIT = String.UTF8.encode("x-ratelimit-limit");
const REMAINING = String.UTF8.encode("x-ratelimit-remaining");
const RESET = String.UTF8.encode("x-ratelimit-reset");
const ZERO = String.UTF8.encode("0");
const MAX_DIGITS: i32 = 20; // u64

/** Builds the ABI header map (u32 count, count × (u32 name_len, u32 value_len), then name\0value\0 …). */
export class LimitedHeaders {
  private readonly extra: EncodedPair[];
  private readonly buf: ArrayBuffer;
  private count: i32 = 0;
  private lens: usize = 0;
  private data: usize = 0;

  /**
   * `extra`: the configured response headers. The configuration already refuses names that are not
   * tokens and values with CR, LF, NUL or other controls; a pair that is either anyway is left out, so
   * this map can never carry an injected header line.
   */
  constructor(extra: Headers) {
    let size = 4 + 8 * (4 + extra.length);
    // Fixed names, their NULs, and values: two numbers, "0", and a limit (a burst, ≤ 10 digits).
    size += RETRY_AFTER.byteLength + LIMIT.byteLength + REMAINING.byteLength + RESET.byteLength + 8 + 3 * MAX_DIGITS + 1;
    const pairs = new Array<EncodedPair>();
    for (let i = 0; i < extra.length; i++) {
      if (!isHeaderName(extra[i].key) || !isHeaderValue(extra[i].value)) continue;
      const p = new EncodedPair(String.UTF8.encode(extra[i].key), String.UTF8.encode(extra[i].value));
      pairs.push(p);
      size += p.name.byteLength + p.value.byteLength + 2;
    }
    this.extra = pairs;
    this.buf = new ArrayBuffer(size);
  }

  get ptr(): usize { return changetype<usize>(this.buf); }

  /**
   * Serializes retry-after, the x-ratelimit-* headers when `withLimits` (limit = `limit`, the rule's
   * burst as UTF-8), then the configured headers. Returns the byte length at `ptr`.
   */
  build(retrySeconds: u64, withLimits: bool, limit: ArrayBuffer, resetSeconds: u64): usize {
    const n = 1 + (withLimits ? 3 : 0) + this.extra.length;
    const base = this.ptr;
    store<u32>(base, <u32>n);
    this.lens = base + 4;
    this.data = base + 4 + <usize>n * 8;
    this.pairNumber(RETRY_AFTER, retrySeconds);
    if (withLimits) {
      this.pair(LIMIT, changetype<usize>(limit), limit.byteLength);
      this.pair(REMAINING, changetype<usize>(ZERO), 1);
      this.pairNumber(RESET, resetSeconds);
    }
    for (let i = 0; i < this.extra.length; i++) {
      const e = unchecked(this.extra[i]);
      this.pair(e.name, changetype<usize>(e.value), e.value.byteLength);
    }
    return this.data - base;
  }

  private pair(name: ArrayBuffer, valuePtr: usize, valueLen: i32): void {
    const d = this.data;
    memory.copy(d, changetype<usize>(name), <usize>name.byteLength);
    store<u8>(d + <usize>name.byteLength, 0);
    const v = d + <usize>name.byteLength + 1;
    memory.copy(v, valuePtr, <usize>valueLen);
    store<u8>(v + <usize>valueLen, 0);
    store<u32>(this.lens, <u32>name.byteLength);
    store<u32>(this.lens + 4, <u32>valueLen);
    this.lens += 8;
    this.data = v + <usize>valueLen + 1;
  }

  private pairNumber(name: ArrayBuffer, value: u64): void {
    // Digits go where the value will sit, then pair() copies them onto themselves (memory.copy is memmove).
    const at = this.data + <usize>name.byteLength + 1;
    const len = writeDigits(at, value);
    this.pair(name, at, len);
  }
}

/** Writes `value` in decimal at `p`; returns the number of digits. */
export function writeDigits(p: usize, value: u64): i32 {
  let digits = 1;
  for (let x = value; x >= 10; x /= 10) digits++;
  let x = value;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(p + <usize>i, <u8>(0x30 + <u32>(x % 10)));
    x /= 10;
  }
  return digits;
}
