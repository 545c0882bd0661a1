// single-headers: refuses a request that carries a header meant to appear once (a routing header,
// `traceparent`) on more than one line. Envoy hands a filter only the first line of a repeated header
// while a route may match any line, so a filter that decides on such a header either reads every line
// or refuses duplicates — this example shows the SDK's HeaderLines, which reads the whole map in one
// host call and compares names as bytes.
//
//   {"headers": ["x-mesh-tag", "traceparent"], "status": 400}
export * from "../../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, HeaderMapTypeValues, HeaderLines, RawName,
  send_local_response, log, LogLevelValues, parseConfig, Headers, makeHeaderPair,
} from "../../../assembly";

class SingleHeadersRoot extends RootContext {
  names: RawName[] = [];
  status: u32 = 400;
  // One reader per VM: its tables are reused by every request.
  lines: HeaderLines = new HeaderLines();
  replyHeaders: Headers = [makeHeaderPair("content-type", "text/plain")];

  onConfigure(size: usize): bool {
    super.onConfigure(size);
    const cfg = parseConfig(this.getConfiguration());
    const names = cfg.strList("headers");
    const status = cfg.int("status", 400, 400, 499);
    cfg.rejectUnknown();
    if (cfg.ok() && names.length == 0) cfg.fail("headers", "is required (header names that must not repeat)");
    if (!cfg.ok()) {
      log(LogLevelValues.critical, "invalid configuration: " + cfg.error());
      return false;
    }
    for (let i = 0; i < names.length; i++) this.names.push(new RawName(names[i].toLowerCase()));
    this.status = <u32>status;
    return true;
  }

  createContext(context_id: u32): Context { return new SingleHeaders(context_id, this); }
}

class SingleHeaders extends Context {
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = <SingleHeadersRoot>this.root_context;
    const lines = root.lines;
    if (!lines.load(HeaderMapTypeValues.RequestHeaders)) return FilterHeadersStatusValues.Continue;
    for (let i = 0; i < root.names.length; i++) {
      const name = unchecked(root.names[i]);
      const first = lines.find(name);
      if (first >= 0 && lines.find(name, first + 1) >= 0) {
        lines.release();
        send_local_response(root.status, "repeated_header", String.UTF8.encode("repeated header: " + name.name + "\n"), root.replyHeaders);
        return FilterHeadersStatusValues.StopIteration;
      }
    }
    lines.release();
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((id: u32) => new SingleHeadersRoot(id), "single_headers");
