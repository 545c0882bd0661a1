// The host functions a module imports (module "env" and WASI), with Envoy's semantics. Every
// function reads its arguments through the VM's memory accessor and never throws into the module:
// a bad pointer becomes INVALID_MEMORY_ACCESS (or WASI EFAULT), as in proxy-wasm-cpp-host.
import { randomFillSync } from "node:crypto";
import {
  type AbiVersion, BUFFER_TYPE_MAX, BufferType, Errno, LOG_LEVELS, MAP_TYPE_MAX, STREAM_TYPE_MAX, Status, StreamType,
} from "./abi.js";
import { deserializePairs, serializePairs, toText } from "./bytes.js";
import type { HeaderMap } from "./header-map.js";
import { MemoryAccessError, type ModuleMemory } from "./memory.js";
import type { VmMetrics } from "./metrics.js";
import type { BufferRef, PluginHost } from "./services.js";

type Fn = (...args: any[]) => any;

/** Raised by proc_exit: unwinds the module call, which the VM then records as a failure. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

/**
 * Wraps a host function so a memory fault returns `fault` instead of throwing into the module. The
 * wrapper has fixed parameters (no rest array or spread per call); host functions take at most 12.
 */
function guard(fault: number, f: Fn): Fn {
  if (f.length > 12) throw new Error(`guard: ${f.length} parameters`);
  return (a?: any, b?: any, c?: any, d?: any, e?: any, g?: any, h?: any, i?: any, j?: any, k?: any, l?: any, m?: any) => {
    try {
      return f(a, b, c, d, e, g, h, i, j, k, l, m);
    } catch (err) {
      if (err instanceof MemoryAccessError) return fault;
      throw err;
    }
  };
}

/** Host function names registered per ABI version (cpp-host wasm.cc registerCallbacks). */
const ABI_01_ONLY = ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"];
const ABI_02_ONLY = ["proxy_continue_stream", "proxy_close_stream"];
const ABI_021_ONLY = ["proxy_get_log_level"];

/**
 * The VM as its host functions act on it (the VM layer implements it): its memory and metric ids,
 * the context-scoped state (buffers, maps, status, properties) and the stream actions.
 */
export interface HostFunctionTarget<V> {
  readonly host: PluginHost<V>;
  readonly memory: ModuleMemory;
  readonly metrics: VmMetrics;
  readonly failed: string | null;
  readonly status: { code: number; message: string };
  done(): number;
  setEffectiveContext(id: number): number;
  setTickPeriod(ms: number): number;
  getBuffer(type: number): BufferRef | null;
  getMap(type: number, mutable: boolean): HeaderMap | null;
  inAccessLog(): boolean;
  headersModified(type: number): void;
  continueStream(type: number): number;
  closeStream(type: number): number;
  sendLocalResponse(code: number, details: string, body: Uint8Array, headers: [string, string][], grpc: number): void;
  registerQueue(name: string): number;
  getProperty(path: string): Uint8Array | undefined;
  setProperty(path: string, value: Uint8Array): number;
}

export function createImports<V extends HostFunctionTarget<V>>(vm: V, abi: AbiVersion): WebAssembly.Imports {
  const mem = vm.memory;
  const str = (p: number, l: number) => mem.readString(p, l);

  const env: Record<string, Fn> = {
    // ---- context lifecycle
    proxy_done: () => vm.done(),
    proxy_set_effective_context: (id: number) => vm.setEffectiveContext(id >>> 0),

    // ---- logging
    proxy_log: guard(Status.InvalidMemoryAccess, (level: number, p: number, l: number) => {
      if (level < 0 || level > 5) return Status.BadArgument;
      vm.host.writeLog(level, str(p, l), vm);
      return Status.Ok;
    }),
    proxy_get_log_level: guard(Status.InvalidMemoryAccess, (ret: number) => {
      mem.setU32(ret, vm.host.logLevelNumber);
      return Status.Ok;
    }),

    // ---- clocks, timers
    proxy_get_current_time_nanoseconds: guard(Status.InvalidMemoryAccess, (ret: number) => {
      mem.setU64(ret, vm.host.clock.realtimeNs());
      return Status.Ok;
    }),
    proxy_set_tick_period_milliseconds: (ms: number) => vm.setTickPeriod(ms >>> 0),

    // ---- buffers
    proxy_get_buffer_bytes: guard(Status.InvalidMemoryAccess, (type: number, start: number, len: number, rp: number, rl: number) => {
      if (type > BUFFER_TYPE_MAX) return Status.BadArgument;
      const buf = vm.getBuffer(type);
      if (!buf) return Status.NotFound;
      const data = buf.get();
      start >>>= 0; len >>>= 0;
      if (start > data.length) return Status.BadArgument;
      const n = Math.min(len, data.length - start);
      if (n > 0 && !mem.giveBack(data.subarray(start, start + n), rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),
    proxy_get_buffer_status: guard(Status.InvalidMemoryAccess, (type: number, rLen: number, rFlags: number) => {
      if (type > BUFFER_TYPE_MAX) return Status.BadArgument;
      const buf = vm.getBuffer(type);
      if (!buf) return Status.NotFound;
      mem.setU32(rLen, buf.get().length);
      mem.setU32(rFlags, 0);
      return Status.Ok;
    }),
    proxy_set_buffer_bytes: guard(Status.InvalidMemoryAccess, (type: number, start: number, len: number, p: number, l: number) => {
      if (type > BUFFER_TYPE_MAX) return Status.BadArgument;
      const buf = vm.getBuffer(type);
      if (!buf) return Status.NotFound;
      const data = mem.read(p, l);
      if (!buf.set) return Status.BadArgument; // immutable (configuration, callout responses)
      const cur = buf.get();
      start >>>= 0; len >>>= 0;
      // Envoy's Buffer::copyFrom: prepend (0,0), replace all (0, ≥size), append (start ≥ size); else refused.
      let next: Uint8Array;
      if (start === 0 && len === 0) next = concatBytes(data, cur);
      else if (start === 0 && len >= cur.length) next = data.slice();
      else if (start >= cur.length) next = concatBytes(cur, data);
      else return Status.BadArgument;
      buf.set(next);
      return Status.Ok;
    }),

    // ---- header maps
    proxy_get_header_map_size: guard(Status.InvalidMemoryAccess, (type: number, ret: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const m = vm.getMap(type, true);
      if (!m) return Status.BadArgument;
      mem.setU32(ret, m.byteSize());
      return Status.Ok;
    }),
    proxy_get_header_map_pairs: guard(Status.InvalidMemoryAccess, (type: number, rp: number, rl: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const m = vm.getMap(type, false);
      const data = m && m.size > 0 ? m.serialize() : new Uint8Array(0);
      if (!mem.giveBack(data, rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),
    proxy_set_header_map_pairs: guard(Status.InvalidMemoryAccess, (type: number, p: number, l: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const pairs = deserializePairs(mem.peek(p, l));
      const m = vm.getMap(type, true);
      if (!m) return Status.BadArgument;
      m.setAll(pairs);
      vm.headersModified(type);
      return Status.Ok;
    }),
    proxy_get_header_map_value: guard(Status.InvalidMemoryAccess, (type: number, kp: number, kl: number, rp: number, rl: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const key = str(kp, kl);
      const m = vm.getMap(type, false);
      if (!m) return vm.inAccessLog() ? Status.NotFound : Status.BadArgument;
      const v = m.get(key);
      if (v === undefined) return Status.NotFound;
      if (!mem.giveBackString(v, rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),
    proxy_add_header_map_value: guard(Status.InvalidMemoryAccess, (type: number, kp: number, kl: number, vp: number, vl: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const key = str(kp, kl), value = str(vp, vl);
      const m = vm.getMap(type, true);
      if (!m) return Status.BadArgument;
      m.add(key, value);
      vm.headersModified(type);
      return Status.Ok;
    }),
    proxy_replace_header_map_value: guard(Status.InvalidMemoryAccess, (type: number, kp: number, kl: number, vp: number, vl: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const key = str(kp, kl), value = str(vp, vl);
      const m = vm.getMap(type, true);
      if (!m) return Status.BadArgument;
      m.set(key, value);
      vm.headersModified(type);
      return Status.Ok;
    }),
    proxy_remove_header_map_value: guard(Status.InvalidMemoryAccess, (type: number, kp: number, kl: number) => {
      if (type > MAP_TYPE_MAX) return Status.BadArgument;
      const key = str(kp, kl);
      const m = vm.getMap(type, true);
      if (!m) return Status.BadArgument;
      m.remove(key);
      vm.headersModified(type);
      return Status.Ok;
    }),

    // ---- stream control
    proxy_continue_stream: (type: number) => (type > STREAM_TYPE_MAX ? Status.BadArgument : vm.continueStream(type)),
    proxy_close_stream: (type: number) => (type > STREAM_TYPE_MAX ? Status.BadArgument : vm.closeStream(type)),
    proxy_get_status: guard(Status.InvalidMemoryAccess, (rCode: number, rp: number, rl: number) => {
      mem.setU32(rCode, vm.status.code);
      if (!mem.giveBack(new TextEncoder().encode(vm.status.message), rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),
    proxy_send_local_response: guard(Status.InvalidMemoryAccess,
      (code: number, dp: number, dl: number, bp: number, bl: number, hp: number, hl: number, grpc: number) => {
        const details = str(dp, dl);
        const body = mem.read(bp, bl);
        const headers = deserializePairs(mem.peek(hp, hl));
        vm.sendLocalResponse(code >>> 0, details, body, headers, grpc | 0);
        return Status.Ok;
      }),

    // ---- callouts
    proxy_http_call: guard(Status.InvalidMemoryAccess,
      (up: number, ul: number, hp: number, hl: number, bp: number, bl: number, tp: number, tl: number, timeout: number, ret: number) => {
        const cluster = str(up, ul);
        const headers = deserializePairs(mem.read(hp, hl));
        const body = mem.read(bp, bl);
        const trailers = deserializePairs(mem.read(tp, tl));
        mem.setU32(ret, 0);
        const r = vm.host.startHttpCall(vm, cluster, headers, body, trailers, timeout | 0);
        if (r.status === Status.Ok) mem.setU32(ret, r.id!);
        return r.status;
      }),
    proxy_grpc_call: guard(Status.InvalidMemoryAccess,
      (cp: number, cl: number, sp: number, sl: number, mp: number, ml: number, hp: number, hl: number, bp: number, bl: number, timeout: number, ret: number) => {
        const r = vm.host.startGrpc(vm, "call", str(cp, cl), str(sp, sl), str(mp, ml), deserializePairs(mem.read(hp, hl)), mem.read(bp, bl), timeout >>> 0);
        if (r.status === Status.Ok) mem.setU32(ret, r.id!);
        return r.status;
      }),
    proxy_grpc_stream: guard(Status.InvalidMemoryAccess,
      (cp: number, cl: number, sp: number, sl: number, mp: number, ml: number, hp: number, hl: number, ret: number) => {
        const r = vm.host.startGrpc(vm, "stream", str(cp, cl), str(sp, sl), str(mp, ml), deserializePairs(mem.read(hp, hl)), null, 0);
        if (r.status === Status.Ok) mem.setU32(ret, r.id!);
        return r.status;
      }),
    proxy_grpc_send: guard(Status.InvalidMemoryAccess, (id: number, p: number, l: number, end: number) =>
      vm.host.grpcSend(vm, id >>> 0, mem.read(p, l), end !== 0)),
    proxy_grpc_cancel: (id: number) => vm.host.grpcCancel(vm, id >>> 0, "cancel"),
    proxy_grpc_close: (id: number) => vm.host.grpcCancel(vm, id >>> 0, "close"),

    // ---- shared data and queues
    proxy_get_shared_data: guard(Status.InvalidMemoryAccess, (kp: number, kl: number, rp: number, rl: number, rCas: number) => {
      const e = vm.host.store.get(vm.host.vmId, str(kp, kl));
      if (!e) return Status.NotFound;
      if (!mem.giveBack(e.value, rp, rl)) return Status.InvalidMemoryAccess;
      mem.setU32(rCas, e.cas);
      return Status.Ok;
    }),
    proxy_set_shared_data: guard(Status.InvalidMemoryAccess, (kp: number, kl: number, vp: number, vl: number, cas: number) =>
      vm.host.store.set(vm.host.vmId, str(kp, kl), mem.peek(vp, vl), cas >>> 0)), // the store keeps a copy
    proxy_register_shared_queue: guard(Status.InvalidMemoryAccess, (np: number, nl: number, ret: number) => {
      const name = str(np, nl);
      mem.setU32(ret, vm.registerQueue(name));
      return Status.Ok;
    }),
    proxy_resolve_shared_queue: guard(Status.InvalidMemoryAccess, (vp: number, vl: number, np: number, nl: number, ret: number) => {
      const vmId = str(vp, vl);
      const token = vm.host.store.resolveQueue(vmId === "" ? vm.host.vmId : vmId, str(np, nl));
      if (token === 0 || vm.failed) return Status.NotFound;
      mem.setU32(ret, token);
      return Status.Ok;
    }),
    proxy_enqueue_shared_queue: guard(Status.InvalidMemoryAccess, (token: number, p: number, l: number) =>
      vm.host.store.enqueue(token >>> 0, mem.peek(p, l))), // the store keeps a copy
    proxy_dequeue_shared_queue: guard(Status.InvalidMemoryAccess, (token: number, rp: number, rl: number) => {
      const r = vm.host.store.dequeue(token >>> 0);
      if (r.status !== Status.Ok) return r.status;
      if (!mem.giveBack(r.value!, rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),

    // ---- metrics (i64 arguments arrive as signed BigInt)
    proxy_define_metric: guard(Status.InvalidMemoryAccess, (type: number, np: number, nl: number, ret: number) => {
      const r = vm.metrics.define(type >>> 0, str(np, nl));
      if (r.status !== Status.Ok) return r.status;
      mem.setU32(ret, r.id!);
      return Status.Ok;
    }),
    proxy_increment_metric: (id: number, delta: bigint) => vm.metrics.increment(id >>> 0, BigInt.asIntN(64, BigInt(delta))),
    proxy_record_metric: (id: number, value: bigint) => vm.metrics.record(id >>> 0, BigInt.asUintN(64, BigInt(value))),
    proxy_get_metric: guard(Status.InvalidMemoryAccess, (id: number, ret: number) => {
      const r = vm.metrics.get(id >>> 0);
      if (r.status !== Status.Ok) return r.status;
      mem.setU64(ret, r.value!);
      return Status.Ok;
    }),

    // ---- properties
    proxy_get_property: guard(Status.InvalidMemoryAccess, (pp: number, pl: number, rp: number, rl: number) => {
      const v = vm.getProperty(str(pp, pl));
      if (!v) return Status.NotFound;
      if (!mem.giveBack(v, rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),
    proxy_set_property: guard(Status.InvalidMemoryAccess, (pp: number, pl: number, vp: number, vl: number) =>
      vm.setProperty(str(pp, pl), mem.peek(vp, vl))), // setProperty keeps a copy

    // ---- foreign functions
    proxy_call_foreign_function: guard(Status.InvalidMemoryAccess, (np: number, nl: number, ap: number, al: number, rp: number, rl: number) => {
      const r = vm.host.callForeign(vm, str(np, nl), mem.read(ap, al));
      if (r.result && rp !== 0) {
        if (!mem.giveBack(r.result, rp, rl)) return Status.InvalidMemoryAccess;
      } else if (rl !== 0) {
        if (rp !== 0) mem.setU32(rp, 0);
        mem.setU32(rl, r.result ? r.result.length : 0);
      }
      return r.status;
    }),

    // ---- ABI 0.1.0 names (registered only for 0.1.0 modules)
    proxy_get_configuration: guard(Status.InvalidMemoryAccess, (rp: number, rl: number) => {
      const b = vm.getBuffer(BufferType.PluginConfiguration) ?? vm.getBuffer(BufferType.VmConfiguration);
      if (!mem.giveBack(b ? b.get() : new Uint8Array(0), rp, rl)) return Status.InvalidMemoryAccess;
      return Status.Ok;
    }),
    proxy_continue_request: () => vm.continueStream(StreamType.Request),
    proxy_continue_response: () => vm.continueStream(StreamType.Response),
    proxy_clear_route_cache: () => {
      vm.host.callForeign(vm, "clear_route_cache", new Uint8Array(0));
      return Status.Ok;
    },

    // ---- emscripten/pthread stubs cpp-host also provides
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: () => {},
  };

  for (const name of ABI_01_ONLY) if (abi !== "0.1.0") delete env[name];
  for (const name of ABI_02_ONLY) if (abi === "0.1.0") delete env[name];
  for (const name of ABI_021_ONLY) if (abi !== "0.2.1") delete env[name];

  const wasi: Record<string, Fn> = {
    fd_write: guard(Errno.Fault, (fd: number, iovs: number, n: number, ret: number) => {
      if (fd !== 1 && fd !== 2) return Errno.BadF;
      const parts: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const p = mem.u32(iovs + i * 8), l = mem.u32(iovs + i * 8 + 4);
        if (l) parts.push(mem.read(p, l));
      }
      let text = toText(Buffer.concat(parts));
      const written = parts.reduce((a, b) => a + b.length, 0);
      if (written) {
        if (text.endsWith("\n")) text = text.slice(0, -1);
        vm.host.writeLog(fd === 1 ? 2 : 4, text, vm); // stdout → info, stderr → error
      }
      mem.setU32(ret, written);
      return Errno.Success;
    }),
    fd_read: () => Errno.NoSys,
    fd_seek: () => Errno.Success,
    fd_close: () => Errno.Success,
    fd_fdstat_get: guard(Errno.Fault, (fd: number, ret: number) => {
      if (fd !== 1 && fd !== 2) return Errno.BadF;
      mem.write(ret, new Uint8Array(24));
      mem.setU32(ret + 8, 64); // fs_rights_base = FD_WRITE
      return Errno.Success;
    }),
    fd_fdstat_set_flags: () => Errno.NoSys,
    fd_prestat_get: () => Errno.BadF,
    fd_prestat_dir_name: () => Errno.NoSys,
    path_open: () => Errno.NoSys,
    poll_oneoff: () => Errno.NoSys,
    sched_yield: () => Errno.Success,
    environ_sizes_get: guard(Errno.Fault, (rCount: number, rSize: number) => {
      const env = vm.host.envEntries;
      mem.setU32(rCount, env.length);
      mem.setU32(rSize, env.reduce((n, e) => n + e.length + 1, 0));
      return Errno.Success;
    }),
    environ_get: guard(Errno.Fault, (rArray: number, rBuf: number) => {
      let p = rBuf;
      vm.host.envEntries.forEach((e, i) => {
        mem.setU32(rArray + i * 4, p);
        mem.write(p, Uint8Array.of(...e, 0));
        p += e.length + 1;
      });
      return Errno.Success;
    }),
    args_sizes_get: guard(Errno.Fault, (rArgc: number, rSize: number) => {
      mem.setU32(rArgc, 0);
      mem.setU32(rSize, 0);
      return Errno.Success;
    }),
    args_get: () => Errno.Success,
    clock_time_get: guard(Errno.Fault, (id: number, _precision: bigint, ret: number) => {
      if (id === 0) mem.setU64(ret, vm.host.clock.realtimeNs());
      else if (id === 1) mem.setU64(ret, vm.host.clock.monotonicNs());
      else return Errno.NotSup;
      return Errno.Success;
    }),
    random_get: guard(Errno.Fault, (p: number, l: number) => {
      const buf = new Uint8Array(l >>> 0);
      randomFillSync(buf);
      mem.write(p, buf);
      return Errno.Success;
    }),
    proc_exit: (code: number) => {
      throw new ProcExit(code >>> 0);
    },
  };

  return { env, wasi_snapshot_preview1: wasi, wasi_unstable: wasi };
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Names of every host function provided to a module of `abi` (for load checks and docs). */
export function providedImports(abi: AbiVersion): Set<string> {
  const dummy = { memory: {}, host: {} } as unknown as HostFunctionTarget<never>;
  const imp = createImports(dummy, abi);
  const out = new Set<string>();
  for (const [mod, fns] of Object.entries(imp)) for (const n of Object.keys(fns as object)) out.add(`${mod}.${n}`);
  return out;
}


