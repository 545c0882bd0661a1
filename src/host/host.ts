// ProxyHost: the test API. Loads a compiled proxy-wasm module into N worker VMs the way Envoy does
// (VM start, configure), opens HTTP streams, and exposes what a test asserts on: logs, metrics,
// shared data, callouts, foreign-function calls, traps.
import { GrpcStatus, LOG_LEVELS, type LogLevelName, Status } from "./abi.js";
import { type BytesLike, type Pair, toBytes } from "./bytes.js";
import { type CalloutHost, type GrpcReply, GrpcCall, HttpCall } from "./callouts.js";
import { CallCounts } from "./call-counts.js";
import { VirtualClock } from "./clock.js";
import { builtinForeign, type ForeignCall, type ForeignFunction } from "./foreign.js";
import type { HeaderMap } from "./header-map.js";
import { checkModule, compileModule } from "./loader.js";
import { type MetricValue, MetricsStore } from "./metrics.js";
import { encodeAll, type PluginFacts, type PropertyInit } from "./properties.js";
import type { CalloutScratch, PluginHost, VmStream } from "./services.js";
import { SharedDataStore, SharedDataView } from "./shared-data.js";
import { type FailurePolicy, HttpStream, ProxyWasmTrap, type StreamHost, type StreamOptions } from "./stream.js";
import { Vm } from "./vm.js";

export type { FailurePolicy };

export interface ProxyHostOptions {
  /** Path to a compiled module (e.g. "build/add-header.wasm"), its bytes, or a compiled module. */
  wasm: string | Uint8Array | WebAssembly.Module;
  /** Plugin root_id (default ""). */
  rootId?: string;
  /** Plugin name (the `plugin_name` property; default: rootId). */
  name?: string;
  /** Plugin configuration: a string is passed as is (StringValue); anything else is JSON.stringify'd (Struct). */
  pluginConfig?: unknown;
  /** vm_config.configuration. */
  vmConfig?: string;
  /** vm_config.vm_id: scopes shared data and queues (default ""). */
  vmId?: string;
  /** Worker VMs (Envoy --concurrency); default 1. */
  vms?: number;
  /** Host-wide properties; keys "a.b.c" or "a\0b\0c". */
  properties?: PropertyInit;
  /** vm_config.environment_variables. */
  env?: Record<string, string>;
  /** Envoy's wasm log level; messages below it are dropped (default "info"). */
  logLevel?: LogLevelName;
  /**
   * Simulates failure_policy. When given, a trap is applied as Envoy would (503 for FAIL_CLOSED,
   * pass-through for FAIL_OPEN, a fresh VM for the next stream with FAIL_RELOAD) and recorded in
   * `s.trap`/`host.traps`. When omitted, a trap throws ProxyWasmTrap so the test fails with the message.
   */
  failurePolicy?: FailurePolicy;
  /** Throw on traps even when simulating failure_policy (default: only when failurePolicy is omitted). */
  throwOnTrap?: boolean;
  /** Start of the virtual clock (default: now). */
  now?: bigint | Date | number;
  /** Use the real clock instead of the virtual one (the dev proxy does). */
  realTime?: boolean;
  /** Foreign functions the plugin may call (Envoy's clear_route_cache and set_envoy_filter_state are built in). */
  foreignFunctions?: Record<string, ForeignFunction>;
  /** Known upstream clusters; when given, callouts to others are refused as Envoy refuses them. */
  clusters?: string[];
  /** Share shared data/queues with other hosts (plugins on the same vm_id in one Envoy). */
  sharedData?: SharedDataStore;
  /** Share the stats store with other hosts. */
  metricsStore?: MetricsStore;
  /** Print plugin logs to stderr as they happen. */
  printLogs?: boolean;
  /** Count every ABI crossing (host functions called, exports entered) in `callCounts`. */
  countCalls?: boolean;
}

export interface LogEntry {
  level: LogLevelName;
  message: string;
  /** Worker VM index. */
  vm: number;
}

export interface TrapRecord {
  vm: number;
  function: string;
  message: string;
  stream: HttpStream | null;
}

export class ProxyHost implements PluginHost<Vm>, StreamHost, CalloutHost {
  readonly vms: Vm[] = [];
  readonly clock: VirtualClock;
  readonly store: SharedDataStore;
  readonly metricsStore: MetricsStore;
  readonly sharedData: SharedDataView;
  /** ABI crossings of every VM, when created with `countCalls: true` (else null). */
  readonly callCounts: CallCounts | null;
  readonly logs: LogEntry[] = [];
  readonly traps: TrapRecord[] = [];
  /** Callouts waiting for an answer (answered ones leave this list). */
  readonly httpCalls: HttpCall[] = [];
  readonly grpcCalls: GrpcCall[] = [];
  /** Every callout ever started, answered or not. */
  readonly httpCallLog: HttpCall[] = [];
  readonly grpcCallLog: GrpcCall[] = [];
  readonly foreignCalls: ForeignCall[] = [];
  /** False when on_vm_start or on_configure refused the configuration (Envoy would reject the plugin). */
  configured = false;
  readonly vmId: string;
  readonly pluginFacts: PluginFacts;
  readonly properties: Map<string, Uint8Array>;
  readonly vmConfigBytes: Uint8Array;
  readonly envEntries: Uint8Array[];
  readonly failurePolicy: FailurePolicy;
  readonly throwOnTrap: boolean;
  logLevelNumber: number;
  private pluginConfigBytes: Uint8Array;
  private readonly foreign: Record<string, ForeignFunction>;
  private readonly clusters: Set<string> | null;
  private readonly module: WebAssembly.Module;
  private deferred: (() => void)[] = [];
  private pendingTrap: string | null = null;
  private rr = 0;
  /** Streams created in a VM and not yet completed (each is tracked once and forgotten once). */
  private live = 0;

  private constructor(private opts: ProxyHostOptions, module: WebAssembly.Module) {
    this.module = module;
    this.clock = new VirtualClock(opts.now, opts.realTime);
    this.store = opts.sharedData ?? new SharedDataStore();
    this.metricsStore = opts.metricsStore ?? new MetricsStore();
    this.callCounts = opts.countCalls ? new CallCounts() : null;
    this.vmId = opts.vmId ?? "";
    this.sharedData = new SharedDataView(this.store, this.vmId);
    const rootId = opts.rootId ?? "";
    this.pluginFacts = { pluginName: opts.name ?? rootId, rootId, vmId: this.vmId };
    this.properties = encodeAll(opts.properties);
    this.vmConfigBytes = toBytes(opts.vmConfig ?? "");
    this.pluginConfigBytes = configBytes(opts.pluginConfig);
    this.envEntries = Object.entries(opts.env ?? {}).map(([k, v]) => toBytes(`${k}=${v}`));
    this.failurePolicy = opts.failurePolicy ?? "FAIL_CLOSED";
    this.throwOnTrap = opts.throwOnTrap ?? opts.failurePolicy === undefined;
    this.logLevelNumber = levelNumber(opts.logLevel ?? "info");
    this.foreign = opts.foreignFunctions ?? {};
    this.clusters = opts.clusters ? new Set(opts.clusters) : null;
  }

  /** Loads the module into `vms` worker VMs and runs VM start and configure on each. */
  static async create(opts: ProxyHostOptions): Promise<ProxyHost> {
    const vms = opts.vms ?? 1;
    if (!Number.isInteger(vms) || vms < 1) throw new RangeError(`vms must be a positive integer, got ${vms}`);
    const module = compileModule(opts.wasm);
    const abi = checkModule(module);
    const host = new ProxyHost(opts, module);
    let ok = true;
    for (let i = 0; i < vms; i++) {
      const vm = new Vm(host, i, abi);
      vm.instantiate(module);
      host.vms.push(vm);
      ok = host.startVm(vm) && ok;
    }
    host.configured = ok;
    host.throwPendingTrap();
    return host;
  }

  /**
   * Starts the plugin on VMs whose instances already run (created from their `imports()` and
   * started by someone else): the as-pect front-end, where VM 0 is the spec's own instance. Each
   * VM gets a new root context (on_context_create, on_vm_start, on_configure), as in create().
   */
  static attach(opts: ProxyHostOptions, vms: Vm[]): ProxyHost {
    const host = new ProxyHost(opts, compileModule(opts.wasm));
    let ok = vms.length > 0;
    vms.forEach((vm, i) => {
      vm.attach(host, i);
      host.vms.push(vm);
      const r = host.startRoot(vm);
      vm.rootContextId = r.id;
      ok = r.ok && ok;
    });
    host.configured = ok;
    host.throwPendingTrap();
    return host;
  }

  /** The wasm log level (proxy_get_log_level); lowering or raising it takes effect at once. */
  get logLevel(): LogLevelName {
    return LOG_LEVELS[this.logLevelNumber];
  }

  set logLevel(l: LogLevelName) {
    this.logLevelNumber = levelNumber(l);
  }

  /** Opens an HTTP stream on a worker VM (round-robin unless `vm` is given). */
  newHttpStream(opts: StreamOptions = {}): HttpStream {
    if (!this.configured) throw new Error("newHttpStream: the plugin is not configured (on_vm_start/on_configure returned false); Envoy would have rejected it");
    const index = opts.vm ?? this.rr++ % this.vms.length;
    const vm = this.vms[index];
    if (!vm) throw new RangeError(`newHttpStream: no VM ${index} (host has ${this.vms.length})`);
    if (vm.failed && this.failurePolicy === "FAIL_RELOAD") this.reloadVm(index);
    const v = this.vms[index];
    return new HttpStream(this, v, v.newContextId(), v.rootContextId, opts);
  }

  /**
   * A new plugin configuration, as Envoy applies it: a new root context per VM runs VM start and
   * configure; if every VM accepts, new streams use it and the old root contexts are retired.
   */
  async reconfigure(pluginConfig: unknown): Promise<boolean> {
    return this.reconfigureNow(pluginConfig);
  }

  /** reconfigure(), synchronously (for callers that cannot await: the as-pect front-end). */
  reconfigureNow(pluginConfig: unknown): boolean {
    const bytes = configBytes(pluginConfig);
    const old = this.vms.map((vm) => vm.rootContextId);
    const fresh: number[] = [];
    let ok = true;
    const saved = this.pluginConfigBytes;
    this.pluginConfigBytes = bytes;
    for (const vm of this.vms) {
      const r = this.startRoot(vm);
      fresh.push(r.id);
      ok = ok && r.ok;
    }
    const retire = ok ? old : fresh;
    this.vms.forEach((vm, i) => {
      if (ok) vm.rootContextId = fresh[i];
      this.retireRoot(vm, retire[i]);
    });
    if (!ok) this.pluginConfigBytes = saved;
    else this.configured = true;
    this.throwPendingTrap();
    return ok;
  }

  /** Value of a counter or gauge (histograms: number of samples), or undefined if never defined. */
  metric(name: string): number | undefined {
    return this.metricsStore.get(name)?.value;
  }

  /** Histogram samples in recording order. */
  histogram(name: string): number[] {
    return [...(this.metricsStore.get(name)?.samples ?? [])];
  }

  get metrics(): Record<string, MetricValue> {
    return Object.fromEntries(this.metricsStore.byName);
  }

  /** Log messages (optionally of one level), in order. */
  logMessages(level?: LogLevelName): string[] {
    return this.logs.filter((l) => !level || l.level === level).map((l) => l.message);
  }

  /** How many times the plugin cleared the route cache on `stream`. */
  routeCacheCleared(stream: HttpStream): number {
    return stream.routeCacheCleared;
  }

  /** Streams opened and not yet completed. */
  get liveStreams(): number {
    return this.live;
  }

  /**
   * Advances the virtual clock by `ms`, firing every tick and callout timeout that falls due on the
   * way, in time order. Without `ms`, advances to the next due tick and fires it. Returns the
   * number of ticks fired.
   */
  tick(ms?: number): number {
    const target = ms === undefined ? this.nextTickDue() : this.clock.nowMs() + ms;
    if (target === null) return 0;
    const fired = this.runDue(target);
    this.clock.advanceToMs(target);
    this.throwPendingTrap();
    return fired;
  }

  /** Moves the virtual clock without firing ticks or timeouts (for time-based logic such as token buckets). */
  advanceTime(ms: number): void {
    this.clock.advanceMs(ms);
  }

  /** Fires what is due at the current time (used with realTime clocks by the dev proxy). */
  runTimers(): number {
    const n = this.runDue(this.clock.nowMs());
    this.throwPendingTrap();
    return n;
  }

  /** Calls proxy_on_foreign_function on a VM's root context (a host-initiated foreign callback). */
  invokeForeignFunction(functionId: number, args: BytesLike, opts: { vm?: number } = {}): void {
    const vm = this.vms[opts.vm ?? 0];
    vm.callData = toBytes(args);
    vm.call("proxy_on_foreign_function", vm.rootContextId, vm.rootContextId, functionId, vm.callData.length);
    vm.callData = null;
    this.throwPendingTrap();
  }

  /** Shuts the plugin down: proxy_on_done on each root context (and proxy_on_delete unless it defers). */
  shutdown(): void {
    for (const vm of this.vms) this.retireRoot(vm, vm.rootContextId);
    this.configured = false;
    this.throwPendingTrap();
  }

  // ---------------------------------------------------------------- internals used by Vm / HttpStream

  private startVm(vm: Vm): boolean {
    if (vm.has("_initialize")) {
      vm.call("_initialize", 0);
      if (vm.has("main")) vm.call("main", 0, 0, 0);
    } else if (vm.has("_start")) {
      vm.call("_start", 0);
    }
    const r = this.startRoot(vm);
    vm.rootContextId = r.id;
    return r.ok;
  }

  /** Creates a root context: on_context_create, on_vm_start, on_configure (cpp-host's order). */
  private startRoot(vm: Vm): { id: number; ok: boolean } {
    const id = vm.newContextId();
    vm.addContext(id, null);
    vm.call("proxy_on_context_create", id, id, 0);
    const started = vm.call("proxy_on_vm_start", id, id, this.vmConfigBytes.length);
    if (started === 0 || vm.failed) return { id, ok: false };
    vm.pluginConfiguration = this.pluginConfigBytes;
    const configured = vm.call("proxy_on_configure", id, id, this.pluginConfigBytes.length);
    vm.pluginConfiguration = null;
    return { id, ok: configured !== 0 && !vm.failed };
  }

  private retireRoot(vm: Vm, id: number): void {
    if (!vm.contexts.has(id)) return;
    const done = vm.call("proxy_on_done", id, id);
    if (done === 0) {
      vm.pendingDone.add(id);
      return;
    }
    vm.call("proxy_on_delete", id, id);
    vm.removeContext(id);
  }

  private reloadVm(index: number): void {
    const old = this.vms[index];
    const vm = new Vm(this, index, old.abi);
    vm.instantiate(this.module);
    this.vms[index] = vm;
    this.startVm(vm);
  }

  writeLog(level: number, message: string, vm: Vm): void {
    if (level < this.logLevelNumber) return;
    const entry: LogEntry = { level: LOG_LEVELS[level], message, vm: vm.index };
    this.logs.push(entry);
    if (this.opts.printLogs) process.stderr.write(`[wasm ${entry.level}] vm${vm.index}: ${message}\n`);
  }

  reportTrap(vm: Vm, fn: string, message: string, vmStream: VmStream | null): void {
    const stream = vmStream as HttpStream | null; // every stream this host opens is an HttpStream
    // An abort logs its reason at critical level just before proc_exit; keep it with the trap.
    const last = this.logs.at(-1);
    const full = last && last.vm === vm.index && last.level === "critical" && last.message.startsWith("abort:")
      ? `${message} (${last.message})` : message;
    this.traps.push({ vm: vm.index, function: fn, message: full, stream });
    if (stream) stream.trap ??= full;
    // Whichever test API call is running surfaces it (a stream step, respond(), tick(), …).
    this.pendingTrap ??= full;
  }

  takePendingTrap(): string | null {
    const t = this.pendingTrap;
    this.pendingTrap = null;
    return t;
  }

  private throwPendingTrap(): void {
    const t = this.takePendingTrap();
    if (t && this.throwOnTrap) throw new ProxyWasmTrap(t);
  }

  /** Queues work Envoy does after a VM call returns (local replies, continue/close, queue delivery). */
  defer(action: () => void): void {
    this.deferred.push(action);
  }

  runDeferred(): void {
    if (this.deferred.length === 0) return;
    for (const v of this.vms) if (v.busy) return;
    for (let i = 0; i < 100_000 && this.deferred.length; i++) this.deferred.shift()!();
  }

  trackStream(_s: HttpStream): void {
    this.live++;
  }

  forgetStream(_s: HttpStream): void {
    this.live--;
  }

  postQueueReady(vm: Vm, rootId: number, token: number): void {
    this.defer(() => {
      if (vm.contexts.has(rootId)) vm.call("proxy_on_queue_ready", rootId, rootId, token);
    });
  }

  callForeign(vm: Vm, name: string, args: Uint8Array): { status: number; result?: Uint8Array } {
    const stream = vm.currentStream() as HttpStream | null; // every stream this host opens is an HttpStream
    const rec: ForeignCall = { name, args, argsText: new TextDecoder().decode(args), vm: vm.index, contextId: vm.contextId(), stream, status: Status.Ok };
    this.foreignCalls.push(rec);
    const user = this.foreign[name];
    if (user) {
      const r = user(args, { vm: vm.index, stream });
      if (typeof r === "number") return { status: (rec.status = r) };
      return { status: Status.Ok, result: typeof r === "string" || r instanceof Uint8Array ? toBytes(r) : new Uint8Array(0) };
    }
    const b = builtinForeign(name, args, stream);
    rec.status = b ? b.status : Status.NotFound;
    return { status: rec.status, result: b ? new Uint8Array(0) : undefined };
  }

  startHttpCall(vm: Vm, cluster: string, headers: Pair[], body: Uint8Array, trailers: Pair[], timeout: number): { status: number; id?: number } {
    if (timeout < 0) return { status: Status.BadArgument };
    if (this.clusters && !this.clusters.has(cluster)) return { status: Status.BadArgument };
    const names = new Set(headers.map(([k]) => k.toLowerCase()));
    if (!names.has(":path") || !names.has(":method") || !names.has(":authority")) return { status: Status.BadArgument };
    const call = new HttpCall(this, vm, vm.nextHttpCallId++, vm.currentRootId(), cluster, headers, body, trailers, timeout);
    this.httpCalls.push(call);
    this.httpCallLog.push(call);
    return { status: Status.Ok, id: call.id };
  }

  removeHttpCall(c: HttpCall): void {
    const i = this.httpCalls.indexOf(c);
    if (i >= 0) this.httpCalls.splice(i, 1);
  }

  deliverHttpResponse(c: HttpCall, resp: { headers: HeaderMap; trailers: HeaderMap | null; body: Uint8Array } | null, status: { code: number; message: string }): void {
    const vm = c.vm;
    if (!vm.contexts.has(c.rootContextId)) return;
    vm.httpResponse = resp ?? {};
    vm.status = status;
    vm.call("proxy_on_http_call_response", c.rootContextId, c.rootContextId, c.id,
      resp ? resp.headers.size : 0, resp ? resp.body.length : 0, resp?.trailers ? resp.trailers.size : 0);
    vm.httpResponse = null;
    vm.status = { code: 0, message: "" };
    this.throwPendingTrap();
  }

  startGrpc(vm: Vm, kind: "call" | "stream", cluster: string, service: string, method: string, md: Pair[], message: Uint8Array | null, timeout: number): { status: number; id?: number } {
    if (this.clusters && !this.clusters.has(cluster)) return { status: Status.ParseFailure };
    const id = kind === "call" ? ((vm.nextGrpcCallId += 2) - 2) : ((vm.nextGrpcStreamId += 2) - 2);
    const call = new GrpcCall(this, vm, id, vm.currentRootId(), kind, cluster, service, method, md, message, timeout);
    this.grpcCalls.push(call);
    this.grpcCallLog.push(call);
    return { status: Status.Ok, id };
  }

  private findGrpc(vm: Vm, id: number): GrpcCall | undefined {
    return this.grpcCalls.find((c) => c.vm === vm && c.id === id);
  }

  grpcSend(vm: Vm, id: number, message: Uint8Array, end: boolean): number {
    if (id % 2 === 1) return Status.BadArgument; // a unary call id
    const c = this.findGrpc(vm, id);
    if (!c) return Status.NotFound;
    c.sent.push(message.slice());
    if (end) c.endStreamSent = true;
    return Status.Ok;
  }

  grpcCancel(vm: Vm, id: number, how: "cancel" | "close"): number {
    const c = this.findGrpc(vm, id);
    if (!c) return Status.NotFound;
    c.endedByPlugin = how;
    if (how === "cancel" || c.kind === "call") {
      c.answered = true;
      this.removeGrpcCall(c);
    }
    return Status.Ok;
  }

  removeGrpcCall(c: GrpcCall): void {
    const i = this.grpcCalls.indexOf(c);
    if (i >= 0) this.grpcCalls.splice(i, 1);
  }

  grpcEvent(c: GrpcCall, kind: "initial" | "message" | "trailing" | "close", data: Uint8Array | HeaderMap | null, status = 0, message = ""): void {
    const vm = c.vm;
    const root = c.rootContextId;
    if (!vm.contexts.has(root)) return;
    const scratch: CalloutScratch = {};
    let fn: string, arg: number;
    if (kind === "initial") { scratch.headers = data as HeaderMap; fn = "proxy_on_grpc_receive_initial_metadata"; arg = (data as HeaderMap).size; }
    else if (kind === "trailing") { scratch.trailers = data as HeaderMap; fn = "proxy_on_grpc_receive_trailing_metadata"; arg = (data as HeaderMap).size; }
    else if (kind === "message") { scratch.body = data as Uint8Array; fn = "proxy_on_grpc_receive"; arg = (data as Uint8Array).length; }
    else { fn = "proxy_on_grpc_close"; arg = status; vm.status = { code: status, message }; }
    vm.grpcReceive = scratch;
    vm.call(fn, root, root, c.id, arg);
    vm.grpcReceive = null;
    vm.status = { code: 0, message: "" };
    this.throwPendingTrap();
  }

  private nextTickDue(): number | null {
    let next: number | null = null;
    for (const vm of this.vms) for (const t of vm.ticks.values()) if (next === null || t.dueMs < next) next = t.dueMs;
    return next;
  }

  /** Fires ticks and callout timeouts due up to `target` (virtual ms), earliest first. */
  private runDue(target: number): number {
    let fired = 0;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let best: { at: number; run: () => void } | null = null;
      for (const vm of this.vms) {
        for (const [root, t] of vm.ticks) {
          if (t.dueMs <= target && (!best || t.dueMs < best.at)) {
            best = { at: t.dueMs, run: () => { t.dueMs += t.periodMs; fired++; if (!vm.failed) vm.call("proxy_on_tick", root, root); } };
          }
        }
      }
      for (const c of this.httpCalls) {
        if (c.deadlineMs !== null && c.deadlineMs <= target && (!best || c.deadlineMs < best.at)) best = { at: c.deadlineMs, run: () => c.timeoutNow() };
      }
      for (const c of this.grpcCalls) {
        if (c.deadlineMs !== null && c.deadlineMs <= target && (!best || c.deadlineMs < best.at)) {
          best = { at: c.deadlineMs, run: () => c.fail(GrpcStatus.DeadlineExceeded, "Deadline Exceeded") };
        }
      }
      if (!best) break;
      this.clock.advanceToMs(best.at);
      best.run();
    }
    return fired;
  }
}

function levelNumber(l: LogLevelName): number {
  const n = LOG_LEVELS.indexOf(l);
  if (n < 0) throw new RangeError(`logLevel must be one of ${LOG_LEVELS.join(", ")}; got "${l}"`);
  return n;
}

/** A StringValue passes through; any other value arrives as JSON, as Envoy sends a Struct. */
function configBytes(c: unknown): Uint8Array {
  if (c === undefined || c === null) return new Uint8Array(0);
  if (typeof c === "string") return toBytes(c);
  if (c instanceof Uint8Array) return c;
  return toBytes(JSON.stringify(c));
}

export type { GrpcReply };
