// Proxy-Wasm ABI 0.2.1 constants as the host sees them (values from the spec and proxy-wasm-cpp-host).

/** proxy_status_t */
export const Status = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;
export const BUFFER_TYPE_MAX = 8;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcInitialMetadata: 4,
  GrpcTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const MAP_TYPE_MAX = 7;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;
export const STREAM_TYPE_MAX = 3;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
export type MetricTypeName = "counter" | "gauge" | "histogram";
export const METRIC_TYPE_NAMES: MetricTypeName[] = ["counter", "gauge", "histogram"];

/** WASI errno values the host returns. */
export const Errno = { Success: 0, BadF: 8, Fault: 21, NoSys: 52, NotSup: 58 } as const;

/** gRPC status codes used by the host itself. */
export const GrpcStatus = { Ok: 0, Cancelled: 1, DeadlineExceeded: 4, Unavailable: 14 } as const;

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

/** Detects the ABI version from the exported marker, as proxy-wasm-cpp-host does (newest first). */
export function detectAbiVersion(exportNames: string[]): AbiVersion | null {
  const has = new Set(exportNames);
  if (has.has("proxy_abi_version_0_2_1")) return "0.2.1";
  if (has.has("proxy_abi_version_0_2_0")) return "0.2.0";
  if (has.has("proxy_abi_version_0_1_0")) return "0.1.0";
  return null;
}
