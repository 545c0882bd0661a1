// proxy-wasm-as/assembly/testing: drive a filter from an as-pect spec as Envoy would — new stream,
// request headers/body/trailers in; headers, local reply, metrics, logs, shared data, ticks on a
// virtual clock, callout answers out. The spec runs on the Node test host (proxy-wasm-as/aspect):
// these functions are its test-control imports; the filter's own host calls go to the same host.
//
//   import "../index";                                   // the filter: registers its root context
//   import { TestHost } from "proxy-wasm-as/assembly/testing";
//   const host = TestHost.create("my_root_id", `{"key": "s3cret"}`);
//   const s = host.newHttpStream();
//   s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "x"]], true);
//   expect(s.localResponse!.status).toBe(401);
import { HeaderPair, Headers, serializeHeaders, deserializeHeaders } from "../sdk/headers";

// ---------------------------------------------------------------- the test-control imports

// @ts-ignore: decorator
@external("proxy_test", "host_create") declare function host_create(p: usize, l: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_configured") declare function host_configured(h: i32): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_reconfigure") declare function host_reconfigure(h: i32, p: usize, l: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_shutdown") declare function host_shutdown(h: i32): void;
// @ts-ignore: decorator
@external("proxy_test", "host_set_log_level") declare function host_set_log_level(h: i32, level: i32): void;
// @ts-ignore: decorator
@external("proxy_test", "host_new_stream") declare function host_new_stream(h: i32, vm: i32, p: usize, l: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_metric") declare function host_metric(h: i32, p: usize, l: usize, ret: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_histogram") declare function host_histogram(h: i32, p: usize, l: usize, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_logs") declare function host_logs(h: i32, level: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_shared_get") declare function host_shared_get(h: i32, kp: usize, kl: usize, rp: usize, rl: usize, cas: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_shared_set") declare function host_shared_set(h: i32, kp: usize, kl: usize, vp: usize, vl: usize, cas: u32): u32;
// @ts-ignore: decorator
@external("proxy_test", "host_tick") declare function host_tick(h: i32, ms: f64): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_advance_time") declare function host_advance_time(h: i32, ms: f64): void;
// @ts-ignore: decorator
@external("proxy_test", "host_count") declare function host_count(h: i32, what: i32): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_trap") declare function host_trap(h: i32, i: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "host_foreign_call") declare function host_foreign_call(h: i32, i: i32, what: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "http_call_get") declare function http_call_get(h: i32, i: i32, what: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "http_call_timeout") declare function http_call_timeout(h: i32, i: i32): i32;
// @ts-ignore: decorator
@external("proxy_test", "http_call_respond") declare function http_call_respond(h: i32, i: i32, status: i32, hp: usize, hl: usize, bp: usize, bl: usize, tp: usize, tl: usize): void;
// @ts-ignore: decorator
@external("proxy_test", "http_call_fail") declare function http_call_fail(h: i32, i: i32): void;
// @ts-ignore: decorator
@external("proxy_test", "grpc_call_get") declare function grpc_call_get(h: i32, i: i32, what: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "grpc_call_respond") declare function grpc_call_respond(h: i32, i: i32, p: usize, l: usize): void;
// @ts-ignore: decorator
@external("proxy_test", "grpc_call_fail") declare function grpc_call_fail(h: i32, i: i32, status: i32, p: usize, l: usize): void;
// @ts-ignore: decorator
@external("proxy_test", "stream_send") declare function stream_send(s: i32, kind: i32, p: usize, l: usize, end: i32): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_header") declare function stream_header(s: i32, which: i32, kp: usize, kl: usize, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_headers") declare function stream_headers(s: i32, which: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_body") declare function stream_body(s: i32, which: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_text") declare function stream_text(s: i32, what: i32, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_lookup") declare function stream_lookup(s: i32, what: i32, kp: usize, kl: usize, rp: usize, rl: usize): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_flag") declare function stream_flag(s: i32, what: i32): i32;
// @ts-ignore: decorator
@external("proxy_test", "stream_complete") declare function stream_complete(s: i32): void;

// ---------------------------------------------------------------- passing data

// Out-parameters of the test-control calls (separate from the SDK's, which the filter uses meanwhile).
const RET_PTR: usize = memory.data(8);
const RET_LEN: usize = memory.data(8);
const RET_EXTRA: usize = memory.data(8);

function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function ptr(b: ArrayBuffer): usize { return changetype<usize>(b); }
function len(b: ArrayBuffer): usize { return <usize>b.byteLength; }

/** The buffer the host just returned in RET_PTR/RET_LEN (freed here). */
function takeBytes(): ArrayBuffer {
  const p = load<usize>(RET_PTR), n = load<usize>(RET_LEN);
  const out = new ArrayBuffer(<i32>n);
  if (p != 0) {
    memory.copy(changetype<usize>(out), p, n);
    heap.free(p);
  }
  return out;
}

function takeText(): string {
  return String.UTF8.decode(takeBytes());
}

function clearRet(): void {
  store<usize>(RET_PTR, 0);
  store<usize>(RET_LEN, 0);
}

function takePairs(): string[][] {
  const b = takeBytes();
  const hs = deserializeHeaders(changetype<usize>(b), <usize>b.byteLength);
  const out = new Array<string[]>(hs.length);
  for (let i = 0; i < hs.length; i++) out[i] = [hs[i].key, hs[i].value];
  return out;
}

/** [[name, value], …] in the ABI's map format. */
function pairsBuffer(pairs: string[][]): ArrayBuffer {
  const hs = new Array<HeaderPair>(0);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    assert(p.length == 2, "a header is [name, value]");
    hs.push(new HeaderPair(p[0], p[1]));
  }
  return serializeHeaders(hs);
}

function jsonString(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

function jsonObject(m: Map<string, string>): string {
  const keys = m.keys();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ",";
    out += jsonString(keys[i]) + ":" + jsonString(m.get(keys[i]));
  }
  return out + "}";
}

// ---------------------------------------------------------------- the API

/** What a stream step did: the filter let the direction go on, or stopped it (also after a local reply). */
export enum Action { Continue = 0, Pause = 1 }

/** Envoy's wasm log levels. */
export enum LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5 }
const LEVEL_NAMES: string[] = ["trace", "debug", "info", "warn", "error", "critical"];

/** How the plugin is set up, as in its Envoy configuration. */
export class HostOptions {
  /** Plugin root_id (the name your filter passes to registerRootContext). */
  rootId: string = "";
  /** Plugin configuration (Envoy's `configuration`); null for none. */
  config: string | null = null;
  /** vm_config.configuration. */
  vmConfig: string = "";
  /** vm_config.vm_id (scopes shared data and queues). */
  vmId: string = "";
  /** Worker VMs (Envoy --concurrency): VM 0 is this spec, the others fresh instances sharing shared data. */
  vms: i32 = 1;
  /** Envoy's wasm log level; messages below it are dropped. */
  logLevel: LogLevel = LogLevel.Info;
  /** Host-wide properties, e.g. "node.id" → "n1" (string values). */
  properties: Map<string, string> = new Map();
  /** vm_config.environment_variables. */
  env: Map<string, string> = new Map();
  /** Known upstream clusters; when set, callouts to others are refused as Envoy refuses them. */
  clusters: string[] | null = null;
  /** Start of the virtual clock in ms since the epoch (-1: now). */
  nowMs: f64 = -1;
  /** "FAIL_CLOSED" | "FAIL_OPEN" to simulate failure_policy instead of failing the test on a trap. */
  failurePolicy: string = "";
  /** Echo the filter's logs to stderr. */
  printLogs: bool = false;

  toJson(): string {
    let out = "{\"rootId\":" + jsonString(this.rootId);
    const cfg = this.config;
    if (cfg !== null) out += ",\"config\":" + jsonString(cfg);
    out += ",\"vmConfig\":" + jsonString(this.vmConfig) + ",\"vmId\":" + jsonString(this.vmId);
    out += ",\"vms\":" + this.vms.toString() + ",\"logLevel\":" + jsonString(LEVEL_NAMES[<i32>this.logLevel]);
    out += ",\"properties\":" + jsonObject(this.properties) + ",\"env\":" + jsonObject(this.env);
    const clusters = this.clusters;
    if (clusters !== null) {
      out += ",\"clusters\":[";
      for (let i = 0; i < clusters.length; i++) out += (i > 0 ? "," : "") + jsonString(clusters[i]);
      out += "]";
    }
    if (this.nowMs >= 0) out += ",\"nowMs\":" + this.nowMs.toString();
    out += ",\"failurePolicy\":" + jsonString(this.failurePolicy);
    out += ",\"printLogs\":" + (this.printLogs ? "true" : "false");
    return out + "}";
  }
}

/** A log line the filter wrote (at or above the host's log level). */
export class LogLine {
  constructor(public level: string, public message: string) {}
}

/** The local reply the filter sent (send_local_response), as the client receives it. */
export class LocalResponse {
  constructor(private stream: i32, public status: i32) {}

  /** Body as the client receives it (UTF-8). */
  get body(): string {
    clearRet();
    stream_body(this.stream, 2, RET_PTR, RET_LEN);
    return takeText();
  }

  /** response_code_details, e.g. "wasm_fail_stream". */
  get details(): string {
    clearRet();
    stream_text(this.stream, 0, RET_PTR, RET_LEN);
    return takeText();
  }

  /** The gRPC status the filter gave, or -1. */
  get grpcStatus(): i32 {
    return stream_flag(this.stream, 8);
  }

  /** A response header of the reply, or null. */
  header(name: string): string | null {
    return streamHeader(this.stream, 4, name);
  }

  headers(): string[][] {
    clearRet();
    stream_headers(this.stream, 4, RET_PTR, RET_LEN);
    return takePairs();
  }
}

function streamHeader(s: i32, which: i32, name: string): string | null {
  const k = utf8(name);
  clearRet();
  if (!stream_header(s, which, ptr(k), len(k), RET_PTR, RET_LEN)) return null;
  return takeText();
}

function streamHeaders(s: i32, which: i32): string[][] {
  clearRet();
  if (!stream_headers(s, which, RET_PTR, RET_LEN)) return new Array<string[]>(0);
  return takePairs();
}

/** One HTTP stream through the filter, driven as Envoy's filter manager drives it. */
export class TestStream {
  constructor(readonly handle: i32) {}

  sendRequestHeaders(headers: string[][], endOfStream: bool = false): Action {
    const b = pairsBuffer(headers);
    return <Action>stream_send(this.handle, 0, ptr(b), len(b), endOfStream ? 1 : 0);
  }

  sendRequestBody(body: string, endOfStream: bool = false): Action {
    return this.sendRequestBodyBytes(utf8(body), endOfStream);
  }

  sendRequestBodyBytes(body: ArrayBuffer, endOfStream: bool = false): Action {
    return <Action>stream_send(this.handle, 1, ptr(body), len(body), endOfStream ? 1 : 0);
  }

  sendRequestTrailers(trailers: string[][]): Action {
    const b = pairsBuffer(trailers);
    return <Action>stream_send(this.handle, 2, ptr(b), len(b), 1);
  }

  sendResponseHeaders(headers: string[][], endOfStream: bool = false): Action {
    const b = pairsBuffer(headers);
    return <Action>stream_send(this.handle, 3, ptr(b), len(b), endOfStream ? 1 : 0);
  }

  sendResponseBody(body: string, endOfStream: bool = false): Action {
    return this.sendResponseBodyBytes(utf8(body), endOfStream);
  }

  sendResponseBodyBytes(body: ArrayBuffer, endOfStream: bool = false): Action {
    return <Action>stream_send(this.handle, 4, ptr(body), len(body), endOfStream ? 1 : 0);
  }

  sendResponseTrailers(trailers: string[][]): Action {
    const b = pairsBuffer(trailers);
    return <Action>stream_send(this.handle, 5, ptr(b), len(b), 1);
  }

  /** A request header as the upstream receives it (the live map while the filter runs), or null. */
  requestHeader(name: string): string | null { return streamHeader(this.handle, 0, name); }
  requestHeaders(): string[][] { return streamHeaders(this.handle, 0); }
  requestTrailer(name: string): string | null { return streamHeader(this.handle, 1, name); }
  /** A response header as the client receives it, or null. */
  responseHeader(name: string): string | null { return streamHeader(this.handle, 2, name); }
  responseHeaders(): string[][] { return streamHeaders(this.handle, 2); }
  responseTrailer(name: string): string | null { return streamHeader(this.handle, 3, name); }

  /** The request body the upstream received so far (UTF-8). */
  get requestBody(): string {
    clearRet();
    stream_body(this.handle, 0, RET_PTR, RET_LEN);
    return takeText();
  }

  /** The response body the client received so far (UTF-8). */
  get responseBody(): string {
    clearRet();
    stream_body(this.handle, 1, RET_PTR, RET_LEN);
    return takeText();
  }

  /** The local reply the filter sent, or null. */
  get localResponse(): LocalResponse | null {
    const status = stream_flag(this.handle, 7);
    return status == 0 ? null : new LocalResponse(this.handle, status);
  }

  get requestPaused(): bool { return stream_flag(this.handle, 0) != 0; }
  get responsePaused(): bool { return stream_flag(this.handle, 1) != 0; }
  /** The filter reset the stream (or replied after the response started). */
  get reset(): bool { return stream_flag(this.handle, 2) != 0; }
  get requestForwarded(): bool { return stream_flag(this.handle, 3) != 0; }
  get responseForwarded(): bool { return stream_flag(this.handle, 4) != 0; }
  /** Times the filter cleared the route cache on this stream. */
  get routeCacheCleared(): i32 { return stream_flag(this.handle, 5); }
  get completed(): bool { return stream_flag(this.handle, 6) != 0; }

  /** The trap message if the VM failed in one of this stream's callbacks (with a failurePolicy), or null. */
  get trap(): string | null {
    clearRet();
    if (!stream_text(this.handle, 1, RET_PTR, RET_LEN)) return null;
    return takeText();
  }

  /** Envoy filter state the filter set (set_envoy_filter_state), or null. */
  filterState(key: string): string | null {
    const k = utf8(key);
    clearRet();
    if (!stream_lookup(this.handle, 0, ptr(k), len(k), RET_PTR, RET_LEN)) return null;
    return takeText();
  }

  /** A stream property (dotted path, e.g. "request.path"), or null. */
  property(path: string): string | null {
    const k = utf8(path);
    clearRet();
    if (!stream_lookup(this.handle, 1, ptr(k), len(k), RET_PTR, RET_LEN)) return null;
    return takeText();
  }

  /** Ends the stream: on_log, on_done, on_delete (Envoy's order). */
  complete(): void { stream_complete(this.handle); }
}

/** An HTTP callout the filter started, waiting for the spec to answer it. */
export class PendingHttpCall {
  constructor(private host: i32, private index: i32) {}

  private get(what: i32): ArrayBuffer {
    clearRet();
    http_call_get(this.host, this.index, what, RET_PTR, RET_LEN);
    return takeBytes();
  }

  get cluster(): string { return String.UTF8.decode(this.get(0)); }
  get body(): string { return String.UTF8.decode(this.get(1)); }
  get timeoutMs(): i32 { return http_call_timeout(this.host, this.index); }

  headers(): string[][] {
    clearRet();
    http_call_get(this.host, this.index, 2, RET_PTR, RET_LEN);
    return takePairs();
  }

  /** A header of the callout request (":path", ":authority", …), or null. */
  header(name: string): string | null {
    const hs = this.headers();
    const key = name.toLowerCase();
    for (let i = 0; i < hs.length; i++) if (hs[i][0].toLowerCase() == key) return hs[i][1];
    return null;
  }

  /** Answers the callout: proxy_on_http_call_response with these headers (":status" added), body and trailers. */
  respond(status: i32, headers: string[][] = [], body: string = "", trailers: string[][] | null = null): void {
    const h = pairsBuffer(headers), b = utf8(body);
    if (trailers !== null) {
      const t = pairsBuffer(trailers);
      http_call_respond(this.host, this.index, status, ptr(h), len(h), ptr(b), len(b), ptr(t), len(t));
    } else {
      http_call_respond(this.host, this.index, status, ptr(h), len(h), ptr(b), len(b), 0, 0);
    }
  }

  /** Fails the callout as a reset connection (the callback sees no headers). */
  fail(): void { http_call_fail(this.host, this.index); }
}

/** A gRPC call the filter started, waiting for the spec to answer it. */
export class PendingGrpcCall {
  constructor(private host: i32, private index: i32) {}

  private get(what: i32): ArrayBuffer {
    clearRet();
    grpc_call_get(this.host, this.index, what, RET_PTR, RET_LEN);
    return takeBytes();
  }

  get cluster(): string { return String.UTF8.decode(this.get(0)); }
  get service(): string { return String.UTF8.decode(this.get(1)); }
  get method(): string { return String.UTF8.decode(this.get(2)); }
  get message(): ArrayBuffer { return this.get(3); }

  /** Answers a unary call with this response message. */
  respond(message: ArrayBuffer): void { grpc_call_respond(this.host, this.index, ptr(message), len(message)); }

  /** Fails the call with a gRPC status and message. */
  fail(status: i32, message: string = ""): void {
    const m = utf8(message);
    grpc_call_fail(this.host, this.index, status, ptr(m), len(m));
  }
}

/** The plugin, loaded as Envoy loads it (VM start, configure), in the Node test host. */
export class TestHost {
  private constructor(readonly handle: i32) {}

  /** Loads the plugin with `rootId` and a configuration on `vms` worker VMs. */
  static create(rootId: string, config: string | null = null, vms: i32 = 1): TestHost {
    const o = new HostOptions();
    o.rootId = rootId;
    o.config = config;
    o.vms = vms;
    return TestHost.withOptions(o);
  }

  static withOptions(options: HostOptions): TestHost {
    const j = utf8(options.toJson());
    return new TestHost(host_create(ptr(j), len(j)));
  }

  /** False when on_vm_start or on_configure refused the configuration (Envoy would reject the plugin). */
  get configured(): bool { return host_configured(this.handle) != 0; }

  /** Applies a new configuration as Envoy does; false (and the old one kept) when refused. */
  reconfigure(config: string): bool {
    const c = utf8(config);
    return host_reconfigure(this.handle, ptr(c), len(c)) != 0;
  }

  /** Opens an HTTP stream (round-robin over the VMs unless `vm` ≥ 0). */
  newHttpStream(vm: i32 = -1): TestStream {
    return new TestStream(host_new_stream(this.handle, vm, 0, 0));
  }

  /** Opens an HTTP stream with per-stream properties, e.g. "source.address" → "10.0.0.7:4000". */
  newHttpStreamWith(properties: Map<string, string>, vm: i32 = -1): TestStream {
    const p = utf8(jsonObject(properties));
    return new TestStream(host_new_stream(this.handle, vm, ptr(p), len(p)));
  }

  set logLevel(level: LogLevel) { host_set_log_level(this.handle, <i32>level); }

  /** True when a counter or gauge of this name was defined. */
  hasMetric(name: string): bool {
    const n = utf8(name);
    return host_metric(this.handle, ptr(n), len(n), RET_EXTRA) != 0;
  }

  /** A counter's or gauge's value (a histogram: its sample count); 0 when never defined. */
  metric(name: string): i64 {
    const n = utf8(name);
    store<i64>(RET_EXTRA, 0);
    if (!host_metric(this.handle, ptr(n), len(n), RET_EXTRA)) return 0;
    return load<i64>(RET_EXTRA);
  }

  /** A histogram's samples in recording order. */
  histogram(name: string): u64[] {
    const n = utf8(name);
    clearRet();
    host_histogram(this.handle, ptr(n), len(n), RET_PTR, RET_LEN);
    const b = takeBytes();
    const out = new Array<u64>(b.byteLength >> 3);
    for (let i = 0; i < out.length; i++) out[i] = load<u64>(changetype<usize>(b) + (<usize>i << 3));
    return out;
  }

  /** The filter's log lines (optionally of one level), in order. */
  logs(level: i32 = -1): LogLine[] {
    clearRet();
    host_logs(this.handle, level, RET_PTR, RET_LEN);
    const pairs = takePairs();
    const out = new Array<LogLine>(pairs.length);
    for (let i = 0; i < pairs.length; i++) out[i] = new LogLine(pairs[i][0], pairs[i][1]);
    return out;
  }

  /** True when some log line (optionally of one level) contains `text`. */
  logged(text: string, level: i32 = -1): bool {
    const ls = this.logs(level);
    for (let i = 0; i < ls.length; i++) if (ls[i].message.includes(text)) return true;
    return false;
  }

  /** A shared-data value as the plugin sees it (UTF-8), or null. */
  sharedData(key: string): string | null {
    const b = this.sharedDataBytes(key);
    return b === null ? null : String.UTF8.decode(b);
  }

  sharedDataBytes(key: string): ArrayBuffer | null {
    const k = utf8(key);
    clearRet();
    if (!host_shared_get(this.handle, ptr(k), len(k), RET_PTR, RET_LEN, RET_EXTRA)) return null;
    return takeBytes();
  }

  /** The CAS of a shared-data entry (after sharedData/sharedDataBytes read it), or 0. */
  sharedDataCas(key: string): u32 {
    const k = utf8(key);
    store<u32>(RET_EXTRA, 0);
    clearRet();
    if (!host_shared_get(this.handle, ptr(k), len(k), RET_PTR, RET_LEN, RET_EXTRA)) return 0;
    takeBytes();
    return load<u32>(RET_EXTRA);
  }

  /** Writes shared data with the plugin's CAS rules; returns the ABI status (0 OK, 8 CAS mismatch). */
  setSharedData(key: string, value: string, cas: u32 = 0): u32 {
    const k = utf8(key), v = utf8(value);
    return host_shared_set(this.handle, ptr(k), len(k), ptr(v), len(v), cas);
  }

  /** Advances the virtual clock by `ms`, firing due ticks and callout timeouts; -1: to the next tick. Returns ticks fired. */
  tick(ms: f64 = -1): i32 { return host_tick(this.handle, ms); }

  /** Moves the virtual clock without firing anything (token buckets etc.). */
  advanceTime(ms: f64): void { host_advance_time(this.handle, ms); }

  /** HTTP callouts waiting for an answer. */
  get httpCalls(): i32 { return host_count(this.handle, 0); }
  httpCall(i: i32 = 0): PendingHttpCall {
    assert(i < this.httpCalls, "no such pending HTTP callout");
    return new PendingHttpCall(this.handle, i);
  }

  /** gRPC calls waiting for an answer. */
  get grpcCalls(): i32 { return host_count(this.handle, 1); }
  grpcCall(i: i32 = 0): PendingGrpcCall {
    assert(i < this.grpcCalls, "no such pending gRPC call");
    return new PendingGrpcCall(this.handle, i);
  }

  /** Traps so far (with a failurePolicy; without one a trap fails the test). */
  get traps(): i32 { return host_count(this.handle, 2); }
  trap(i: i32): string {
    clearRet();
    host_trap(this.handle, i, RET_PTR, RET_LEN);
    return takeText();
  }

  get liveStreams(): i32 { return host_count(this.handle, 3); }

  /** Foreign-function calls the filter made (clear_route_cache, set_envoy_filter_state, …). */
  get foreignCalls(): i32 { return host_count(this.handle, 4); }
  foreignCallName(i: i32): string {
    clearRet();
    host_foreign_call(this.handle, i, 0, RET_PTR, RET_LEN);
    return takeText();
  }

  /** Retires the plugin: on_done/on_delete on the root contexts. */
  shutdown(): void { host_shutdown(this.handle); }
}


