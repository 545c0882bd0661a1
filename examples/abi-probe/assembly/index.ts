// abi-probe: a test fixture for the Node test host. It makes exactly the host calls a test asks for
// and logs each result at info level as `probe <op> <result>`, so the host's tests can cover every
// host function through a real compiled module.
//
// Stream ops come from request headers read in on_request_headers: `x-probe-on-<phase>` where phase is
// request-headers, request-body, request-trailers, response-headers, response-body, response-trailers,
// log, done, delete. Root ops come from the plugin configuration (JSON):
//   {"on_configure": "...", "on_tick": "...", "on_queue_ready": "...", "on_foreign_function": "...",
//    "on_http_call_response": "...", "configure_result": true, "on_done_result": true}
// and the VM configuration is run as ops in on_vm_start. Ops are separated by ";", arguments by ",":
//   map-add,0,x-a,1;prop-get,request/path;pause
export * from "../../../assembly/proxy";
import {
  RootContext, Context, BaseContext, registerRootContext, FilterHeadersStatusValues, FilterDataStatusValues,
  FilterTrailersStatusValues, Headers, makeHeaderPair, parseJson, JsonObject, JsonString, JsonBool, JsonKind,
  casUpdate, casAttempts, SharedUpdate, GrpcCallHandler, getStatus, setEnvoyFilterState, clearRouteCache,
} from "../../../assembly";
import * as host from "../../../assembly/sdk/hostcalls";
import * as imp from "../../../assembly/sdk/imports";

const EMPTY = new ArrayBuffer(0);
const PHASES = ["request-headers", "request-body", "request-trailers", "response-headers", "response-body", "response-trailers", "log", "done", "delete"];

// ---------------------------------------------------------------- reporting

function report(op: string, result: string): void {
  const msg = String.UTF8.encode("probe " + op + " " + result);
  imp.proxy_log(2, changetype<usize>(msg), msg.byteLength);
}

function num(s: string): u32 { return <u32>I64.parseInt(s); }

function text(b: ArrayBuffer | null): string { return b === null ? "<null>" : String.UTF8.decode(b); }

function pairsText(h: Headers): string {
  const parts = new Array<string>();
  for (let i = 0; i < h.length; i++) parts.push(h[i].key + "=" + h[i].value);
  return parts.join("&");
}

/** "a/b/c" → "a\0b\0c" (property paths in ops use "/" between segments). */
function propPath(s: string): string { return s.split("/").join("\0"); }

function u64Text(n: u64): string { return n.toString(); }

// ---------------------------------------------------------------- shared-data increments (CAS test)

/** Yields to the host between read and write, so a test can run another VM in between. */
function yieldToHost(): void { host.callForeignFunction("probe_yield", EMPTY); }

function readCount(b: ArrayBuffer | null): i64 { return b === null ? 0 : I64.parseInt(String.UTF8.decode(b)); }

class IncrementWithYield extends SharedUpdate {
  value: i64 = 0;
  update(current: ArrayBuffer | null): ArrayBuffer | null {
    this.value = readCount(current) + 1;
    yieldToHost();
    return String.UTF8.encode(this.value.toString());
  }
}

// ---------------------------------------------------------------- callouts

let lastGrpc: u32 = 0;
let lastQueue: u32 = 0;
let lastCas: u32 = 0;
const metricIds = new Map<string, u32>();

class ProbeGrpc extends GrpcCallHandler {
  onInitialMetadata(origin: BaseContext, callId: u32, n: u32): void {
    report("grpc-initial", callId.toString() + ":" + n.toString() + ":" + pairsText(host.getHeaderPairs(4)));
  }
  onMessage(origin: BaseContext, callId: u32, size: u32): void {
    report("grpc-message", callId.toString() + ":" + host.getBufferString(5, 0, size));
  }
  onTrailingMetadata(origin: BaseContext, callId: u32, n: u32): void {
    report("grpc-trailing", callId.toString() + ":" + n.toString() + ":" + pairsText(host.getHeaderPairs(5)));
  }
  onClose(origin: BaseContext, callId: u32, status: u32): void {
    const st = getStatus();
    report("grpc-close", callId.toString() + ":" + status.toString() + ":" + st.message);
  }
}
const grpcHandler = new ProbeGrpc();

function onHttpResponse(origin: BaseContext, headers: u32, bodySize: usize, trailers: u32): void {
  const st = getStatus();
  const status = headers == 0 ? "" : text2(host.getHeader(6, ":status"));
  const body = host.getBufferString(4, 0, <u32>bodySize);
  const tr = trailers == 0 ? "" : pairsText(host.getHeaderPairs(7));
  report("http-response", headers.toString() + ":" + status + ":" + body + ":" + tr + ":" + st.code.toString() + ":" + st.message);
  if (origin instanceof ProbeStream) {
    const s = <ProbeStream>origin;
    run(s.afterCallout, s);
  } else {
    const r = <ProbeRoot>origin;
    run(r.ops("on_http_call_response"), null);
  }
}

// ---------------------------------------------------------------- the op interpreter

/** Runs `ops`; returns the callback's return value (0 unless a `pause`/`nobuffer` op asked otherwise). */
function run(ops: string, stream: ProbeStream | null): u32 {
  let action: u32 = 0;
  if (ops.length == 0) return action;
  const list = ops.split(";");
  for (let i = 0; i < list.length; i++) {
    const a = list[i].split(",");
    const op = a[0];
    if (op == "pause") { action = 1; continue; }
    if (op == "nobuffer") { action = 3; continue; }
    if (op == "log") { const m = String.UTF8.encode(a[2]); report(op, imp.proxy_log(num(a[1]), changetype<usize>(m), m.byteLength).toString()); continue; }
    if (op == "loglevel") { report(op, host.getLogLevel().toString() + ":" + host.lastStatus().toString()); continue; }
    if (op == "time") { const t = host.getProxyTimeNanoseconds(); report(op, host.lastStatus().toString() + ":" + u64Text(t)); continue; }
    if (op == "clock") {
      store<u64>(clockOut, 0);
      const errno = imp.wasi_clock_time_get(num(a[1]), 1, clockOut);
      report(op, errno.toString() + ":" + u64Text(load<u64>(clockOut)));
      continue;
    }
    if (op == "tick") { report(op, host.setTickPeriodMilliseconds(num(a[1])).toString()); continue; }
    if (op == "buf-get") {
      const v = host.getBufferString(num(a[1]), num(a[2]), num(a[3]));
      report(op, host.lastStatus().toString() + ":" + v);
      continue;
    }
    if (op == "buf-set") { report(op, host.setBufferString(num(a[1]), num(a[2]), num(a[3]), a[4]).toString()); continue; }
    if (op == "buf-status") { const n = host.getBufferSize(num(a[1])); report(op, host.lastStatus().toString() + ":" + n.toString()); continue; }
    if (op == "map-get") { const v = host.getHeader(num(a[1]), a[2]); report(op, host.lastStatus().toString() + ":" + text2(v)); continue; }
    if (op == "map-add") { report(op, host.addHeader(num(a[1]), a[2], a[3]).toString()); continue; }
    if (op == "map-replace") { report(op, host.replaceHeader(num(a[1]), a[2], a[3]).toString()); continue; }
    if (op == "map-remove") { report(op, host.removeHeader(num(a[1]), a[2]).toString()); continue; }
    if (op == "map-pairs") { const h = host.getHeaderPairs(num(a[1])); report(op, host.lastStatus().toString() + ":" + pairsText(h)); continue; }
    if (op == "map-size") { const n = host.getHeaderMapSize(num(a[1])); report(op, host.lastStatus().toString() + ":" + n.toString()); continue; }
    if (op == "map-set") {
      const h: Headers = [];
      for (let j = 2; j + 1 < a.length; j += 2) h.push(makeHeaderPair(a[j], a[j + 1]));
      report(op, host.setHeaderPairs(num(a[1]), h).toString());
      continue;
    }
    if (op == "continue") { report(op, host.continueStream(num(a[1])).toString()); continue; }
    if (op == "close") { report(op, host.closeStream(num(a[1])).toString()); continue; }
    if (op == "status") { const st = getStatus(); report(op, st.code.toString() + ":" + st.message); continue; }
    if (op == "local") {
      const h: Headers = [];
      for (let j = 5; j + 1 < a.length; j += 2) h.push(makeHeaderPair(a[j], a[j + 1]));
      report(op, host.sendLocalResponse(num(a[1]), a[2], String.UTF8.encode(a[3]), h, <i32>I32.parseInt(a[4])).toString());
      continue;
    }
    if (op == "http") {
      // http,<cluster>,<path>,<timeout ms>[,<ops to run on the stream after the response, "|" between
      // arguments and "~" between ops>]
      const h: Headers = [makeHeaderPair(":method", "GET"), makeHeaderPair(":path", a[2]), makeHeaderPair(":authority", a[1]), makeHeaderPair("x-probe", "1")];
      if (stream !== null && a.length > 4) stream.afterCallout = a[4].split("|").join(",").split("~").join(";");
      const origin: BaseContext = stream !== null ? stream : theRoot!;
      const id = theRoot!.httpCall(a[1], h, String.UTF8.encode("ping"), [makeHeaderPair("x-t", "1")], num(a[3]), origin, onHttpResponse);
      report(op, host.lastStatus().toString() + ":" + id.toString());
      continue;
    }
    if (op == "http-nopath") {
      const h: Headers = [makeHeaderPair(":method", "GET"), makeHeaderPair(":authority", a[1])];
      const id = host.httpCall(a[1], h, EMPTY, [], 1000);
      report(op, host.lastStatus().toString() + ":" + id.toString());
      continue;
    }
    if (op == "grpc") {
      const origin: BaseContext = stream !== null ? stream : theRoot!;
      lastGrpc = theRoot!.grpcCall(a[1], a[2], a[3], [makeHeaderPair("x-md", "1")], String.UTF8.encode(a[4]), num(a[5]), origin, grpcHandler);
      report(op, host.lastStatus().toString() + ":" + lastGrpc.toString());
      continue;
    }
    if (op == "grpc-stream") {
      const origin: BaseContext = stream !== null ? stream : theRoot!;
      lastGrpc = theRoot!.grpcStream(a[1], a[2], a[3], [makeHeaderPair("x-md", "1")], origin, grpcHandler);
      report(op, host.lastStatus().toString() + ":" + lastGrpc.toString());
      continue;
    }
    if (op == "grpc-send") { report(op, host.grpcSend(a.length > 3 ? num(a[3]) : lastGrpc, String.UTF8.encode(a[1]), a[2] == "1").toString()); continue; }
    if (op == "grpc-cancel") { report(op, host.grpcCancel(a.length > 1 ? num(a[1]) : lastGrpc).toString()); continue; }
    if (op == "grpc-close") { report(op, host.grpcClose(a.length > 1 ? num(a[1]) : lastGrpc).toString()); continue; }
    if (op == "shared-get") {
      const v = host.getSharedData(a[1]);
      lastCas = v.cas;
      report(op, host.lastStatus().toString() + ":" + v.cas.toString() + ":" + text(v.value));
      continue;
    }
    if (op == "shared-set") {
      const cas = a[3] == "last" ? lastCas : num(a[3]);
      report(op, host.setSharedData(a[1], String.UTF8.encode(a[2]), cas).toString());
      continue;
    }
    if (op == "incr-nocas") {
      const cur = host.getSharedData(a[1]);
      const v = readCount(cur.value) + 1;
      yieldToHost();
      const st = host.setSharedData(a[1], String.UTF8.encode(v.toString()), 0);
      report(op, st.toString() + ":" + v.toString());
      continue;
    }
    if (op == "incr-cas") {
      const u = new IncrementWithYield();
      const outcome = casUpdate(a[1], u);
      report(op, (<i32>outcome).toString() + ":" + casAttempts.toString() + ":" + u.value.toString());
      continue;
    }
    if (op == "q-register") { lastQueue = host.registerSharedQueue(a[1]); report(op, host.lastStatus().toString() + ":" + lastQueue.toString()); continue; }
    if (op == "q-resolve") { const q = host.resolveSharedQueue(a[1], a[2]); if (q != 0) lastQueue = q; report(op, host.lastStatus().toString() + ":" + q.toString()); continue; }
    if (op == "q-enqueue") { report(op, host.enqueueSharedQueue(a.length > 2 ? num(a[2]) : lastQueue, String.UTF8.encode(a[1])).toString()); continue; }
    if (op == "q-dequeue") { const v = host.dequeueSharedQueue(a.length > 1 ? num(a[1]) : lastQueue); report(op, host.lastStatus().toString() + ":" + text(v)); continue; }
    if (op == "metric-define") {
      const id = host.defineMetric(num(a[1]), a[2]);
      metricIds.set(a[2], id);
      report(op, host.lastStatus().toString() + ":" + id.toString());
      continue;
    }
    if (op == "metric-incr") { report(op, host.incrementMetric(metricId(a[1]), I64.parseInt(a[2])).toString()); continue; }
    if (op == "metric-record") { report(op, host.recordMetric(metricId(a[1]), U64.parseInt(a[2])).toString()); continue; }
    if (op == "metric-get") { const v = host.getMetric(metricId(a[1])); report(op, host.lastStatus().toString() + ":" + u64Text(v)); continue; }
    if (op == "prop-get") { const v = host.getPropertyString(propPath(a[1])); report(op, host.lastStatus().toString() + ":" + text2(v)); continue; }
    if (op == "prop-raw") {
      // A property path exactly as given (no "/" → NUL translation), e.g. a dotted path.
      const v = host.getPropertyString(a[1]);
      report(op, host.lastStatus().toString() + ":" + text2(v));
      continue;
    }
    if (op == "prop-int") {
      const b = host.getPropertyBytes(propPath(a[1]));
      const v: i64 = b === null || b.byteLength < 8 ? -1 : load<i64>(changetype<usize>(b));
      report(op, host.lastStatus().toString() + ":" + v.toString() + ":" + (b === null ? "0" : b.byteLength.toString()));
      continue;
    }
    if (op == "prop-pairs") {
      // A map-valued property (request/headers) decoded from the pair format.
      const b = host.getPropertyBytes(propPath(a[1]));
      report(op, host.lastStatus().toString() + ":" + (b === null ? "" : pairsText(decodePairs(b))));
      continue;
    }
    if (op == "prop-set") { report(op, host.setProperty(propPath(a[1]), String.UTF8.encode(a[2])).toString()); continue; }
    if (op == "foreign") {
      const r = host.callForeignFunction(a[1], String.UTF8.encode(a.length > 2 ? a[2] : ""));
      report(op, host.lastStatus().toString() + ":" + text(r));
      continue;
    }
    if (op == "filter-state") { report(op, setEnvoyFilterState(a[1], a[2]).toString()); continue; }
    if (op == "clear-route") { report(op, clearRouteCache().toString()); continue; }
    if (op == "random") {
      const buf = new ArrayBuffer(<i32>num(a[1]));
      const ok = host.randomFill(buf);
      let nonzero = 0;
      for (let j = 0; j < buf.byteLength; j++) if (load<u8>(changetype<usize>(buf) + j) != 0) nonzero++;
      report(op, (ok ? "0" : "1") + ":" + buf.byteLength.toString() + ":" + nonzero.toString());
      continue;
    }
    if (op == "env") { report(op, host.getEnvironment().join("&")); continue; }
    if (op == "args") { report(op, host.getArgsCount().toString() + ":" + host.getArgs().length.toString()); continue; }
    if (op == "fd") { report(op, host.writeFd(num(a[1]), a[2]).toString()); continue; }
    if (op == "exit") { imp.wasi_proc_exit(num(a[1])); continue; }
    if (op == "trap") { unreachable(); }
    if (op == "abort") { throw new Error("probe abort"); }
    if (op == "done") { report(op, host.done().toString()); continue; }
    if (op == "effective") { report(op, host.setEffectiveContext(a[1] == "self" && stream !== null ? stream.context_id : num(a[1])).toString()); continue; }
    report(op, "unknown-op");
  }
  return action;
}

const clockOut = memory.data(8);

function text2(v: string | null): string { return v === null ? "<null>" : v; }

function metricId(name: string): u32 { return metricIds.has(name) ? metricIds.get(name) : num(name); }

function decodePairs(b: ArrayBuffer): Headers {
  const out: Headers = [];
  const p = changetype<usize>(b);
  if (b.byteLength < 4) return out;
  const n = load<u32>(p);
  let data = p + 4 + n * 8;
  for (let i: u32 = 0; i < n; i++) {
    const kl = load<u32>(p + 4 + i * 8), vl = load<u32>(p + 8 + i * 8);
    const k = String.UTF8.decodeUnsafe(data, kl);
    data += kl + 1;
    const v = String.UTF8.decodeUnsafe(data, vl);
    data += vl + 1;
    out.push(makeHeaderPair(k, v));
  }
  return out;
}

// ---------------------------------------------------------------- contexts

let theRoot: ProbeRoot | null = null;

class ProbeRoot extends RootContext {
  config: JsonObject | null = null;

  ops(key: string): string {
    const c = this.config;
    if (c === null) return "";
    const v = c.get(key);
    return v !== null && v.kind == JsonKind.String ? (<JsonString>v).value : "";
  }

  flag(key: string, def: bool): bool {
    const c = this.config;
    if (c === null) return def;
    const v = c.get(key);
    return v !== null && v.kind == JsonKind.Bool ? (<JsonBool>v).value : def;
  }

  onStart(vmConfigSize: usize): bool {
    theRoot = this;
    run(this.getVmConfiguration(vmConfigSize), null);
    return true;
  }

  onConfigure(size: usize): bool {
    theRoot = this;
    super.onConfigure(size);
    const cfg = this.getConfiguration();
    const parsed = cfg.length ? parseJson(cfg) : null;
    this.config = parsed !== null && parsed.kind == JsonKind.Object ? <JsonObject>parsed : null;
    run(this.ops("on_configure"), null);
    return this.flag("configure_result", true);
  }

  onTick(): void { run(this.ops("on_tick"), null); }
  onQueueReady(id: u32): void { report("queue-ready", id.toString()); run(this.ops("on_queue_ready"), null); }
  onForeignFunction(id: u32, size: usize): void {
    report("foreign-callback", id.toString() + ":" + text(this.getForeignFunctionArguments(size)));
    run(this.ops("on_foreign_function"), null);
  }
  onDone(): bool { report("root-done", this.context_id.toString()); return this.flag("on_done_result", true); }
  onDelete(): void { report("root-delete", this.context_id.toString()); }

  createContext(id: u32): Context { return new ProbeStream(id, this); }
}

class ProbeStream extends Context {
  phaseOps: string[] = new Array<string>(PHASES.length);
  afterCallout: string = "";

  constructor(id: u32, root: ProbeRoot) {
    super(id, root);
    for (let i = 0; i < PHASES.length; i++) this.phaseOps[i] = "";
  }

  runPhase(i: i32): u32 { return run(this.phaseOps[i], this); }

  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    for (let i = 0; i < PHASES.length; i++) {
      const v = host.getHeader(0, "x-probe-on-" + PHASES[i]);
      if (v !== null) this.phaseOps[i] = v;
    }
    report("request-headers", n.toString() + ":" + (eos ? "1" : "0"));
    return <FilterHeadersStatusValues>this.runPhase(0);
  }
  onRequestBody(size: usize, eos: bool): FilterDataStatusValues {
    report("request-body", size.toString() + ":" + (eos ? "1" : "0"));
    return <FilterDataStatusValues>this.runPhase(1);
  }
  onRequestTrailers(n: u32): FilterTrailersStatusValues { report("request-trailers", n.toString()); return <FilterTrailersStatusValues>this.runPhase(2); }
  onResponseHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    report("response-headers", n.toString() + ":" + (eos ? "1" : "0"));
    return <FilterHeadersStatusValues>this.runPhase(3);
  }
  onResponseBody(size: usize, eos: bool): FilterDataStatusValues {
    report("response-body", size.toString() + ":" + (eos ? "1" : "0"));
    return <FilterDataStatusValues>this.runPhase(4);
  }
  onResponseTrailers(n: u32): FilterTrailersStatusValues { report("response-trailers", n.toString()); return <FilterTrailersStatusValues>this.runPhase(5); }
  onLog(): void { report("log-phase", this.context_id.toString()); this.runPhase(6); }
  onDone(): bool { report("done-phase", this.context_id.toString()); this.runPhase(7); return true; }
  onDelete(): void { report("delete-phase", this.context_id.toString()); this.runPhase(8); }
}

registerRootContext((id: u32): RootContext => new ProbeRoot(id), "abi_probe");
