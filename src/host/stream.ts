// One HTTP stream through the plugin, driven the way Envoy's filter manager drives a Wasm filter:
// callbacks in order, header maps reachable only while their callback runs (or while the stream is
// paused there, or read-only in on_log), local replies deferred until the callback returns,
// pause/resume, and the failure policy when the VM traps.
import { BufferType, GrpcStatus, MapType } from "./abi.js";
import { type BytesLike, concat, toBytes, toText } from "./bytes.js";
import type { VirtualClock } from "./clock.js";
import { HeaderMap, type HeadersInit } from "./header-map.js";
import { DEFAULT_STREAM_PROPERTIES, encodeAll, type PropertyInit, type StreamFacts } from "./properties.js";
import type { BufferRef, VmStream } from "./services.js";
import type { Vm } from "./vm.js";

// Encoded once: every stream shares these read-only maps unless the test gives its own properties.
const DEFAULTS = encodeAll(DEFAULT_STREAM_PROPERTIES);
const NONE = new Map<string, Uint8Array>();

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** What a stream needs from the host that owns it (ProxyHost implements it). */
export interface StreamHost {
  readonly clock: VirtualClock;
  readonly failurePolicy: FailurePolicy;
  readonly throwOnTrap: boolean;
  trackStream(s: HttpStream): void;
  forgetStream(s: HttpStream): void;
  /** The trap raised during the last call, if any (and forgets it). */
  takePendingTrap(): string | null;
}

export interface SendOptions {
  /** The last frame of this direction (no body/trailers follow). Default: false for headers and body. */
  endOfStream?: boolean;
}

export interface LocalResponse {
  status: number;
  /** Body as the client receives it (UTF-8). */
  body: string;
  bodyBytes: Uint8Array;
  /** Response headers as the client receives them (after this filter's on_response_headers). */
  headers: Record<string, string>;
  /** response_code_details, e.g. "wasm_fail_stream" for a failed VM. */
  details: string;
  /** gRPC status given by the plugin, or null (-1 / out of range in the ABI). */
  grpcStatus: number | null;
}

export interface StepResult {
  /** "continue": this direction went on; "pause": the filter stopped it (also after a local response). */
  action: "continue" | "pause";
  localResponse: LocalResponse | null;
  trap: string | null;
}

export interface StreamOptions {
  /** Worker VM to run on (index into host.vms). Default: round-robin. */
  vm?: number;
  /** Per-stream properties, e.g. {"source.address": "10.1.2.3:5555"}. */
  properties?: PropertyInit;
}

/** Thrown by the test API when the plugin trapped and the host was not asked to simulate failure_policy. */
export class ProxyWasmTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProxyWasmTrap";
  }
}

type Outcome = "continue" | "stop";

// HTTP status → gRPC status for local replies to gRPC requests (Envoy Grpc::Utility::httpToGrpcStatus).
function httpToGrpc(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

export class HttpStream implements VmStream {
  /** Request headers: while the filter runs, the live map; afterwards, what the upstream received. */
  readonly requestHeaders = new HeaderMap();
  requestTrailers: HeaderMap | null = null;
  /** Response headers: what the client receives. */
  readonly responseHeaders = new HeaderMap();
  responseTrailers: HeaderMap | null = null;
  localResponse: LocalResponse | null = null;
  /** The VM died during one of this stream's callbacks. */
  private diedHere = false;
  /** The first trap message seen while this stream ran, or null. */
  trap: string | null = null;
  /** The plugin reset the stream (proxy_close_stream), or a local reply came after the response started. */
  reset = false;
  completed = false;
  /** Request headers went upstream / response headers went to the client. */
  requestForwarded = false;
  responseForwarded = false;
  /** Times the plugin called the clear_route_cache foreign function on this stream. */
  routeCacheCleared = 0;
  /** Times the plugin changed the request headers (Envoy no longer re-routes on its own). */
  requestHeadersModified = 0;
  /** Envoy filter state set through set_envoy_filter_state: key → value. */
  readonly filterState = new Map<string, string>();
  /** Properties the plugin set with proxy_set_property. */
  readonly filterProperties = new Map<string, Uint8Array>();
  readonly testProperties: Map<string, Uint8Array>;
  readonly testDefaults: Map<string, Uint8Array>;
  inAccessLog = false;
  stopNextIteration = false;

  private created = false;
  private requestHeadersSent = false;
  private responseHeadersSent = false;
  private requestEnded = false;
  private responseEnded = false;
  private reqBody: Uint8Array[] = [];
  private respBody: Uint8Array[] = [];
  private reqBuffer: Uint8Array | null = null;
  private respBuffer: Uint8Array | null = null;
  private reqBuffering = false;
  private respBuffering = false;
  private reqStopped = false;
  private respStopped = false;
  private failureReplySent = false;
  private open = { reqHeaders: false, reqTrailers: false, reqBody: false, respHeaders: false, respTrailers: false, respBody: false };
  private endOfStream = false;
  private readonly startNs: bigint;
  private readonly connectionId: number;

  constructor(readonly host: StreamHost, readonly vm: Vm, readonly id: number, readonly rootContextId: number, opts: StreamOptions = {}) {
    this.testProperties = opts.properties ? encodeAll(opts.properties) : NONE;
    this.testDefaults = DEFAULTS;
    this.startNs = host.clock.realtimeNs();
    this.connectionId = id;
  }

  /** True while the request is stopped in this filter (paused headers, buffering body). */
  get requestPaused(): boolean {
    return this.reqStopped;
  }

  get responsePaused(): boolean {
    return this.respStopped;
  }

  /** Request body the upstream received so far (UTF-8). */
  get requestBody(): string {
    return toText(this.requestBodyBytes);
  }

  get requestBodyBytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.reqBody));
  }

  /** Response body the client received so far (UTF-8). */
  get responseBody(): string {
    return toText(this.responseBodyBytes);
  }

  get responseBodyBytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.respBody));
  }

  /** Envoy filter state and properties set by the plugin, as text. */
  property(path: string): string | undefined {
    const v = this.filterProperties.get(path.includes("\0") ? path : path.split(".").join("\0"));
    return v ? toText(v) : undefined;
  }

  // ---------------------------------------------------------------- test API: request direction

  sendRequestHeaders(headers: HeadersInit, opts: SendOptions = {}): StepResult {
    this.assertLive("sendRequestHeaders");
    if (this.requestHeadersSent) throw new Error("sendRequestHeaders: request headers were already sent on this stream");
    this.requestHeadersSent = true;
    this.requestEnded = !!opts.endOfStream;
    this.requestHeaders.setAll(headers);
    this.ensureCreated();
    this.open.reqHeaders = true;
    this.endOfStream = this.requestEnded;
    const raw = this.invoke("proxy_on_request_headers", 2, this.requestHeaders.size, this.requestEnded ? 1 : 0);
    const out = this.headersOutcome(raw);
    if (out === "continue") this.resume("request");
    else this.reqStopped = !this.localResponse;
    return this.result(out);
  }

  sendRequestBody(data: BytesLike, opts: SendOptions = {}): StepResult {
    this.assertLive("sendRequestBody");
    if (!this.requestHeadersSent) throw new Error("sendRequestBody: send the request headers first");
    if (this.requestEnded) throw new Error("sendRequestBody: the request already ended (endOfStream was sent)");
    this.requestEnded = !!opts.endOfStream;
    if (this.localResponse || this.reset) return this.result("stop");
    const chunk = toBytes(data);
    this.reqBuffer = this.reqBuffering && this.reqBuffer ? concat(this.reqBuffer, chunk) : chunk;
    this.open.reqBody = true;
    this.endOfStream = this.requestEnded;
    const raw = this.invoke("proxy_on_request_body", 2, this.reqBuffer.length, this.requestEnded ? 1 : 0);
    return this.result(this.bodyOutcome("request", raw));
  }

  sendRequestTrailers(trailers: HeadersInit): StepResult {
    this.assertLive("sendRequestTrailers");
    if (!this.requestHeadersSent) throw new Error("sendRequestTrailers: send the request headers first");
    if (this.requestEnded) throw new Error("sendRequestTrailers: the request already ended (endOfStream was sent)");
    this.requestEnded = true;
    if (this.localResponse || this.reset) return this.result("stop");
    this.requestTrailers = HeaderMap.from(trailers);
    this.open.reqTrailers = true;
    const raw = this.invoke("proxy_on_request_trailers", 1, this.requestTrailers.size, 0);
    const out = raw === undefined ? this.failOutcome() : raw === 0 && !this.stopNextIteration ? "continue" : "stop";
    if (out === "continue") this.resume("request");
    else this.reqStopped = !this.localResponse;
    return this.result(out);
  }

  // ---------------------------------------------------------------- test API: response direction

  sendResponseHeaders(headers: HeadersInit, opts: SendOptions = {}): StepResult {
    this.assertLive("sendResponseHeaders");
    if (this.localResponse) throw new Error(`sendResponseHeaders: the filter already answered with a local response (${this.localResponse.status}); no upstream response follows`);
    if (!this.requestForwarded) throw new Error("sendResponseHeaders: the request never reached the upstream (the filter paused it and did not resume)");
    if (this.responseHeadersSent) throw new Error("sendResponseHeaders: response headers were already sent on this stream");
    this.responseHeadersSent = true;
    this.responseEnded = !!opts.endOfStream;
    this.responseHeaders.setAll(headers);
    this.open.respHeaders = true;
    this.endOfStream = this.responseEnded;
    const raw = this.invoke("proxy_on_response_headers", 2, this.responseHeaders.size, this.responseEnded ? 1 : 0);
    const out = this.headersOutcome(raw);
    if (out === "continue") this.resume("response");
    else this.respStopped = !this.localResponse;
    return this.result(out);
  }

  sendResponseBody(data: BytesLike, opts: SendOptions = {}): StepResult {
    this.assertLive("sendResponseBody");
    if (!this.responseHeadersSent) throw new Error("sendResponseBody: send the response headers first");
    if (this.responseEnded) throw new Error("sendResponseBody: the response already ended (endOfStream was sent)");
    this.responseEnded = !!opts.endOfStream;
    if (this.localResponse || this.reset) return this.result("stop");
    const chunk = toBytes(data);
    this.respBuffer = this.respBuffering && this.respBuffer ? concat(this.respBuffer, chunk) : chunk;
    this.open.respBody = true;
    this.endOfStream = this.responseEnded;
    const raw = this.invoke("proxy_on_response_body", 2, this.respBuffer.length, this.responseEnded ? 1 : 0);
    return this.result(this.bodyOutcome("response", raw));
  }

  sendResponseTrailers(trailers: HeadersInit): StepResult {
    this.assertLive("sendResponseTrailers");
    if (!this.responseHeadersSent) throw new Error("sendResponseTrailers: send the response headers first");
    if (this.responseEnded) throw new Error("sendResponseTrailers: the response already ended (endOfStream was sent)");
    this.responseEnded = true;
    if (this.localResponse || this.reset) return this.result("stop");
    this.responseTrailers = HeaderMap.from(trailers);
    this.open.respTrailers = true;
    const raw = this.invoke("proxy_on_response_trailers", 1, this.responseTrailers.size, 0);
    const out = raw === undefined ? this.failOutcome() : raw === 0 && !this.stopNextIteration ? "continue" : "stop";
    if (out === "continue") this.resume("response");
    else this.respStopped = !this.localResponse;
    return this.result(out);
  }

  /**
   * Ends the stream as Envoy does: the access-log pass (proxy_on_log, maps readable), then
   * proxy_on_done and proxy_on_delete when the filter is destroyed.
   */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.ensureCreated();
    const vm = this.vm;
    if (this.created && !vm.failed) {
      this.inAccessLog = true;
      vm.call5("proxy_on_log", this.id, 1, this.id);
      this.inAccessLog = false;
      vm.call5("proxy_on_done", this.id, 1, this.id);
      vm.call5("proxy_on_delete", this.id, 1, this.id);
    }
    vm.removeContext(this.id);
    this.host.forgetStream(this);
    this.throwPendingTrap();
  }

  // ---------------------------------------------------------------- used by the VM's host functions

  /** The header map `type` as this filter may see it now, or null when Envoy would not hand it out. */
  map(type: number, mutable: boolean): HeaderMap | null {
    if (this.inAccessLog) {
      if (mutable) return null;
      if (type === MapType.RequestHeaders) return this.requestHeadersSent ? this.requestHeaders : null;
      if (type === MapType.ResponseHeaders) return this.responseHeadersSent || this.localResponse ? this.responseHeaders : null;
      if (type === MapType.ResponseTrailers) return this.responseTrailers;
      return null;
    }
    switch (type) {
      case MapType.RequestHeaders: return this.open.reqHeaders ? this.requestHeaders : null;
      case MapType.ResponseHeaders: return this.open.respHeaders ? this.responseHeaders : null;
      case MapType.RequestTrailers:
        if (this.open.reqTrailers) return this.requestTrailers;
        // Trailers may be added from the last body callback (Envoy addDecodedTrailers).
        if (mutable && this.open.reqBody && this.endOfStream && !this.requestTrailers) {
          this.requestTrailers = new HeaderMap();
          this.open.reqTrailers = true;
          return this.requestTrailers;
        }
        return null;
      case MapType.ResponseTrailers:
        if (this.open.respTrailers) return this.responseTrailers;
        if (mutable && this.open.respBody && this.endOfStream && !this.responseTrailers) {
          this.responseTrailers = new HeaderMap();
          this.open.respTrailers = true;
          return this.responseTrailers;
        }
        return null;
    }
    return null;
  }

  bodyBuffer(type: number): BufferRef {
    const req = type === BufferType.HttpRequestBody;
    const isOpen = req ? this.open.reqBody : this.open.respBody;
    if (!isOpen) return { get: () => new Uint8Array(0) };
    return {
      get: () => (req ? this.reqBuffer : this.respBuffer) ?? new Uint8Array(0),
      set: (b) => {
        if (req) this.reqBuffer = b;
        else this.respBuffer = b;
      },
    };
  }

  noteRequestHeadersModified(): void {
    this.requestHeadersModified++;
  }

  facts(): StreamFacts {
    return {
      requestHeaders: this.requestHeadersSent ? this.requestHeaders : null,
      responseHeaders: this.responseHeadersSent || this.localResponse ? this.responseHeaders : null,
      responseTrailers: this.responseTrailers,
      startNs: this.startNs,
      connectionId: this.connectionId,
      responseCodeDetails: this.localResponse ? this.localResponse.details : this.responseHeadersSent ? "via_upstream" : null,
      requestBodySize: this.reqBody.reduce((n, b) => n + b.length, 0),
      responseBodySize: this.respBody.reduce((n, b) => n + b.length, 0),
    };
  }

  /** Continues a stopped direction (a callback returned Continue, or the plugin called proxy_continue_stream). */
  resume(dir: "request" | "response"): void {
    if (this.localResponse || this.reset || this.completed) return;
    if (dir === "request") {
      this.reqStopped = false;
      this.open.reqHeaders = this.open.reqBody = this.open.reqTrailers = false;
      this.requestForwarded = true;
      if (this.reqBuffer) this.reqBody.push(this.reqBuffer);
      this.reqBuffer = null;
      this.reqBuffering = false;
    } else {
      this.respStopped = false;
      this.open.respHeaders = this.open.respBody = this.open.respTrailers = false;
      this.responseForwarded = true;
      if (this.respBuffer) this.respBody.push(this.respBuffer);
      this.respBuffer = null;
      this.respBuffering = false;
    }
  }

  closeByPlugin(): void {
    this.reset = true;
    this.reqStopped = this.respStopped = false;
  }

  /** proxy_send_local_response, run after the callback returned (Envoy defers it the same way). */
  applyLocalResponse(code: number, details: string, body: Uint8Array, extra: [string, string][], grpc: number): void {
    if (this.localResponse || this.reset || this.completed) return;
    const grpcStatus = grpc >= 0 && grpc <= 16 ? grpc : null;
    const headers = new HeaderMap();
    const isGrpc = (this.requestHeaders.get("content-type") ?? "").startsWith("application/grpc");
    let bodyOut = body;
    if (isGrpc) {
      // Envoy answers a gRPC request with a trailers-only gRPC response instead of an HTTP error.
      headers.add(":status", "200");
      headers.add("content-type", "application/grpc");
      headers.add("grpc-status", String(grpcStatus ?? httpToGrpc(code)));
      if (body.length) headers.add("grpc-message", encodeURIComponent(toText(body)));
      bodyOut = new Uint8Array(0);
    } else {
      headers.add(":status", String(code));
    }
    for (const [k, v] of extra) headers.add(k, v);
    if (bodyOut.length) {
      headers.set("content-length", String(bodyOut.length));
      if (!headers.has("content-type")) headers.add("content-type", "text/plain");
    } else if (!isGrpc) {
      headers.remove("content-type"); // Envoy drops it from a local reply without a body
    }
    if (this.responseForwarded) {
      this.reset = true; // headers already left: Envoy can only reset the stream
      return;
    }
    this.reqStopped = false;
    this.open.reqHeaders = this.open.reqBody = this.open.reqTrailers = false;
    if (this.responseHeadersSent) {
      // Response phase, headers not yet sent: Envoy replies directly, bypassing the filter chain.
      this.responseHeaders.setAll(headers);
      this.respBody = bodyOut.length ? [bodyOut] : [];
      this.open.respHeaders = this.open.respBody = this.open.respTrailers = false;
      this.respStopped = false;
      this.responseForwarded = true;
      this.recordLocalResponse(code, details, grpcStatus);
      return;
    }
    // Request phase: the reply runs through this filter's encoder callbacks, as in Envoy.
    this.responseHeadersSent = true;
    this.responseHeaders.setAll(headers);
    this.localResponse = { status: code, body: "", bodyBytes: new Uint8Array(0), headers: {}, details, grpcStatus }; // blocks re-entry
    this.open.respHeaders = true;
    this.endOfStream = bodyOut.length === 0;
    if (!this.failureReplySent) {
      this.vm.call("proxy_on_response_headers", this.id, this.id, this.responseHeaders.size, bodyOut.length === 0 ? 1 : 0);
      this.open.respHeaders = false;
      if (bodyOut.length) {
        this.respBuffer = bodyOut;
        this.open.respBody = true;
        this.endOfStream = true;
        this.vm.call("proxy_on_response_body", this.id, this.id, bodyOut.length, 1);
        bodyOut = this.respBuffer ?? new Uint8Array(0);
        this.respBuffer = null;
        this.open.respBody = false;
      }
    }
    this.open.respHeaders = false;
    this.respBody = bodyOut.length ? [bodyOut] : [];
    this.responseForwarded = true;
    this.responseEnded = true;
    this.recordLocalResponse(code, details, grpcStatus);
  }

  // ---------------------------------------------------------------- internals

  /** The local reply as the client received it. */
  private recordLocalResponse(code: number, details: string, grpcStatus: number | null): void {
    const bodyBytes = this.responseBodyBytes;
    this.localResponse = {
      status: Number(this.responseHeaders.get(":status") ?? code), body: toText(bodyBytes), bodyBytes,
      headers: this.responseHeaders.all(), details, grpcStatus,
    };
  }

  private assertLive(what: string): void {
    if (this.completed) throw new Error(`${what}: the stream was completed`);
  }

  private ensureCreated(): void {
    if (this.created) return;
    this.created = true;
    this.vm.addContext(this.id, this);
    this.host.trackStream(this);
    this.vm.call5("proxy_on_context_create", this.id, 2, this.id, this.rootContextId);
  }

  /** Calls a stream callback; undefined means the VM failed (before or during the call). */
  private invoke(name: string, n: 1 | 2, a: number, b: number): number | undefined {
    this.stopNextIteration = false;
    if (this.vm.failed) return undefined;
    if (!this.vm.has(name)) return 0; // a module without the callback: Continue, as in cpp-host
    const r = this.vm.call5(name, this.id, n + 1, this.id, a, b);
    if (r === undefined && this.vm.failed) this.diedHere = true;
    return r;
  }

  /**
   * CHECK_FAIL: a failed VM answers 503 once (FAIL_CLOSED); with FAIL_OPEN later streams pass, but the
   * stream whose callback was running when the VM died still gets the 503, as in Envoy 1.40.
   */
  private failOutcome(): Outcome {
    if (this.host.failurePolicy === "FAIL_OPEN" && !this.diedHere) return "continue";
    if (!this.failureReplySent) {
      this.failureReplySent = true;
      this.applyLocalResponse(503, "wasm_fail_stream", new Uint8Array(0), [], GrpcStatus.Unavailable);
    }
    return "stop";
  }

  private headersOutcome(raw: number | undefined): Outcome {
    if (raw === undefined) return this.failOutcome();
    if (this.stopNextIteration || this.localResponse) return "stop";
    // 0 Continue, 2 ContinueAndEndStream; 1/3/4 stop iteration.
    return raw === 0 || raw === 2 ? "continue" : "stop";
  }

  private bodyOutcome(dir: "request" | "response", raw: number | undefined): Outcome {
    const out: Outcome = raw === undefined ? this.failOutcome() : this.stopNextIteration || this.localResponse ? "stop" : raw === 0 ? "continue" : "stop";
    const req = dir === "request";
    if (out === "continue") {
      // Continue also releases headers this filter stopped earlier.
      this.resume(dir);
      return out;
    }
    // 1 StopIterationAndBuffer / 2 AndWatermark keep the data; 3 StopIterationNoBuffer drops it.
    const keep = raw === 1 || raw === 2;
    if (req) {
      this.reqBuffering = keep;
      if (!keep) this.reqBuffer = null;
      this.open.reqBody = keep; // a buffered body stays readable while the stream waits
      this.reqStopped = !this.localResponse && !this.reset;
    } else {
      this.respBuffering = keep;
      if (!keep) this.respBuffer = null;
      this.open.respBody = keep;
      this.respStopped = !this.localResponse && !this.reset;
    }
    return out;
  }

  private result(out: Outcome): StepResult {
    const r: StepResult = { action: out === "continue" ? "continue" : "pause", localResponse: this.localResponse, trap: this.trap };
    this.throwPendingTrap();
    return r;
  }

  private throwPendingTrap(): void {
    const t = this.host.takePendingTrap();
    if (t && this.host.throwOnTrap) throw new ProxyWasmTrap(t);
  }
}
