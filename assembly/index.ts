// proxy-wasm-as: the public API. Filters import from here and re-export "./proxy" (the ABI exports).
//   import { RootContext, Context, registerRootContext, ... } from "proxy-wasm-as/assembly";
//   export * from "proxy-wasm-as/assembly/proxy";
export * from "./sdk/types";
export { HeaderPair, Headers, makeHeaderPair, serializeHeaders, deserializeHeaders } from "./sdk/headers";
export {
  BaseContext, RootContext, Context, HttpCallback, GrpcCallHandler, HeaderMap, Body,
  stream_context, httpCallResponse, grpcResponse, downstreamData, upstreamData,
  send_local_response, continue_request, continue_response, log,
} from "./sdk/context";
export { registerRootContext, setVmContext, VmContext, RootFactory } from "./sdk/registry";
export { ChainMember, ChainRoot, ChainContext, registerChain } from "./sdk/chain";
export {
  lastStatus, getLogLevel, logEnabled, getStatus, HostStatus, sendLocalResponse,
  getBufferBytes, getBufferString, getBufferSize, setBufferBytes, setBufferString,
  getHeader, addHeader, replaceHeader, removeHeader, getHeaderPairs, setHeaderPairs, getHeaderMapSize,
  continueStream, closeStream, setEffectiveContext, done,
  getPropertyBytes, getPropertyString, setProperty,
  getSharedData as get_shared_data, setSharedData as set_shared_data,
  setTickPeriodMilliseconds, getCurrentTimeNanoseconds, getMonotonicTimeNanoseconds, getProxyTimeNanoseconds,
  randomFill, getEnvironment, getEnv, getArgsCount, getArgs, writeFd, callForeignFunction,
  httpCall, grpcCall, grpcStream, grpcSend, grpcCancel, grpcClose,
} from "./sdk/hostcalls";
export * from "./sdk/shared";
export * from "./sdk/metrics";
export * from "./sdk/properties";
export * from "./sdk/random";
export * from "./sdk/foreign";
export * from "./sdk/config";
export { parseJson, parseObjectMembers, JsonRawMember, jsonError, jsonQuote, JsonValue, JsonKind, JsonObject, JsonArray, JsonString, JsonNumber, JsonBool } from "./sdk/json";
export * from "./sdk/rawheaders";
export * from "./sdk/headerlines";
