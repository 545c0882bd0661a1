// The as-pect front-end: the same test host serves an as-pect spec. The spec imports the filter
// (which registers its root context at start) and drives it through `proxy-wasm-as/assembly/testing`,
// whose `@external("proxy_test", …)` functions land here. The spec's own instance is VM 0: the
// filter's host calls reach it exactly as they reach a VM of ProxyHost.create().
//
//   // as-pect.config.js — the one line:
//   export { default } from "proxy-wasm-as/aspect";
//   // or, to change where specs are:  export default aspectConfig({ entries: ["tests/**/*.spec.ts"] });
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { detectAbiVersion, LOG_LEVELS, type LogLevelName } from "./abi.js";
import { deserializePairs, serializePairs, type Pair } from "./bytes.js";
import type { GrpcCall, HttpCall } from "./callouts.js";
import { HeaderMap } from "./header-map.js";
import { type FailurePolicy, ProxyHost, type ProxyHostOptions } from "./host.js";
import type { PropertyInit } from "./properties.js";
import type { HttpStream } from "./stream.js";
import { Vm } from "./vm.js";

/** The module name of the spec's test-control functions (assembly/testing). */
export const TEST_MODULE = "proxy_test";

/** What a spec may set when it creates a host (TestHost options, sent as JSON). */
interface SpecHostOptions {
  rootId?: string;
  config?: string | null;
  vmConfig?: string;
  vmId?: string;
  vms?: number;
  logLevel?: LogLevelName;
  properties?: PropertyInit;
  env?: Record<string, string>;
  clusters?: string[] | null;
  nowMs?: number;
  failurePolicy?: FailurePolicy | "";
  printLogs?: boolean;
}

type Imports = Record<string, Record<string, WebAssembly.ImportValue>>;

/** Thrown when a spec module cannot be served, with what to change. */
export class AspectSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AspectSetupError";
  }
}

/**
 * One spec instance and the hosts its tests create. A new host retires the previous one (its root
 * contexts get on_done/on_delete), so each test starts from a fresh plugin, a fresh stats store and
 * fresh shared data; the module's globals persist, as they do across reconfigurations in Envoy.
 */
export class AspectSession {
  readonly vm: Vm;
  private readonly module: WebAssembly.Module;
  private readonly hosts: (ProxyHost | null)[] = [];
  private readonly streams: HttpStream[] = [];
  private current: ProxyHost | null = null;
  private extraImports: Imports = {};

  constructor(binary: Uint8Array, private readonly printLogs = false) {
    this.module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
    const exports = WebAssembly.Module.exports(this.module).map((e) => e.name);
    const abi = detectAbiVersion(exports);
    if (!abi || !exports.includes("proxy_on_context_create")) {
      throw new AspectSetupError(
        "the spec module does not export the proxy-wasm ABI (proxy_on_context_create), so the test host cannot drive the filter.\n" +
        "  Fix: use the shipped configuration — as-pect.config.js: `export { default } from \"proxy-wasm-as/aspect\";` —\n" +
        "  or add `export * from \"proxy-wasm-as/assembly/proxy\";` to the spec file.");
    }
    const idle = ProxyHost.attach({ wasm: this.module }, []);
    this.vm = new Vm(idle, 0, abi);
  }

  /** The imports for the spec instance: the host functions, the test-control functions, as-pect's own. */
  imports(aspectImports: Imports): Imports {
    const ours = this.vm.imports() as Imports;
    const merged: Imports = { ...aspectImports };
    for (const [mod, fns] of Object.entries(ours)) merged[mod] = { ...(merged[mod] ?? {}), ...fns };
    merged[TEST_MODULE] = this.testFunctions();
    // Extra VMs (TestHost with vms > 1) are further instances of the same binary: as-pect's imports
    // there do nothing (their tests never run), the host functions are their own VM's.
    this.extraImports = {};
    for (const imp of WebAssembly.Module.imports(this.module)) {
      if (imp.kind !== "function") continue;
      if (!merged[imp.module]?.[imp.name]) {
        throw new AspectSetupError(
          `the spec imports ${imp.module}.${imp.name}, which neither as-pect nor the proxy-wasm test host provides.\n` +
          `  Fix: remove the @external declaration, or supply it from as-pect.config.js with aspectConfig({ imports: { "${imp.module}": { ${imp.name}() {…} } } }).`);
      }
      if (imp.module !== "env" && imp.module !== TEST_MODULE && !imp.module.startsWith("wasi")) {
        (this.extraImports[imp.module] ??= {})[imp.name] = () => 0;
      }
    }
    return merged;
  }

  /** Adopts the instance as-pect created from imports(). */
  bind(instance: WebAssembly.Instance): void {
    this.vm.bind(instance);
  }

  private extraVm(host: ProxyHost, index: number): Vm {
    const vm = new Vm(host, index, this.vm.abi);
    const own = vm.imports() as Imports;
    const imports: Imports = {};
    for (const imp of WebAssembly.Module.imports(this.module)) {
      if (imp.kind !== "function") {
        if (imp.kind === "memory") (imports[imp.module] ??= {})[imp.name] = new WebAssembly.Memory({ initial: 2 });
        continue;
      }
      const f = own[imp.module]?.[imp.name] ?? this.extraImports[imp.module]?.[imp.name] ?? (() => 0);
      (imports[imp.module] ??= {})[imp.name] = f;
    }
    const instance = new WebAssembly.Instance(this.module, imports);
    vm.bind(instance);
    if (vm.has("_start")) vm.call("_start", 0);
    else if (vm.has("_initialize")) vm.call("_initialize", 0);
    return vm;
  }

  private host(h: number): ProxyHost {
    const host = this.hosts[h];
    if (!host) throw new AspectSetupError(`TestHost ${h} was retired: a spec works with the host it created last (one live TestHost per spec instance)`);
    return host;
  }

  private stream(s: number): HttpStream {
    const st = this.streams[s];
    if (!st) throw new AspectSetupError(`no TestStream ${s}`);
    return st;
  }

  createHost(o: SpecHostOptions): number {
    if (this.current) {
      const old = this.current;
      this.hosts[this.hosts.indexOf(old)] = null;
      this.current = null;
      try { old.shutdown(); } catch { /* a retired plugin's trap is not this test's business */ }
    }
    const vms = o.vms ?? 1;
    if (!Number.isInteger(vms) || vms < 1 || vms > 16) throw new RangeError(`TestHost: vms must be 1…16, got ${vms}`);
    const opts: ProxyHostOptions = {
      wasm: this.module,
      rootId: o.rootId ?? "",
      pluginConfig: o.config ?? undefined,
      vmConfig: o.vmConfig ?? "",
      vmId: o.vmId ?? "",
      logLevel: o.logLevel ?? "info",
      properties: o.properties,
      env: o.env,
      clusters: o.clusters ?? undefined,
      now: o.nowMs !== undefined && o.nowMs >= 0 ? o.nowMs : undefined,
      failurePolicy: o.failurePolicy ? o.failurePolicy : undefined,
      printLogs: o.printLogs ?? this.printLogs,
    };
    // VM 0 is this instance; the others are fresh instances, made against a placeholder host and
    // attached with VM 0 (their own start runs the filter's top level, as a worker's VM does).
    const placeholder = ProxyHost.attach({ wasm: this.module }, []);
    const all = [this.vm];
    for (let i = 1; i < vms; i++) all.push(this.extraVm(placeholder, i));
    const host = ProxyHost.attach(opts, all);
    this.current = host;
    this.hosts.push(host);
    return this.hosts.length - 1;
  }

  /** The test-control functions (module "proxy_test"); see assembly/testing/index.ts for the spec side. */
  private testFunctions(): Record<string, WebAssembly.ImportValue> {
    const mem = this.vm.memory;
    const str = (p: number, l: number) => mem.readString(p, l);
    const text = (s: string | undefined | null, rp: number, rl: number): number => {
      if (s === undefined || s === null) return 0;
      mem.giveBackString(s, rp, rl);
      return 1;
    };
    const bytes = (b: Uint8Array | undefined | null, rp: number, rl: number): number => {
      if (!b) return 0;
      mem.giveBack(b, rp, rl);
      return 1;
    };
    const headerMap = (st: HttpStream, which: number): HeaderMap | null => {
      switch (which) {
        case 0: return st.requestHeaders;
        case 1: return st.requestTrailers;
        case 2: return st.responseHeaders;
        case 3: return st.responseTrailers;
        case 4: return st.localResponse ? new HeaderMap(st.localResponse.headers) : null;
      }
      throw new RangeError(`header map ${which}`);
    };
    const action = (r: { action: string }) => (r.action === "continue" ? 0 : 1);
    const pairs = (p: number, l: number): Pair[] => deserializePairs(mem.read(p, l));
    const httpCall = (h: number, i: number): HttpCall => {
      const c = this.host(h).httpCalls[i];
      if (!c) throw new RangeError(`TestHost.httpCall(${i}): ${this.host(h).httpCalls.length} callout(s) pending`);
      return c;
    };
    const grpcCall = (h: number, i: number): GrpcCall => {
      const c = this.host(h).grpcCalls[i];
      if (!c) throw new RangeError(`TestHost.grpcCall(${i}): ${this.host(h).grpcCalls.length} gRPC call(s) pending`);
      return c;
    };
    return {
      host_create: (p: number, l: number) => this.createHost(JSON.parse(str(p, l) || "{}") as SpecHostOptions),
      host_configured: (h: number) => (this.host(h).configured ? 1 : 0),
      host_reconfigure: (h: number, p: number, l: number) => (this.host(h).reconfigureNow(str(p, l)) ? 1 : 0),
      host_shutdown: (h: number) => this.host(h).shutdown(),
      host_set_log_level: (h: number, level: number) => { this.host(h).logLevel = LOG_LEVELS[level]; },
      host_new_stream: (h: number, vm: number, p: number, l: number) => {
        const props = l > 0 ? (JSON.parse(str(p, l)) as PropertyInit) : undefined;
        this.streams.push(this.host(h).newHttpStream({ vm: vm < 0 ? undefined : vm, properties: props }));
        return this.streams.length - 1;
      },
      host_metric: (h: number, p: number, l: number, ret: number) => {
        const v = this.host(h).metric(str(p, l));
        if (v === undefined) return 0;
        mem.setU64(ret, BigInt.asUintN(64, BigInt(Math.trunc(v))));
        return 1;
      },
      host_histogram: (h: number, p: number, l: number, rp: number, rl: number) => {
        const samples = this.host(h).histogram(str(p, l));
        const out = new Uint8Array(samples.length * 8);
        const dv = new DataView(out.buffer);
        samples.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(Math.trunc(v))), true));
        return bytes(out, rp, rl);
      },
      host_logs: (h: number, level: number, rp: number, rl: number) => {
        const logs = this.host(h).logs.filter((e) => level < 0 || e.level === LOG_LEVELS[level]);
        return bytes(serializePairs(logs.map((e) => [e.level, e.message] as Pair)), rp, rl);
      },
      host_shared_get: (h: number, kp: number, kl: number, rp: number, rl: number, casPtr: number) => {
        const e = this.host(h).sharedData.get(str(kp, kl));
        if (!e) return 0;
        mem.setU32(casPtr, e.cas);
        return bytes(e.value, rp, rl);
      },
      host_shared_set: (h: number, kp: number, kl: number, vp: number, vl: number, cas: number) =>
        this.host(h).sharedData.set(str(kp, kl), mem.read(vp, vl), cas >>> 0),
      host_tick: (h: number, ms: number) => this.host(h).tick(ms < 0 ? undefined : ms),
      host_advance_time: (h: number, ms: number) => this.host(h).advanceTime(ms),
      host_count: (h: number, what: number) => {
        const host = this.host(h);
        switch (what) {
          case 0: return host.httpCalls.length;
          case 1: return host.grpcCalls.length;
          case 2: return host.traps.length;
          case 3: return host.liveStreams;
          case 4: return host.foreignCalls.length;
        }
        throw new RangeError(`host_count ${what}`);
      },
      host_trap: (h: number, i: number, rp: number, rl: number) => text(this.host(h).traps[i]?.message, rp, rl),
      host_foreign_call: (h: number, i: number, what: number, rp: number, rl: number) => {
        const c = this.host(h).foreignCalls[i];
        if (!c) return 0;
        return what === 0 ? text(c.name, rp, rl) : bytes(c.args, rp, rl);
      },
      http_call_get: (h: number, i: number, what: number, rp: number, rl: number) => {
        const c = httpCall(h, i);
        switch (what) {
          case 0: return text(c.cluster, rp, rl);
          case 1: return bytes(c.bodyBytes, rp, rl);
          case 2: return bytes(serializePairs(c.headerPairs), rp, rl);
          case 3: return bytes(serializePairs(Object.entries(c.trailers)), rp, rl);
        }
        throw new RangeError(`http_call_get ${what}`);
      },
      http_call_timeout: (h: number, i: number) => httpCall(h, i).timeout,
      http_call_respond: (h: number, i: number, status: number, hp: number, hl: number, bp: number, bl: number, tp: number, tl: number) => {
        const c = httpCall(h, i);
        const headers = pairs(hp, hl), body = mem.read(bp, bl);
        const trailers = tl > 0 ? pairs(tp, tl) : undefined;
        c.respond({ status, headers, body, trailers });
      },
      http_call_fail: (h: number, i: number) => httpCall(h, i).fail(),
      grpc_call_get: (h: number, i: number, what: number, rp: number, rl: number) => {
        const c = grpcCall(h, i);
        switch (what) {
          case 0: return text(c.cluster, rp, rl);
          case 1: return text(c.service, rp, rl);
          case 2: return text(c.method, rp, rl);
          case 3: return bytes(c.message ?? new Uint8Array(0), rp, rl);
        }
        throw new RangeError(`grpc_call_get ${what}`);
      },
      grpc_call_respond: (h: number, i: number, p: number, l: number) => grpcCall(h, i).respond(mem.read(p, l)),
      grpc_call_fail: (h: number, i: number, status: number, p: number, l: number) => grpcCall(h, i).fail(status, str(p, l)),
      stream_send: (s: number, kind: number, p: number, l: number, end: number) => {
        const st = this.stream(s);
        const eos = { endOfStream: end !== 0 };
        switch (kind) {
          case 0: return action(st.sendRequestHeaders(pairs(p, l), eos));
          case 1: return action(st.sendRequestBody(mem.read(p, l), eos));
          case 2: return action(st.sendRequestTrailers(pairs(p, l)));
          case 3: return action(st.sendResponseHeaders(pairs(p, l), eos));
          case 4: return action(st.sendResponseBody(mem.read(p, l), eos));
          case 5: return action(st.sendResponseTrailers(pairs(p, l)));
        }
        throw new RangeError(`stream_send ${kind}`);
      },
      stream_header: (s: number, which: number, kp: number, kl: number, rp: number, rl: number) =>
        text(headerMap(this.stream(s), which)?.get(str(kp, kl)), rp, rl),
      stream_headers: (s: number, which: number, rp: number, rl: number) => {
        const m = headerMap(this.stream(s), which);
        return m ? bytes(m.serialize(), rp, rl) : 0;
      },
      stream_body: (s: number, which: number, rp: number, rl: number) => {
        const st = this.stream(s);
        const b = which === 0 ? st.requestBodyBytes : which === 1 ? st.responseBodyBytes : st.localResponse?.bodyBytes;
        return bytes(b, rp, rl);
      },
      stream_text: (s: number, what: number, rp: number, rl: number) => {
        const st = this.stream(s);
        return text(what === 0 ? st.localResponse?.details : st.trap, rp, rl);
      },
      stream_lookup: (s: number, what: number, kp: number, kl: number, rp: number, rl: number) => {
        const st = this.stream(s), key = str(kp, kl);
        return text(what === 0 ? st.filterState.get(key) : st.property(key), rp, rl);
      },
      stream_flag: (s: number, what: number) => {
        const st = this.stream(s);
        switch (what) {
          case 0: return st.requestPaused ? 1 : 0;
          case 1: return st.responsePaused ? 1 : 0;
          case 2: return st.reset ? 1 : 0;
          case 3: return st.requestForwarded ? 1 : 0;
          case 4: return st.responseForwarded ? 1 : 0;
          case 5: return st.routeCacheCleared;
          case 6: return st.completed ? 1 : 0;
          case 7: return st.localResponse ? st.localResponse.status : 0;
          case 8: return st.localResponse?.grpcStatus ?? -1;
        }
        throw new RangeError(`stream_flag ${what}`);
      },
      stream_complete: (s: number) => this.stream(s).complete(),
    };
  }
}

/** as-pect's instantiate hook, serving the spec with the test host. */
export function instantiateWithHost(options: { printLogs?: boolean; imports?: Imports } = {}) {
  return async function instantiate(
    memory: WebAssembly.Memory,
    createImports: (imports: Imports) => Imports,
    instantiate: (binary: Uint8Array, imports: Imports) => Promise<{ instance: WebAssembly.Instance; exports: any }>,
    binary: Uint8Array,
  ) {
    const session = new AspectSession(binary, options.printLogs ?? process.env.PROXY_WASM_LOGS === "1");
    const base: Imports = { env: { memory }, ...(options.imports ?? {}) };
    const imports = session.imports(createImports(base));
    const result = await instantiate(binary, imports);
    session.bind(result.instance);
    return result;
  };
}

/** Where this package's AssemblyScript sources are (assembly/), from the compiled front-end. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) if (existsSync(join(dir, "assembly", "proxy.ts"))) return dir;
  throw new AspectSetupError("proxy-wasm-as: cannot find the package's assembly/ folder next to the as-pect front-end");
}

export interface AspectConfigOptions {
  /** Spec globs (default: assembly/**\/__tests__/**\/*.spec.ts). */
  entries?: string[];
  /** Extra include globs (compiled with every spec). */
  include?: string[];
  /** The entry that exports the proxy-wasm ABI from every spec (default: the package's own). */
  proxyExports?: string;
  /** Echo the filter's logs to stderr (also PROXY_WASM_LOGS=1). */
  printLogs?: boolean;
  /** Imports for your own @external declarations. */
  imports?: Imports;
}

/**
 * The as-pect configuration for filter specs: every spec is compiled with the proxy-wasm ABI
 * exports and runs on the test host.
 *   export default aspectConfig();                       // as-pect.config.js
 *   export default aspectConfig({ entries: ["tests/**\/*.spec.ts"] });
 */
export function aspectConfig(o: AspectConfigOptions = {}) {
  const exportsEntry = o.proxyExports ?? join(packageRoot(), "assembly", "testing", "exports.ts");
  return {
    // PROXY_WASM_SPECS=glob[,glob] runs only those specs (as-pect itself always adds the configured entries).
    entries: process.env.PROXY_WASM_SPECS ? process.env.PROXY_WASM_SPECS.split(",") : o.entries ?? ["assembly/**/__tests__/**/*.spec.ts"],
    // as-pect hands include paths to asc relative to the working directory.
    include: [relative(process.cwd(), exportsEntry), ...(o.include ?? [])],
    disclude: [/node_modules/],
    instantiate: instantiateWithHost({ printLogs: o.printLogs, imports: o.imports }),
    outputBinary: false,
  };
}

/** The default configuration, so that `export { default } from "proxy-wasm-as/aspect"` is the whole file. */
export default aspectConfig();
