// Randomness: host entropy (WASI random_get) seeds a fast per-VM generator (xoshiro256**), so a
// request needs no host call. Seeds differ per VM and per start, so ids differ across workers.
import { randomFill } from "./hostcalls";

let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
let seeded = false;

/** (Re)seeds from the host; falls back to the clock-free constant only if the host has no entropy. */
export function seedRandom(): void {
  const buf = new ArrayBuffer(32);
  const p = changetype<usize>(buf);
  if (!randomFill(buf)) {
    store<u64>(p, 0x9e3779b97f4a7c15); store<u64>(p, 0xbf58476d1ce4e5b9, 8);
    store<u64>(p, 0x94d049bb133111eb, 16); store<u64>(p, 0x2545f4914f6cdd1d, 24);
  }
  s0 = load<u64>(p); s1 = load<u64>(p, 8); s2 = load<u64>(p, 16); s3 = load<u64>(p, 24);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1; // the all-zero state is a fixed point
  seeded = true;
}

/** 64 random bits. */
export function randomU64(): u64 {
  if (!seeded) seedRandom();
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 17;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 45);
  return result;
}

/** A uniform value in [0, bound). */
export function randomBelow(bound: u64): u64 {
  if (bound == 0) return 0;
  return randomU64() % bound;
}

/** Fresh bytes straight from the host's entropy source (one host call). */
export function randomBytes(n: i32): ArrayBuffer {
  const buf = new ArrayBuffer(n);
  randomFill(buf);
  return buf;
}

// @ts-ignore: decorator
@inline function rotl(x: u64, k: u64): u64 { return (x << k) | (x >> (64 - k)); }
