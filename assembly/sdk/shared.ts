// Shared data across the worker VMs of one vm_id, and shared queues.
import { getSharedData, setSharedData, SharedValue, registerSharedQueue, resolveSharedQueue, enqueueSharedQueue, dequeueSharedQueue } from "./hostcalls";
import { WasmResultValues } from "./types";

/**
 * One read-modify-write step for casUpdate(): given the current value (null if the key is new),
 * return the value to store, or null to leave the key unchanged. Keep state in fields: it may run
 * several times when other workers write in between.
 */
export abstract class SharedUpdate {
  abstract update(current: ArrayBuffer | null): ArrayBuffer | null;
}

export enum CasOutcome {
  /** The new value was stored (or the updater chose not to store). */
  Ok = 0,
  /** Other workers kept winning; gave up after the retry bound. */
  Contended = 1,
  /** The host refused the read or write. */
  Failed = 2,
}

/** Attempts used by the last casUpdate (1 = no conflict). */
export let casAttempts: i32 = 0;

/**
 * Atomically updates `key` with compare-and-swap, retrying up to `maxAttempts` times when another
 * worker wrote in between. Without CAS, concurrent workers lose each other's updates.
 */
export function casUpdate(key: string, updater: SharedUpdate, maxAttempts: i32 = 16): CasOutcome {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    casAttempts = attempt;
    const cur = getSharedData(key);
    const next = updater.update(cur.value);
    if (next === null) return CasOutcome.Ok;
    // For a key that does not exist yet cur.cas is 0, an unconditional write: the ABI has no
    // create-if-absent, so create contended keys up front with ensureSharedData().
    const st = setSharedData(key, next, cur.cas);
    if (st == WasmResultValues.Ok) return CasOutcome.Ok;
    if (st != WasmResultValues.CasMismatch) return CasOutcome.Failed;
  }
  return CasOutcome.Contended;
}

/**
 * Creates `key` with `initial` if it does not exist yet. Call it at configure time for keys that
 * workers will update concurrently: the ABI cannot create a key atomically, so two workers creating
 * the same key during traffic could overwrite each other's first update. Workers that race here all
 * write the same initial value, which is harmless. Returns false if the host refused.
 */
export function ensureSharedData(key: string, initial: ArrayBuffer): bool {
  const cur = getSharedData(key);
  if (cur.value !== null) return true;
  return setSharedData(key, initial, 0) == WasmResultValues.Ok;
}

export { SharedValue, getSharedData, setSharedData };

/** A shared queue: register one to receive (onQueueReady fires on the registering root), resolve one to send. */
export class SharedQueue {
  private constructor(public readonly id: u32) {}
  static register(name: string): SharedQueue | null {
    const id = registerSharedQueue(name);
    return id == 0 ? null : new SharedQueue(id);
  }
  static resolve(vmId: string, name: string): SharedQueue | null {
    const id = resolveSharedQueue(vmId, name);
    return id == 0 ? null : new SharedQueue(id);
  }
  enqueue(value: ArrayBuffer): u32 { return enqueueSharedQueue(this.id, value); }
  enqueueString(value: string): u32 { return enqueueSharedQueue(this.id, String.UTF8.encode(value)); }
  /** The next item, or null when empty. */
  dequeue(): ArrayBuffer | null { return dequeueSharedQueue(this.id); }
}
