// The virtual clock: time moves only when the test says so, so ticks and timeouts are deterministic.

export class VirtualClock {
  /** Wall-clock start, ns since the epoch. */
  private readonly startNs: bigint;
  /** Virtual time elapsed since the host started, in ns. */
  private elapsedNs = 0n;

  private readonly realBase: bigint | null;

  /** With `realTime`, the clock follows the machine's clocks and advancing it does nothing. */
  constructor(start?: bigint | Date | number, realTime = false) {
    this.realBase = realTime ? process.hrtime.bigint() : null;
    if (start instanceof Date) this.startNs = BigInt(start.getTime()) * 1_000_000n;
    else if (typeof start === "bigint") this.startNs = start;
    else if (typeof start === "number") this.startNs = BigInt(Math.round(start)) * 1_000_000n;
    else this.startNs = BigInt(Date.now()) * 1_000_000n;
  }

  /** Realtime clock (WASI clock 0, proxy_get_current_time_nanoseconds). */
  realtimeNs(): bigint {
    if (this.realBase !== null) return BigInt(Date.now()) * 1_000_000n;
    return this.startNs + this.elapsedNs;
  }

  /** Monotonic clock (WASI clock 1): virtual ns since the host started. */
  monotonicNs(): bigint {
    if (this.realBase !== null) return process.hrtime.bigint() - this.realBase;
    return this.elapsedNs;
  }

  /** Elapsed virtual milliseconds (may be fractional). */
  nowMs(): number {
    return Number(this.monotonicNs()) / 1e6;
  }

  advanceMs(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance: ms must be ≥ 0, got ${ms}`);
    if (this.realBase !== null) return;
    this.elapsedNs += BigInt(Math.round(ms * 1e6));
  }

  /** Moves to an absolute elapsed time (never backwards). */
  advanceToMs(ms: number): void {
    if (this.realBase !== null) return;
    const target = BigInt(Math.round(ms * 1e6));
    if (target > this.elapsedNs) this.elapsedNs = target;
  }
}
