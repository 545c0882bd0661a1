// deny-path: answers requests whose path starts with a configured prefix from the proxy itself
// (send_local_response), so they never reach the upstream. Shows typed configuration: a bad
// configuration is refused with a message naming the field, and Envoy refuses to load the plugin.
//
//   {"prefixes": ["/admin", "/internal"], "status": 403, "body": "forbidden\n"}
export * from "../../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, send_local_response,
  log, LogLevelValues, parseConfig, Headers, makeHeaderPair,
} from "../../../assembly";

class DenyPathRoot extends RootContext {
  prefixes: string[] = [];
  status: u32 = 403;
  body: ArrayBuffer = new ArrayBuffer(0);
  // Built once here; each denial reuses them.
  extraHeaders: Headers = [makeHeaderPair("content-type", "text/plain"), makeHeaderPair("x-denied-by", "deny-path")];

  onConfigure(size: usize): bool {
    super.onConfigure(size);
    const cfg = parseConfig(this.getConfiguration());
    const prefixes = cfg.strList("prefixes");
    const status = cfg.int("status", 403, 200, 599);
    const body = cfg.str("body", "denied\n");
    cfg.rejectUnknown();
    if (cfg.ok() && prefixes.length == 0) cfg.fail("prefixes", "is required (a list of path prefixes)");
    for (let i = 0; i < prefixes.length && cfg.ok(); i++) {
      if (!prefixes[i].startsWith("/")) cfg.fail("prefixes[" + i.toString() + "]", "must start with \"/\", got \"" + prefixes[i] + "\"");
    }
    if (!cfg.ok()) {
      log(LogLevelValues.critical, "invalid configuration: " + cfg.error());
      return false;
    }
    this.prefixes = prefixes;
    this.status = <u32>status;
    this.body = String.UTF8.encode(body);
    return true;
  }

  createContext(context_id: u32): Context { return new DenyPath(context_id, this); }
}

class DenyPath extends Context {
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = <DenyPathRoot>this.root_context;
    const path = stream_context.headers.request.get(":path");
    for (let i = 0; i < root.prefixes.length; i++) {
      if (path.startsWith(unchecked(root.prefixes[i]))) {
        send_local_response(root.status, "deny_path", root.body, root.extraHeaders);
        return FilterHeadersStatusValues.StopIteration;
      }
    }
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((id: u32) => new DenyPathRoot(id), "deny_path");
