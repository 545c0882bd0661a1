// http-callout: asks an auth service before letting a request through. The request pauses
// (StopIteration) while an HTTP call goes to the configured cluster; on a 200 the request resumes
// with `x-auth-user` set from the auth service's answer, otherwise the client gets a 403 carrying the
// auth service's body, and the upstream never sees the request. No answer or a 5xx from the auth
// service gives a 503.
//
//   {"cluster": "auth", "path": "/check", "timeout_ms": 1000, "prefix": "/"}
// Only requests whose path starts with `prefix` are checked; the others pass untouched.
// The auth service receives GET <path> with the client's `authorization` header and the original
// path in `x-original-path`; it answers 200 with `x-user: <name>` to allow.
export * from "../../../assembly/proxy";
import {
  RootContext, Context, BaseContext, registerRootContext, FilterHeadersStatusValues, stream_context,
  httpCallResponse, send_local_response, log, LogLevelValues, parseConfig, Headers, HeaderPair, makeHeaderPair,
} from "../../../assembly";

class HttpCalloutRoot extends RootContext {
  cluster: string = "";
  timeoutMs: u32 = 1000;
  prefix: string = "/";
  textHeaders: Headers = [makeHeaderPair("content-type", "text/plain"), makeHeaderPair("x-denied-by", "http-callout")];
  noBody: ArrayBuffer = new ArrayBuffer(0);
  noTrailers: Headers = [];
  // The callout's fixed headers, built once at configure time.
  method: HeaderPair = makeHeaderPair(":method", "GET");
  pathPair: HeaderPair = makeHeaderPair(":path", "/check");
  authority: HeaderPair = makeHeaderPair(":authority", "");

  onConfigure(size: usize): bool {
    super.onConfigure(size);
    const cfg = parseConfig(this.getConfiguration());
    const cluster = cfg.requiredStr("cluster");
    const path = cfg.str("path", "/check");
    const timeoutMs = cfg.int("timeout_ms", 1000, 1, 60000);
    const prefix = cfg.str("prefix", "/");
    cfg.rejectUnknown();
    if (cfg.ok() && !path.startsWith("/")) cfg.fail("path", "must start with \"/\", got \"" + path + "\"");
    if (cfg.ok() && !prefix.startsWith("/")) cfg.fail("prefix", "must start with \"/\", got \"" + prefix + "\"");
    if (!cfg.ok()) {
      log(LogLevelValues.critical, "invalid configuration: " + cfg.error());
      return false;
    }
    this.cluster = cluster;
    this.timeoutMs = <u32>timeoutMs;
    this.prefix = prefix;
    this.pathPair = makeHeaderPair(":path", path);
    this.authority = makeHeaderPair(":authority", cluster);
    return true;
  }

  createContext(context_id: u32): Context { return new HttpCallout(context_id, this); }
}

/** Runs when the auth service answered (or the call failed: headers == 0). */
function onAuthResponse(origin: BaseContext, headers: u32, body_size: usize, trailers: u32): void {
  const ctx = <HttpCallout>origin;
  const root = <HttpCalloutRoot>ctx.root_context;
  const status = headers == 0 ? "" : httpCallResponse.headers.get(":status");
  // No answer, or a 5xx (Envoy answers 503 itself when it cannot reach the cluster): not a denial.
  if (status.length == 0 || status.startsWith("5")) {
    send_local_response(503, "auth_unavailable", String.UTF8.encode("auth service unavailable\n"), root.textHeaders);
    return;
  }
  if (status == "200") {
    stream_context.headers.request.replace("x-auth-user", httpCallResponse.headers.get("x-user"));
    ctx.resumeRequest();
    return;
  }
  send_local_response(403, "auth_denied", httpCallResponse.body.get(0, <u32>body_size), root.textHeaders);
}

class HttpCallout extends Context {
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = <HttpCalloutRoot>this.root_context;
    const req = stream_context.headers.request;
    const path = req.get(":path");
    if (!path.startsWith(root.prefix)) return FilterHeadersStatusValues.Continue;
    const call: Headers = [
      root.method, root.pathPair, root.authority,
      makeHeaderPair("authorization", req.get("authorization")),
      makeHeaderPair("x-original-path", path),
    ];
    const id = root.httpCall(root.cluster, call, root.noBody, root.noTrailers, root.timeoutMs, this, onAuthResponse);
    if (id == 0) {
      send_local_response(500, "auth_call_refused", String.UTF8.encode("auth call refused by the proxy\n"), root.textHeaders);
      return FilterHeadersStatusValues.StopIteration;
    }
    return FilterHeadersStatusValues.StopIteration;
  }
}

registerRootContext((id: u32) => new HttpCalloutRoot(id), "http_callout");
