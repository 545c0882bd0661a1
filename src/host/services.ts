// The contracts between the test host's layers. Lower layers depend on these interfaces, never on
// the classes above them: the host functions and the VM see the plugin host as `PluginHost`
// (ProxyHost implements it) and a stream as `VmStream` (HttpStream implements it). This keeps the
// imports one-way: state → host functions → VM → streams/callouts → ProxyHost.
import type { Pair } from "./bytes.js";
import type { CallCounts } from "./call-counts.js";
import type { VirtualClock } from "./clock.js";
import type { HeaderMap } from "./header-map.js";
import type { MetricsStore } from "./metrics.js";
import type { PluginFacts, StreamFacts } from "./properties.js";
import type { SharedDataStore } from "./shared-data.js";

/** A host buffer the module may read (and, for bodies, write). */
export interface BufferRef {
  get(): Uint8Array;
  set?(b: Uint8Array): void;
}

/** Data a callout callback may read while it runs (maps 4–7, buffers 4–5). */
export interface CalloutScratch {
  headers?: HeaderMap | null;
  trailers?: HeaderMap | null;
  body?: Uint8Array | null;
}

/** A result status with an optional call id (callouts) or result bytes (foreign functions). */
export interface StartResult {
  status: number;
  id?: number;
}

/** An HTTP stream as the VM and its host functions act on it. */
export interface VmStream {
  readonly rootContextId: number;
  readonly inAccessLog: boolean;
  stopNextIteration: boolean;
  readonly testProperties: Map<string, Uint8Array>;
  readonly testDefaults: Map<string, Uint8Array>;
  readonly filterProperties: Map<string, Uint8Array>;
  facts(): StreamFacts;
  map(type: number, mutable: boolean): HeaderMap | null;
  bodyBuffer(type: number): BufferRef;
  noteRequestHeadersModified(): void;
  resume(dir: "request" | "response"): void;
  closeByPlugin(): void;
  applyLocalResponse(code: number, details: string, body: Uint8Array, headers: [string, string][], grpc: number): void;
}

/**
 * What a VM (`V`) and its host functions need from the plugin host: configuration, the shared
 * stores, the clock, logs, traps, deferred work, and the services that outlive one VM call
 * (callouts, foreign functions, queues).
 */
export interface PluginHost<V> {
  readonly clock: VirtualClock;
  readonly store: SharedDataStore;
  readonly metricsStore: MetricsStore;
  /** ABI crossings are counted here when not null. */
  readonly callCounts: CallCounts | null;
  readonly vmId: string;
  readonly pluginFacts: PluginFacts;
  readonly properties: Map<string, Uint8Array>;
  readonly vmConfigBytes: Uint8Array;
  readonly envEntries: Uint8Array[];
  readonly logLevelNumber: number;
  writeLog(level: number, message: string, vm: V): void;
  reportTrap(vm: V, fn: string, message: string, stream: VmStream | null): void;
  /** Work Envoy does after a VM call returns (local replies, continue/close, queue delivery). */
  defer(action: () => void): void;
  runDeferred(): void;
  postQueueReady(vm: V, rootId: number, token: number): void;
  callForeign(vm: V, name: string, args: Uint8Array): { status: number; result?: Uint8Array };
  startHttpCall(vm: V, cluster: string, headers: Pair[], body: Uint8Array, trailers: Pair[], timeout: number): StartResult;
  startGrpc(vm: V, kind: "call" | "stream", cluster: string, service: string, method: string, md: Pair[], message: Uint8Array | null, timeout: number): StartResult;
  grpcSend(vm: V, id: number, message: Uint8Array, end: boolean): number;
  grpcCancel(vm: V, id: number, how: "cancel" | "close"): number;
}
