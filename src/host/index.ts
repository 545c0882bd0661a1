// proxy-wasm-as/host: run compiled proxy-wasm modules in Node as Envoy would, for tests and the dev proxy.
export { ProxyHost, type ProxyHostOptions, type FailurePolicy, type LogEntry, type TrapRecord } from "./host.js";
export { HttpStream, ProxyWasmTrap, type StepResult, type LocalResponse, type SendOptions, type StreamOptions } from "./stream.js";
export { HttpCall, GrpcCall, type HttpCallResponse } from "./callouts.js";
export { HeaderMap, type HeadersInit, type HeaderValue } from "./header-map.js";
export { SharedDataStore, SharedDataView, type SharedEntry } from "./shared-data.js";
export { MetricsStore, type MetricValue } from "./metrics.js";
export { type ForeignCall, type ForeignFunction, type ForeignContext } from "./foreign.js";
export { type PropertyInit, type PropertyValue } from "./properties.js";
export { WasmLoadError } from "./loader.js";
export { CallCounts } from "./call-counts.js";
export { Status, LOG_LEVELS, type LogLevelName, type AbiVersion } from "./abi.js";
export { serializePairs, deserializePairs, encodeText, decodeBytes } from "./bytes.js";
