// One VM: one instance of the module (Envoy runs one per worker thread), its contexts, and the
// per-call state host functions read (current/effective context, callout responses, status).
import { type AbiVersion, BufferType, MapType, Status, StreamType } from "./abi.js";
import type { HeaderMap } from "./header-map.js";
import { createImports, type HostFunctionTarget, ProcExit } from "./imports.js";
import { ModuleMemory } from "./memory.js";
import { VmMetrics } from "./metrics.js";
import { wellKnown } from "./properties.js";
import type { BufferRef, CalloutScratch, PluginHost, VmStream } from "./services.js";

export type { BufferRef, CalloutScratch } from "./services.js";

interface ContextRecord {
  id: number;
  stream: VmStream | null;
}

type Exported = Record<string, (...a: any[]) => any>;

export class Vm implements HostFunctionTarget<Vm> {
  readonly memory = new ModuleMemory();
  readonly metrics: VmMetrics;
  instance!: WebAssembly.Instance;
  private fns: Exported = {};
  readonly contexts = new Map<number, ContextRecord>();
  private nextContextId = 1;
  /** The root context streams are created under (changes on reconfigure). */
  rootContextId = 0;
  /** Set once a callback trapped: the VM is dead, as in Envoy. */
  failed: string | null = null;
  private current = 0;
  private effective = 0;
  private depth = 0;
  /** Buffers and maps only valid during specific callbacks. */
  pluginConfiguration: Uint8Array | null = null;
  callData: Uint8Array | null = null;
  httpResponse: CalloutScratch | null = null;
  grpcReceive: CalloutScratch | null = null;
  status = { code: 0, message: "" };
  /** Root contexts whose on_done returned false: they finish with proxy_done. */
  readonly pendingDone = new Set<number>();
  /** Root context id → tick period and next due time (virtual ms). */
  readonly ticks = new Map<number, { periodMs: number; dueMs: number }>();
  nextHttpCallId = 1;
  nextGrpcCallId = 1;
  nextGrpcStreamId = 2;

  constructor(public host: PluginHost<Vm>, public index: number, readonly abi: AbiVersion) {
    this.metrics = new VmMetrics(host.metricsStore);
  }

  instantiate(module: WebAssembly.Module): void {
    const imports = this.imports();
    // A module that imports its memory gets one created for it, as cpp-host does.
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind === "memory") {
        (imports[imp.module] ??= {})[imp.name] = new WebAssembly.Memory({ initial: 2 });
      }
    }
    // Synchronous on purpose: a FAIL_RELOAD restart happens inside a synchronous stream call.
    this.bind(new WebAssembly.Instance(module, imports));
  }

  /** The host functions for this VM, for an instance someone else creates (then call bind()). */
  imports(): WebAssembly.Imports {
    const imports = createImports(this, this.abi);
    const counts = this.host.callCounts;
    if (!counts) return imports;
    return Object.fromEntries(Object.entries(imports).map(([ns, fns]) => [ns, counts.wrap(fns as Record<string, unknown>, counts.host)])) as WebAssembly.Imports;
  }

  /** Adopts an instance created with this VM's imports(). */
  bind(instance: WebAssembly.Instance): void {
    this.instance = instance;
    const counts = this.host.callCounts;
    const exports = counts ? counts.wrap(instance.exports as Record<string, unknown>, counts.module) as WebAssembly.Exports : instance.exports;
    this.fns = exports as unknown as Exported;
    this.memory.bind(exports);
  }

  /**
   * Hands this running instance to another plugin host (the as-pect front-end: one spec instance,
   * a new host per test). Context ids keep counting; metric ids move to the new host's stats store.
   */
  attach(host: PluginHost<Vm>, index: number): void {
    this.host = host;
    this.index = index;
    this.metrics.rebind(host.metricsStore);
    this.failed = null;
    this.ticks.clear();
    this.pendingDone.clear();
  }

  has(name: string): boolean {
    return typeof this.fns[name] === "function";
  }

  newContextId(): number {
    return this.nextContextId++;
  }

  addContext(id: number, stream: VmStream | null): void {
    this.contexts.set(id, { id, stream });
  }

  removeContext(id: number): void {
    this.contexts.delete(id);
    this.ticks.delete(id);
  }

  /**
   * Calls an exported function with `contextId` current. Returns undefined when the function is
   * not exported or the VM is (or just became) failed; a trap marks the VM failed and is reported.
   */
  call(name: string, contextId: number, ...args: (number | bigint)[]): number | undefined {
    const n = args.length;
    return n > 5 ? this.run(name, contextId, n, undefined, undefined, undefined, undefined, undefined, args)
      : this.run(name, contextId, n, args[0], args[1], args[2], args[3], args[4], null);
  }

  /** call() with up to five arguments and no rest array (the hot path: every stream callback). */
  call5(name: string, contextId: number, n: number, a?: number | bigint, b?: number | bigint, c?: number | bigint,
    d?: number | bigint, e?: number | bigint): number | undefined {
    return this.run(name, contextId, n, a, b, c, d, e, null);
  }

  /** Exactly `n` arguments reach the export (a..e, or `rest` when there are more than five). */
  private run(name: string, contextId: number, n: number, a: number | bigint | undefined, b: number | bigint | undefined,
    c: number | bigint | undefined, d: number | bigint | undefined, e: number | bigint | undefined, rest: (number | bigint)[] | null): number | undefined {
    if (this.failed !== null) return undefined;
    const fn = this.fns[name];
    if (typeof fn !== "function") return undefined;
    const savedCurrent = this.current, savedEffective = this.effective;
    this.current = contextId;
    this.effective = 0;
    this.depth++;
    try {
      const r = rest ? fn(...rest) : n === 0 ? fn() : n === 1 ? fn(a) : n === 2 ? fn(a, b) : n === 3 ? fn(a, b, c) : n === 4 ? fn(a, b, c, d) : fn(a, b, c, d, e);
      return typeof r === "number" ? r : r === undefined ? 0 : Number(r);
    } catch (err) {
      this.fail(name, err);
      return undefined;
    } finally {
      this.depth--;
      this.current = savedCurrent;
      this.effective = savedEffective;
      if (this.depth === 0) this.host.runDeferred();
    }
  }

  get busy(): boolean {
    return this.depth > 0;
  }

  private fail(name: string, e: unknown): void {
    let reason = e instanceof ProcExit ? e.message : e instanceof Error ? e.message : String(e);
    if (e instanceof WebAssembly.RuntimeError || e instanceof ProcExit) reason = `Uncaught RuntimeError: ${reason}`;
    const message = `Function: ${name} failed: ${reason}`;
    this.failed = message;
    this.host.reportTrap(this, name, message, this.currentStream());
  }

  /** The context host functions act on: the effective one if set, else the one being called. */
  contextId(): number {
    return this.effective !== 0 && this.contexts.has(this.effective) ? this.effective : this.current;
  }

  currentStream(): VmStream | null {
    return this.contexts.get(this.contextId())?.stream ?? null;
  }

  /** The root context of the current context (callouts and ticks belong to it). */
  currentRootId(): number {
    const s = this.currentStream();
    return s ? s.rootContextId : this.contextId() || this.rootContextId;
  }

  // ---------------------------------------------------------------- host-function hooks

  setEffectiveContext(id: number): number {
    if (!this.contexts.has(id)) return Status.BadArgument;
    this.effective = id;
    return Status.Ok;
  }

  done(): number {
    const id = this.contextId();
    if (!this.pendingDone.has(id)) return Status.NotFound;
    this.pendingDone.delete(id);
    this.host.defer(() => {
      this.call("proxy_on_delete", id, id);
      this.removeContext(id);
    });
    return Status.Ok;
  }

  setTickPeriod(ms: number): number {
    const root = this.currentRootId();
    if (ms === 0) this.ticks.delete(root);
    else this.ticks.set(root, { periodMs: ms, dueMs: this.host.clock.nowMs() + ms });
    return Status.Ok;
  }

  getBuffer(type: number): BufferRef | null {
    switch (type) {
      case BufferType.VmConfiguration: {
        const b = this.host.vmConfigBytes;
        return { get: () => b };
      }
      case BufferType.PluginConfiguration: {
        const b = this.pluginConfiguration;
        return b ? { get: () => b } : null;
      }
      case BufferType.CallData: {
        const b = this.callData ?? new Uint8Array(0);
        return { get: () => b };
      }
      case BufferType.HttpCallResponseBody: {
        const b = this.httpResponse?.body;
        return b ? { get: () => b } : null;
      }
      case BufferType.GrpcReceiveBuffer: {
        const b = this.grpcReceive?.body;
        return b ? { get: () => b } : null;
      }
      case BufferType.DownstreamData:
      case BufferType.UpstreamData:
        return { get: () => new Uint8Array(0) }; // HTTP streams carry no TCP data; Envoy still answers OK/empty
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
        // Envoy hands out an empty buffer when no body is at hand (never NOT_FOUND).
        return this.currentStream()?.bodyBuffer(type) ?? { get: () => new Uint8Array(0) };
    }
    return null;
  }

  getMap(type: number, mutable: boolean): HeaderMap | null {
    switch (type) {
      case MapType.HttpCallResponseHeaders: return this.httpResponse?.headers ?? null;
      case MapType.HttpCallResponseTrailers: return this.httpResponse?.trailers ?? null;
      case MapType.GrpcInitialMetadata: return this.grpcReceive?.headers ?? null;
      case MapType.GrpcTrailingMetadata: return this.grpcReceive?.trailers ?? null;
    }
    return this.currentStream()?.map(type, mutable) ?? null;
  }

  inAccessLog(): boolean {
    return this.currentStream()?.inAccessLog ?? false;
  }

  headersModified(type: number): void {
    if (type === MapType.RequestHeaders) this.currentStream()?.noteRequestHeadersModified();
  }

  continueStream(type: number): number {
    if (type === StreamType.Upstream) return Status.Unimplemented;
    const s = this.currentStream();
    if (s && (type === StreamType.Request || type === StreamType.Response)) {
      this.host.defer(() => s.resume(type === StreamType.Request ? "request" : "response"));
    }
    return Status.Ok;
  }

  closeStream(type: number): number {
    const s = this.currentStream();
    if (s && (type === StreamType.Request || type === StreamType.Response)) this.host.defer(() => s.closeByPlugin());
    return Status.Ok;
  }

  sendLocalResponse(code: number, details: string, body: Uint8Array, headers: [string, string][], grpc: number): void {
    const s = this.currentStream();
    if (!s) return; // root context: Envoy has no decoder callbacks and ignores it
    s.stopNextIteration = true;
    this.host.defer(() => s.applyLocalResponse(code, details, body, headers, grpc));
  }

  registerQueue(name: string): number {
    const root = this.currentRootId();
    return this.host.store.registerQueue(this.host.vmId, name, {
      notify: (token) => this.host.postQueueReady(this, root, token),
    });
  }

  /** Paths from the module are used as given ("\0"-joined): a dotted path is a different (unknown) path, as in Envoy. */
  getProperty(p: string): Uint8Array | undefined {
    const s = this.currentStream();
    const fromTest = s?.testProperties.get(p) ?? this.host.properties.get(p);
    if (fromTest) return fromTest;
    const known = wellKnown(p, this.host.pluginFacts, s);
    if (known) return known;
    return s?.filterProperties.get(p) ?? s?.testDefaults.get(p);
  }

  setProperty(path: string, value: Uint8Array): number {
    const s = this.currentStream();
    if (!s) return Status.NotFound; // Envoy: no stream info outside a stream
    s.filterProperties.set(path, value.slice());
    return Status.Ok;
  }
}
