// __NAME__: an API-key filter. A request must carry one of the configured keys in the configured
// header; otherwise the filter answers 401 itself and the request never reaches the upstream. The
// key is removed before the request goes upstream.
//
//   {"header": "x-api-key", "keys": ["s3cret"]}
export * from "proxy-wasm-as/assembly/proxy"; // the ABI exports Envoy calls: keep this line first
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, send_local_response,
  log, LogLevelValues, parseConfig, Counter, Headers, makeHeaderPair,
} from "proxy-wasm-as/assembly";

class ApiKeyRoot extends RootContext {
  header: string = "x-api-key";
  keys: Set<string> = new Set();
  // Built once: every denial reuses them.
  body: ArrayBuffer = String.UTF8.encode("missing or invalid API key\n");
  replyHeaders: Headers = [makeHeaderPair("content-type", "text/plain"), makeHeaderPair("www-authenticate", "ApiKey")];
  allowed: Counter | null = null;
  denied: Counter | null = null;

  // configure(text) rather than onConfigure(size): the same code then also runs as a member of a
  // chain (several filters in one module), which hands it its section of the configuration.
  configure(configuration: string): bool {
    super.configure(configuration);
    const cfg = parseConfig(configuration);
    const header = cfg.headerName("header", "x-api-key");
    const keys = cfg.strList("keys");
    cfg.rejectUnknown();
    if (cfg.ok() && keys.length == 0) cfg.fail("keys", "is required (a list of accepted keys)");
    if (!cfg.ok()) {
      log(LogLevelValues.error, "__NAME__: " + cfg.error());
      return false; // Envoy refuses the plugin
    }
    this.header = header;
    this.keys = new Set();
    for (let i = 0; i < keys.length; i++) this.keys.add(keys[i]);
    this.allowed = new Counter("__ROOT_ID__.allowed");
    this.denied = new Counter("__ROOT_ID__.denied");
    return true;
  }

  createContext(id: u32): Context { return new ApiKey(id, this); }
}

class ApiKey extends Context {
  onRequestHeaders(headers: u32, endOfStream: bool): FilterHeadersStatusValues {
    const root = <ApiKeyRoot>this.root_context;
    const key = stream_context.headers.request.getOrNull(root.header);
    if (key === null || !root.keys.has(key)) {
      root.denied!.increment();
      log(LogLevelValues.info, "__NAME__: denied " + (key === null ? "(no key)" : "(unknown key)"));
      send_local_response(401, "__ROOT_ID___denied", root.body, root.replyHeaders);
      return FilterHeadersStatusValues.StopIteration;
    }
    root.allowed!.increment();
    stream_context.headers.request.remove(root.header);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((id: u32) => new ApiKeyRoot(id), "__ROOT_ID__");
