// The user-facing model (proxy-runtime's names): a RootContext per plugin, created by a factory
// registered under the plugin's root_id, which creates a Context per HTTP stream or TCP connection.
import * as host from "./hostcalls";
import { Headers } from "./headers";
import { RawName, grpcCallRaw } from "./rawheaders";
import {
  BufferTypeValues, FilterDataStatusValues, FilterHeadersStatusValues, FilterStatusValues,
  FilterTrailersStatusValues, GrpcStatusValues, HeaderMapTypeValues, LogLevelValues, PeerTypeValues, StreamTypeValues,
} from "./types";

/** Common base of root and stream contexts. */
export class BaseContext {
  constructor(public context_id: u32) {}
}

/** Called with the HTTP callout's response: header count (0 = the call failed), body size, trailer count. */
export type HttpCallback = (origin: BaseContext, headers: u32, body_size: usize, trailers: u32) => void;

/** Receives the events of one gRPC call or stream; override what you need. */
export class GrpcCallHandler {
  onInitialMetadata(origin: BaseContext, callId: u32, numElements: u32): void {}
  onMessage(origin: BaseContext, callId: u32, messageSize: u32): void {}
  onTrailingMetadata(origin: BaseContext, callId: u32, numElements: u32): void {}
  /** Called once when the call ends; `status` is the gRPC status (0 = OK). */
  onClose(origin: BaseContext, callId: u32, status: u32): void {}
}

/** A callout waiting for its answer: an HTTP callback or a gRPC handler (one map for both). */
class PendingCall {
  constructor(public origin: BaseContext, public cb: HttpCallback | null, public handler: GrpcCallHandler | null,
    public unary: bool = false) {}
}

/** A plugin instance: configuration, ticks, callouts, queues, foreign-function callbacks. */
export class RootContext extends BaseContext {
  /** The root_id this context was created for (Envoy plugin name / WasmPlugin pluginName). */
  root_id: string = "";
  protected configuration_: string = "";
  private calls: Map<u32, PendingCall> = new Map();

  constructor(context_id: u32) { super(context_id); }

  /** Called when the VM starts, with the size of vm_config.configuration. */
  onStart(vm_configuration_size: usize): bool { return true; }

  /**
   * Called with the plugin configuration. The default keeps it as a string (getConfiguration()).
   * Return false to refuse it: Envoy then fails to load the plugin. Log the reason first.
   */
  onConfigure(configuration_size: usize): bool {
    return this.configure(configuration_size == 0 ? ""
      : host.getBufferString(BufferTypeValues.PluginConfiguration, 0, <u32>configuration_size));
  }

  /**
   * Applies a configuration given as text: onConfigure passes the plugin configuration, a chain
   * (sdk/chain.ts) passes this plugin's section of its own. Override this rather than onConfigure
   * (call super.configure first, then read getConfiguration()); return false to refuse it.
   */
  configure(configuration: string): bool {
    this.configuration_ = configuration;
    return true;
  }

  getConfiguration(): string { return this.configuration_; }

  /** The VM configuration (vm_config.configuration), read on demand. */
  getVmConfiguration(size: usize): string {
    return size == 0 ? "" : host.getBufferString(BufferTypeValues.VmConfiguration, 0, <u32>size);
  }

  /** Creates the context for a new HTTP stream or TCP connection. */
  createContext(context_id: u32): Context { return new Context(context_id, this); }

  onTick(): void {}
  setTickPeriod(ms: u32): u32 { return host.setTickPeriodMilliseconds(ms); }
  onQueueReady(queue_id: u32): void {}
  /** A host-initiated foreign-function callback; read its arguments with getForeignFunctionArguments(). */
  onForeignFunction(function_id: u32, arguments_size: usize): void {}
  getForeignFunctionArguments(size: usize): ArrayBuffer {
    return host.getBufferBytes(BufferTypeValues.CallData, 0, <u32>size);
  }

  /** Return false to finish asynchronously, then call done(). */
  onDone(): bool { return true; }
  onLog(): void {}
  onDelete(): void {}
  done(): u32 { return host.done(); }

  /**
   * Sends an HTTP request to `cluster`; `cb` runs with the response (its headers via
   * `httpCallResponse`). Returns the call id, or 0 when the host refused it (see lastStatus()).
   */
  httpCall(cluster: string, headers: Headers, body: ArrayBuffer, trailers: Headers, timeout_milliseconds: u32,
    origin_context: BaseContext, cb: HttpCallback): u32 {
    const id = host.httpCall(cluster, headers, body, trailers, timeout_milliseconds);
    if (id != 0) this.calls.set(id, new PendingCall(origin_context, cb, null));
    return id;
  }

  /** Unary gRPC call; events go to `handler`. Returns the call id or 0. */
  grpcCall(cluster: string, service: string, method: string, initial_metadata: Headers, message: ArrayBuffer,
    timeout_milliseconds: u32, origin_context: BaseContext, handler: GrpcCallHandler): u32 {
    const id = host.grpcCall(cluster, service, method, initial_metadata, message, timeout_milliseconds);
    if (id != 0) this.calls.set(id, new PendingCall(origin_context, null, handler, true));
    return id;
  }

  /**
   * Unary gRPC call for hot paths: names encoded once (RawName), metadata (ABI map format) and message
   * read from caller memory. Events go to `handler`. Returns the call id or 0.
   */
  grpcCallRaw(cluster: RawName, service: RawName, method: RawName, metadataPtr: usize, metadataLen: usize,
    messagePtr: usize, messageLen: usize, timeout_milliseconds: u32, origin_context: BaseContext, handler: GrpcCallHandler): u32 {
    const id = grpcCallRaw(cluster, service, method, metadataPtr, metadataLen, messagePtr, messageLen, timeout_milliseconds);
    if (id != 0) this.calls.set(id, new PendingCall(origin_context, null, handler, true));
    return id;
  }

  /** Cancels a gRPC call or stream and forgets it: its handler is not called (e.g. its stream ended first). */
  cancelCall(id: u32): u32 {
    if (!this.calls.has(id)) return 1; // NOT_FOUND
    this.calls.delete(id);
    return host.grpcCancel(id);
  }

  /** Opens a gRPC stream; send with grpcSend(). Returns the stream id or 0. */
  grpcStream(cluster: string, service: string, method: string, initial_metadata: Headers,
    origin_context: BaseContext, handler: GrpcCallHandler): u32 {
    const id = host.grpcStream(cluster, service, method, initial_metadata);
    if (id != 0) this.calls.set(id, new PendingCall(origin_context, null, handler));
    return id;
  }

  // ---- dispatch of callout events (called by the dispatcher)
  on_http_call_response(call_id: u32, headers: u32, body_size: usize, trailers: u32): void {
    if (!this.calls.has(call_id)) return;
    const pending = this.calls.get(call_id);
    const cb = pending.cb;
    if (cb === null) return;
    this.calls.delete(call_id);
    host.setEffectiveContext(pending.origin.context_id);
    cb(pending.origin, headers, body_size, trailers);
  }
  on_grpc_event(kind: i32, call_id: u32, value: u32): void {
    if (!this.calls.has(call_id)) return;
    const pending = this.calls.get(call_id);
    const handler = pending.handler;
    if (handler === null) return;
    host.setEffectiveContext(pending.origin.context_id);
    if (kind == 0) handler.onInitialMetadata(pending.origin, call_id, value);
    else if (kind == 1) {
      // Envoy ends a successful unary call with its one message, without a close event.
      if (pending.unary) this.calls.delete(call_id);
      handler.onMessage(pending.origin, call_id, value);
    }
    else if (kind == 2) handler.onTrailingMetadata(pending.origin, call_id, value);
    else {
      this.calls.delete(call_id);
      handler.onClose(pending.origin, call_id, value);
    }
  }
  /** Number of callouts still waiting for an answer. */
  pendingCalls(): i32 { return this.calls.size; }
  /** Whether the callout `id` was made through this root and still waits for its answer. */
  hasCall(id: u32): bool { return this.calls.has(id); }
}

/** Per-stream context: override the HTTP callbacks (or the TCP ones for a network filter). */
export class Context extends BaseContext {
  constructor(context_id: u32, public root_context: RootContext) { super(context_id); }

  // ---- HTTP
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues { return FilterHeadersStatusValues.Continue; }
  onRequestBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues { return FilterDataStatusValues.Continue; }
  onRequestTrailers(trailers: u32): FilterTrailersStatusValues { return FilterTrailersStatusValues.Continue; }
  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues { return FilterHeadersStatusValues.Continue; }
  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues { return FilterDataStatusValues.Continue; }
  onResponseTrailers(trailers: u32): FilterTrailersStatusValues { return FilterTrailersStatusValues.Continue; }

  // ---- TCP
  onNewConnection(): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamData(size: usize, end_of_stream: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onUpstreamData(size: usize, end_of_stream: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamConnectionClose(peer: PeerTypeValues): void {}
  onUpstreamConnectionClose(peer: PeerTypeValues): void {}

  // ---- lifecycle
  /** Return false to finish asynchronously, then call done(). */
  onDone(): bool { return true; }
  onLog(): void {}
  onDelete(): void {}

  // ---- actions on this stream (valid from any context: they select this one first)
  /** Resumes a request paused in onRequestHeaders/Body (e.g. after a callout answered). */
  resumeRequest(): u32 { host.setEffectiveContext(this.context_id); return host.continueStream(StreamTypeValues.HttpRequest); }
  resumeResponse(): u32 { host.setEffectiveContext(this.context_id); return host.continueStream(StreamTypeValues.HttpResponse); }
  /** Resets the stream. */
  closeRequest(): u32 { host.setEffectiveContext(this.context_id); return host.closeStream(StreamTypeValues.HttpRequest); }
  closeResponse(): u32 { host.setEffectiveContext(this.context_id); return host.closeStream(StreamTypeValues.HttpResponse); }
  done(): u32 { host.setEffectiveContext(this.context_id); return host.done(); }
}

// ---------------------------------------------------------------- header maps, bodies, local responses

/** One header or trailer map of the current stream. Names are matched case-insensitively by the host. */
export class HeaderMap {
  constructor(public readonly type: HeaderMapTypeValues) {}
  /** The value, or "" when absent (use getOrNull to tell absent from empty). */
  get(name: string): string { const v = host.getHeader(this.type, name); return v === null ? "" : v; }
  getOrNull(name: string): string | null { return host.getHeader(this.type, name); }
  /**
   * Every line of a repeated header, in order (get/getOrNull return only the first line, as Envoy does).
   * One host call for the whole map; for hot paths use HeaderLines, which compares bytes in place.
   */
  getAll(name: string): string[] {
    const pairs = host.getHeaderPairs(this.type);
    const key = name.toLowerCase();
    const out = new Array<string>();
    for (let i = 0; i < pairs.length; i++) if (pairs[i].key == key) out.push(pairs[i].value);
    return out;
  }
  add(name: string, value: string): u32 { return host.addHeader(this.type, name, value); }
  /** Sets the header, replacing any existing value (adds it when absent). */
  replace(name: string, value: string): u32 { return host.replaceHeader(this.type, name, value); }
  remove(name: string): u32 { return host.removeHeader(this.type, name); }
  get_headers(): Headers { return host.getHeaderPairs(this.type); }
  set_headers(headers: Headers): u32 { return host.setHeaderPairs(this.type, headers); }
}

/** A body buffer of the current stream or callout. */
export class Body {
  constructor(public readonly type: BufferTypeValues) {}
  /** Bytes [start, start+length) of the body as received so far. */
  get(start: u32 = 0, length: u32 = 0xffffffff): ArrayBuffer { return host.getBufferBytes(this.type, start, length); }
  getString(start: u32 = 0, length: u32 = 0xffffffff): string { return host.getBufferString(this.type, start, length); }
  size(): i64 { return host.getBufferSize(this.type); }
  /** Replaces the whole buffered body. */
  replace(value: string): u32 { return host.setBufferString(this.type, 0, 0xffffffff, value); }
  replaceBytes(value: ArrayBuffer): u32 { return host.setBufferBytes(this.type, 0, 0xffffffff, value); }
  append(value: string): u32 { return host.setBufferString(this.type, 0xffffffff, 0, value); }
  appendBytes(value: ArrayBuffer): u32 { return host.setBufferBytes(this.type, 0xffffffff, 0, value); }
  prepend(value: string): u32 { return host.setBufferString(this.type, 0, 0, value); }
  prependBytes(value: ArrayBuffer): u32 { return host.setBufferBytes(this.type, 0, 0, value); }
}

class RequestResponse<T> {
  constructor(public request: T, public response: T) {}
}
class HttpCallResponse {
  headers: HeaderMap = new HeaderMap(HeaderMapTypeValues.HttpCallResponseHeaders);
  trailers: HeaderMap = new HeaderMap(HeaderMapTypeValues.HttpCallResponseTrailers);
  body: Body = new Body(BufferTypeValues.HttpCallResponseBody);
}
class GrpcResponse {
  initialMetadata: HeaderMap = new HeaderMap(HeaderMapTypeValues.GrpcReceiveInitialMetadata);
  trailingMetadata: HeaderMap = new HeaderMap(HeaderMapTypeValues.GrpcReceiveTrailingMetadata);
  message: Body = new Body(BufferTypeValues.GrpcReceiveBuffer);
}
class StreamContext {
  headers: RequestResponse<HeaderMap> = new RequestResponse(
    new HeaderMap(HeaderMapTypeValues.RequestHeaders), new HeaderMap(HeaderMapTypeValues.ResponseHeaders));
  trailers: RequestResponse<HeaderMap> = new RequestResponse(
    new HeaderMap(HeaderMapTypeValues.RequestTrailers), new HeaderMap(HeaderMapTypeValues.ResponseTrailers));
  bodies: RequestResponse<Body> = new RequestResponse(
    new Body(BufferTypeValues.HttpRequestBody), new Body(BufferTypeValues.HttpResponseBody));
}

/** The current stream's headers, trailers and bodies (proxy-runtime's `stream_context`). */
export const stream_context = new StreamContext();
/** The current HTTP callout response, inside an HttpCallback. */
export const httpCallResponse = new HttpCallResponse();
/** The current gRPC callout response, inside a GrpcCallHandler. */
export const grpcResponse = new GrpcResponse();
/** TCP data buffers of the current connection. */
export const downstreamData = new Body(BufferTypeValues.NetworkDownstreamData);
export const upstreamData = new Body(BufferTypeValues.NetworkUpstreamData);

/** Ends the current request with a response made here (proxy-runtime's name and argument order). */
export function send_local_response(response_code: u32, response_code_details: string, body: ArrayBuffer,
  additional_headers: Headers, grpc_status: GrpcStatusValues = GrpcStatusValues.InvalidCode): u32 {
  return host.sendLocalResponse(response_code, response_code_details, body, additional_headers, <i32>grpc_status);
}

export function continue_request(): u32 { return host.continueStream(StreamTypeValues.HttpRequest); }
export function continue_response(): u32 { return host.continueStream(StreamTypeValues.HttpResponse); }

/** proxy-runtime's log(level, message); skipped without formatting cost when the level is off. */
export function log(level: LogLevelValues, message: string): void { host.log(<u32>level, message); }
