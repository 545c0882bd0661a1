// HTTP and gRPC callouts the plugin started, waiting for the test to answer them.
import { GrpcStatus, Status } from "./abi.js";
import { type BytesLike, type Pair, toBytes, toText } from "./bytes.js";
import { HeaderMap, type HeadersInit } from "./header-map.js";
import type { VirtualClock } from "./clock.js";
import type { Vm } from "./vm.js";

/** What a callout needs from the host that answers it (ProxyHost implements it). */
export interface CalloutHost {
  readonly clock: VirtualClock;
  deliverHttpResponse(c: HttpCall, resp: { headers: HeaderMap; trailers: HeaderMap | null; body: Uint8Array } | null, status: { code: number; message: string }): void;
  removeHttpCall(c: HttpCall): void;
  grpcEvent(c: GrpcCall, kind: "initial" | "message" | "trailing" | "close", data: Uint8Array | HeaderMap | null, status?: number, message?: string): void;
  removeGrpcCall(c: GrpcCall): void;
}

export interface HttpCallResponse {
  status?: number;
  headers?: HeadersInit;
  body?: BytesLike;
  trailers?: HeadersInit;
}

/** One proxy_http_call. Answer it with respond() or fail(); tick() past its timeout answers 504. */
export class HttpCall {
  readonly headers: Record<string, string>;
  readonly headerPairs: Pair[];
  readonly body: string;
  readonly bodyBytes: Uint8Array;
  readonly trailers: Record<string, string>;
  /** Virtual ms when it times out, or null (timeout 0 = none). */
  readonly deadlineMs: number | null;
  answered = false;

  constructor(
    private host: CalloutHost, readonly vm: Vm, readonly id: number, readonly rootContextId: number,
    readonly cluster: string, headers: Pair[], body: Uint8Array, trailers: Pair[], readonly timeout: number,
  ) {
    this.headerPairs = headers;
    this.headers = new HeaderMap(headers).all();
    this.bodyBytes = body;
    this.body = toText(body);
    this.trailers = new HeaderMap(trailers).all();
    this.deadlineMs = timeout > 0 ? host.clock.nowMs() + timeout : null;
  }

  /** Delivers a response: proxy_on_http_call_response with the headers (":status" included), body and trailers. */
  respond(r: HttpCallResponse = {}): void {
    this.settle();
    const headers = new HeaderMap({ ":status": String(r.status ?? 200) });
    for (const [k, v] of HeaderMap.from(r.headers ?? {}).pairs()) headers.add(k, v);
    const trailers = r.trailers ? HeaderMap.from(r.trailers) : null;
    const body = toBytes(r.body ?? "");
    this.host.deliverHttpResponse(this, { headers, trailers, body }, { code: Status.Ok, message: "" });
  }

  /** Fails the call as a reset connection: the callback sees 0 headers; proxy_get_status gives 11 "reset". */
  fail(): void {
    this.settle();
    this.host.deliverHttpResponse(this, null, { code: Status.BrokenConnection, message: "reset" });
  }

  /** Envoy's async client answers a timed-out call with its own 504. */
  timeoutNow(): void {
    this.respond({ status: 504, headers: { "content-type": "text/plain" }, body: "upstream request timeout" });
  }

  private settle(): void {
    if (this.answered) throw new Error(`http call ${this.id} to "${this.cluster}" was already answered`);
    this.answered = true;
    this.host.removeHttpCall(this);
  }
}

export interface GrpcReply {
  initialMetadata?: HeadersInit;
  trailingMetadata?: HeadersInit;
}

/** One proxy_grpc_call (kind "call") or proxy_grpc_stream (kind "stream"). */
export class GrpcCall {
  readonly initialMetadata: Record<string, string>;
  /** Unary request message (kind "call"). */
  readonly message: Uint8Array | null;
  /** Messages the plugin sent on a stream, in order. */
  readonly sent: Uint8Array[] = [];
  endStreamSent = false;
  /** "cancel" / "close" when the plugin ended it. */
  endedByPlugin: "cancel" | "close" | null = null;
  answered = false;
  readonly deadlineMs: number | null;

  constructor(
    private host: CalloutHost, readonly vm: Vm, readonly id: number, readonly rootContextId: number, readonly kind: "call" | "stream",
    readonly cluster: string, readonly service: string, readonly method: string, metadata: Pair[], message: Uint8Array | null,
    readonly timeout: number,
  ) {
    this.initialMetadata = new HeaderMap(metadata).all();
    this.message = message;
    this.deadlineMs = kind === "call" && timeout > 0 ? host.clock.nowMs() + timeout : null;
  }

  get messageText(): string {
    return this.message ? toText(this.message) : "";
  }

  /** Unary success. Envoy delivers only proxy_on_grpc_receive for it (no metadata, no close). */
  respond(message: BytesLike): void {
    if (this.kind !== "call") throw new Error("respond() answers a unary call; use receive()/close() on a stream");
    this.finish();
    this.host.grpcEvent(this, "message", toBytes(message));
  }

  /** Unary failure or stream end: proxy_on_grpc_close with the status (message via proxy_get_status). */
  fail(status: number, message = ""): void {
    this.finish();
    this.host.grpcEvent(this, "close", null, status, message);
  }

  // ---- streams
  sendInitialMetadata(md: HeadersInit): void {
    this.assertStream();
    this.host.grpcEvent(this, "initial", HeaderMap.from(md));
  }

  receive(message: BytesLike): void {
    this.assertStream();
    this.host.grpcEvent(this, "message", toBytes(message));
  }

  sendTrailingMetadata(md: HeadersInit): void {
    this.assertStream();
    this.host.grpcEvent(this, "trailing", HeaderMap.from(md));
  }

  /** Remote close of a stream (status 0 = OK). */
  close(status = GrpcStatus.Ok as number, message = ""): void {
    this.assertStream();
    this.finish();
    this.host.grpcEvent(this, "close", null, status, message);
  }

  private assertStream(): void {
    if (this.kind !== "stream") throw new Error("only gRPC streams take metadata/messages one by one");
    if (this.answered) throw new Error(`gRPC stream ${this.id} is closed`);
  }

  private finish(): void {
    if (this.answered) throw new Error(`gRPC ${this.kind} ${this.id} was already answered`);
    this.answered = true;
    this.host.removeGrpcCall(this);
  }
}
