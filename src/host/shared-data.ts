// Shared data and shared queues, as proxy-wasm-cpp-host keeps them: one store per process, keys
// scoped by vm_id, every write stamped with a new CAS value from one global counter.
import { Status } from "./abi.js";
import { type BytesLike, toBytes, toText } from "./bytes.js";

export interface SharedEntry {
  value: Uint8Array;
  cas: number;
}

type QueueOwner = { notify: (token: number) => void };

interface Queue {
  vmId: string;
  name: string;
  items: Uint8Array[];
  owner: QueueOwner | null;
}

/** The process-wide store. Share one instance between ProxyHosts to model plugins sharing a vm_id. */
export class SharedDataStore {
  private data = new Map<string, Map<string, SharedEntry>>();
  private casCounter = 0;
  private queues = new Map<number, Queue>();
  private queueTokens = new Map<string, number>();
  private nextQueueToken = 1;

  private nextCas(): number {
    this.casCounter = (this.casCounter + 1) >>> 0;
    if (this.casCounter === 0) this.casCounter = 1;
    return this.casCounter;
  }

  private map(vmId: string): Map<string, SharedEntry> {
    let m = this.data.get(vmId);
    if (!m) this.data.set(vmId, (m = new Map()));
    return m;
  }

  get(vmId: string, key: string): SharedEntry | undefined {
    return this.data.get(vmId)?.get(key);
  }

  /**
   * cpp-host semantics: an existing key accepts the write only when cas is 0 or matches;
   * a missing key accepts any cas.
   */
  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    const m = this.map(vmId);
    const cur = m.get(key);
    if (cur && cas !== 0 && cas !== cur.cas) return Status.CasMismatch;
    m.set(key, { value: value.slice(), cas: this.nextCas() });
    return Status.Ok;
  }

  /** Host-side removal (cpp-host has it internally; the ABI has no delete). */
  delete(vmId: string, key: string): boolean {
    return this.data.get(vmId)?.delete(key) ?? false;
  }

  keys(vmId: string): string[] {
    return [...(this.data.get(vmId)?.keys() ?? [])];
  }

  // ---- queues

  registerQueue(vmId: string, name: string, owner: QueueOwner): number {
    const k = `${vmId}\0${name}`;
    let token = this.queueTokens.get(k);
    if (token === undefined) {
      token = this.nextQueueToken++;
      this.queueTokens.set(k, token);
      this.queues.set(token, { vmId, name, items: [], owner });
    } else {
      // Re-registration (another worker, a new root context) moves delivery there; items are kept.
      this.queues.get(token)!.owner = owner;
    }
    return token;
  }

  resolveQueue(vmId: string, name: string): number {
    return this.queueTokens.get(`${vmId}\0${name}`) ?? 0;
  }

  enqueue(token: number, value: Uint8Array): number {
    const q = this.queues.get(token);
    if (!q) return Status.NotFound;
    q.items.push(value.slice());
    q.owner?.notify(token);
    return Status.Ok;
  }

  dequeue(token: number): { status: number; value?: Uint8Array } {
    const q = this.queues.get(token);
    if (!q) return { status: Status.NotFound };
    const value = q.items.shift();
    return value ? { status: Status.Ok, value } : { status: Status.Empty };
  }

  queueItems(vmId: string, name: string): Uint8Array[] {
    const t = this.resolveQueue(vmId, name);
    return t ? [...this.queues.get(t)!.items] : [];
  }
}

/** The test's view of one vm_id's shared data: Map-like, with CAS. */
export class SharedDataView {
  constructor(private store: SharedDataStore, readonly vmId: string) {}

  /** The raw entry (value bytes and CAS), or undefined. */
  get(key: string): SharedEntry | undefined {
    return this.store.get(this.vmId, key);
  }

  /** The value as UTF-8 text, or undefined. */
  getString(key: string): string | undefined {
    const e = this.get(key);
    return e ? toText(e.value) : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Writes like proxy_set_shared_data; returns the ABI status (0 Ok, 8 CasMismatch). */
  set(key: string, value: BytesLike, cas = 0): number {
    return this.store.set(this.vmId, key, toBytes(value), cas);
  }

  delete(key: string): boolean {
    return this.store.delete(this.vmId, key);
  }

  keys(): string[] {
    return this.store.keys(this.vmId);
  }

  get size(): number {
    return this.keys().length;
  }

  /** Items waiting in a shared queue of this vm_id. */
  queue(name: string): Uint8Array[] {
    return this.store.queueItems(this.vmId, name);
  }
}
