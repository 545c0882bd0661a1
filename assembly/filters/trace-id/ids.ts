// New ids from the SDK's per-VM generator (xoshiro256**, seeded from WASI random_get when the VM
// starts), so ids differ across worker VMs and restarts and a request costs no host call.
// Every bit is random, which is what the W3C Level 2 `random` flag promises.
import { randomU64 } from "../../index";
import { writeHex64 } from "./hex";
import { TraceContext } from "./trace";

/** A random 64-bit id, never zero (zero is the "invalid" id in W3C and B3). */
export function newSpanId(): u64 {
  let v = randomU64();
  while (v == 0) v = randomU64();
  return v;
}

/** Writes a UUID (8-4-4-4-12 lowercase hex) of the 128 bits hi:lo at `dst`; returns 36. */
export function writeUuid(dst: usize, hi: u64, lo: u64): usize {
  writeHex64(dst, hi >> 32, 8);
  store<u8>(dst + 8, 0x2d);
  writeHex64(dst + 9, hi >> 16, 4);
  store<u8>(dst + 13, 0x2d);
  writeHex64(dst + 14, hi, 4);
  store<u8>(dst + 18, 0x2d);
  writeHex64(dst + 19, lo >> 48, 4);
  store<u8>(dst + 23, 0x2d);
  writeHex64(dst + 24, lo, 12);
  return 36;
}

/** Writes a fresh random UUID version 4 (RFC 9562 §5.4: version nibble 4, variant bits 10). */
export function writeUuidV4(dst: usize): usize {
  const hi = (randomU64() & 0xffffffffffff0fff) | 0x0000000000004000;
  const lo = (randomU64() & 0x3fffffffffffffff) | 0x8000000000000000;
  return writeUuid(dst, hi, lo);
}

/** A random 128-bit trace id into hi/lo of `out`, never all zeros. */
export function newTraceId(out: TraceContext): void {
  let hi = randomU64();
  let lo = randomU64();
  while ((hi | lo) == 0) { hi = randomU64(); lo = randomU64(); }
  out.hi = hi;
  out.lo = lo;
}
