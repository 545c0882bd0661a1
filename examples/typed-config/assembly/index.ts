// Typed JSON configuration: parsed once in onConfigure into plain fields, so requests only read them.
// A malformed or invalid configuration is refused (onConfigure returns false, Envoy rejects the
// plugin) after logging the field and the reason; an empty configuration means the defaults.
//
//   { "header": "x-env", "value": "staging", "mode": "append", "enabled": true, "skip_paths": ["/healthz"] }
export * from "../../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, log, LogLevelValues,
  parseConfig,
} from "../../../assembly";

class Settings {
  header: string = "x-typed-config";
  value: string = "on";
  append: bool = false;
  enabled: bool = true;
  skipPaths: string[] = [];
}

class TypedConfigRoot extends RootContext {
  settings: Settings = new Settings();

  onConfigure(configuration_size: usize): bool {
    super.onConfigure(configuration_size); // reads the text into getConfiguration()
    const c = parseConfig(this.getConfiguration());
    const s = new Settings();
    s.header = c.headerName("header", s.header);
    s.value = c.str("value", s.value);
    s.append = c.oneOf("mode", "replace", ["replace", "append"]) == "append";
    s.enabled = c.bool("enabled", s.enabled);
    s.skipPaths = c.strList("skip_paths");
    c.rejectUnknown();
    if (!c.ok()) {
      log(LogLevelValues.error, "typed_config: invalid configuration: " + c.error());
      return false;
    }
    this.settings = s;
    // Once per configuration, not per request.
    log(LogLevelValues.info, "typed_config: header=" + s.header + " value=" + s.value + " mode=" +
      (s.append ? "append" : "replace") + " enabled=" + (s.enabled ? "true" : "false") + " skip_paths=" +
      s.skipPaths.join(","));
    return true;
  }

  createContext(context_id: u32): Context { return new TypedConfig(context_id, this); }
}

class TypedConfig extends Context {
  constructor(context_id: u32, public root: TypedConfigRoot) { super(context_id, root); }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const s = this.root.settings;
    if (!s.enabled) return FilterHeadersStatusValues.Continue;
    const req = stream_context.headers.request;
    if (s.skipPaths.length > 0 && s.skipPaths.includes(req.get(":path"))) return FilterHeadersStatusValues.Continue;
    if (s.append) req.add(s.header, s.value);
    else req.replace(s.header, s.value);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => new TypedConfigRoot(context_id), "typed_config");
