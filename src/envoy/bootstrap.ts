// The one source of Envoy bootstrap configs: the end-to-end tests, the conformance runner and
// `npm start` all render their config here. Listener and admin bind 127.0.0.1 only; port 0 lets
// Envoy pick free ports (read back from the admin API), so parallel runs never collide.
import { isAbsolute, join } from "node:path";
import { projectRoot } from "./binary.js";
import type { YamlValue } from "./yaml.js";

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** One envoy.filters.http.wasm entry. */
export interface WasmFilter {
  /** A module name built to build/<module>.wasm (e.g. "add-header"), or a path to a .wasm file. */
  module: string;
  /** root_id the module registers (default: module name with "-" → "_"). */
  rootId?: string;
  /** Plugin name (default: rootId). */
  name?: string;
  /** Plugin configuration; an object is sent as its JSON text (google.protobuf.StringValue). */
  config?: string | object;
  /** Plugins with the same vm_id and code share a VM per worker (default: the module name). */
  vmId?: string;
  /** vm_config.configuration, handed to onVmStart. */
  vmConfig?: string | object;
  /** What Envoy does when the VM fails (default Envoy's: FAIL_CLOSED). */
  failurePolicy?: FailurePolicy;
  /** FAIL_RELOAD: the minimum wait before a failed VM is replaced (Envoy's default: 1 s, with backoff). */
  reloadBackoffMs?: number;
}

/**
 * Any other HTTP filter, by its extension name and typed_config: Envoy's native filters
 * (`envoy.filters.http.local_ratelimit`), Lua (`envoy.filters.http.lua`), dynamic modules …
 */
export interface NativeFilter {
  name: string;
  /** The filter's typed_config, with its "@type". */
  typedConfig: Record<string, YamlValue>;
}

/** One entry of the listener's HTTP filter chain (before the router). */
export type HttpFilter = WasmFilter | NativeFilter;

export const isWasmFilter = (f: HttpFilter): f is WasmFilter => "module" in f;

/** An envoy.filters.http.lua entry running `code` (envoy_on_request / envoy_on_response). */
export const luaFilter = (code: string): NativeFilter => ({
  name: "envoy.filters.http.lua",
  typedConfig: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
    default_source_code: { inline_string: code },
  },
});

/** An upstream cluster: a single endpoint; `http2` for gRPC services (e.g. a rate-limit service). */
export interface ClusterTarget { port: number; host?: string; http2?: boolean }

/** A route; the first match wins. Without routes, everything goes to the first cluster. */
export interface RouteSpec {
  prefix?: string;
  path?: string;
  /** Exact header matches, all required (e.g. { "x-mesh-tag": "gray" }). */
  headers?: Record<string, string>;
  cluster?: string;
  /** Answer from Envoy itself instead of a cluster. */
  directResponse?: { status: number; body?: string };
  /** Per-route upstream timeout (default 15s). */
  timeoutMs?: number;
  /** Response headers to set; values may use Envoy's header formatters, e.g. "%REQ(traceparent)%". */
  responseHeaders?: Record<string, string>;
  /** Route `rate_limits` (descriptor actions for Envoy's own envoy.filters.http.ratelimit), as Envoy's YAML. */
  rateLimits?: YamlValue[];
}

export interface BootstrapOptions {
  filters: HttpFilter[];
  clusters: Record<string, ClusterTarget>;
  routes?: RouteSpec[];
  listenerPort?: number;
  adminPort?: number;
  /** Interface to bind (default 127.0.0.1). */
  address?: string;
  /** Write module paths as given (relative to Envoy's working directory) instead of absolute. */
  relativeModulePaths?: boolean;
  /** A file access log on the listener: one line per request in Envoy's text format. */
  accessLog?: { path: string; format: string };
  /**
   * The whole http_filters list, verbatim (e.g. as a control plane rendered it, router included);
   * when given, `filters` are not rendered.
   */
  httpFilters?: YamlValue[];
  /** The node identity (needed by xDS subscriptions, e.g. file-based ECDS). */
  node?: { id: string; cluster: string };
  /** Extra HttpConnectionManager fields, e.g. { generate_request_id: false }. */
  connectionManager?: Record<string, YamlValue>;
}

export const modulePath = (module: string) =>
  module.endsWith(".wasm") ? (isAbsolute(module) ? module : join(projectRoot, module)) : join(projectRoot, "build", `${module}.wasm`);

const baseName = (module: string) => (module.split("/").pop() ?? module).replace(/\.wasm$/, "");
export const defaultRootId = (module: string) => baseName(module).replace(/-/g, "_");

const text = (v: string | object | undefined) => (v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v));
const stringValue = (v: string) => ({ "@type": "type.googleapis.com/google.protobuf.StringValue", value: v });
const socket = (address: string, port: number) => ({ socket_address: { address, port_value: port } });

export function wasmFilter(f: WasmFilter, relativePath = false): YamlValue {
  const rootId = f.rootId ?? defaultRootId(f.module);
  const configuration = text(f.config);
  const vmConfiguration = text(f.vmConfig);
  return {
    name: "envoy.filters.http.wasm",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config: {
        name: f.name ?? rootId,
        root_id: rootId,
        configuration: configuration === undefined ? undefined : stringValue(configuration),
        failure_policy: f.failurePolicy,
        reload_config: f.reloadBackoffMs === undefined ? undefined : { backoff: { base_interval: `${f.reloadBackoffMs / 1000}s` } },
        vm_config: {
          vm_id: f.vmId ?? baseName(f.module),
          runtime: "envoy.wasm.runtime.v8",
          configuration: vmConfiguration === undefined ? undefined : stringValue(vmConfiguration),
          code: { local: { filename: relativePath ? f.module : modulePath(f.module) } },
        },
      },
    },
  };
}

function route(r: RouteSpec, fallbackCluster: string): YamlValue {
  const match: Record<string, YamlValue> = r.path ? { path: r.path } : { prefix: r.prefix ?? "/" };
  if (r.headers) {
    match.headers = Object.entries(r.headers).map(([name, exact]) => ({ name, string_match: { exact } }));
  }
  const response_headers_to_add = r.responseHeaders
    ? Object.entries(r.responseHeaders).map(([key, value]) => ({ header: { key, value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }))
    : undefined;
  if (r.directResponse) {
    const body = r.directResponse.body;
    return { match, direct_response: { status: r.directResponse.status, body: body === undefined ? undefined : { inline_string: body } }, response_headers_to_add };
  }
  return {
    match,
    route: { cluster: r.cluster ?? fallbackCluster, timeout: `${(r.timeoutMs ?? 15_000) / 1000}s`, rate_limits: r.rateLimits },
    response_headers_to_add,
  };
}

function cluster(name: string, t: ClusterTarget): YamlValue {
  return {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    typed_extension_protocol_options: t.http2 ? {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
      },
    } : undefined,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(t.host ?? "127.0.0.1", t.port) } }] }],
    },
  };
}

function fileAccessLog(path: string, format: string): YamlValue {
  return {
    name: "envoy.access_loggers.file",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
      path,
      log_format: { text_format_source: { inline_string: format } },
    },
  };
}

/** The bootstrap as a JSON-like object (render it with toYaml). */
export function bootstrap(o: BootstrapOptions): YamlValue {
  const address = o.address ?? "127.0.0.1";
  const names = Object.keys(o.clusters);
  const routes = o.routes ?? [{ prefix: "/" }];
  if (!names.length && routes.some((r) => !r.directResponse)) throw new Error("bootstrap: routes need at least one cluster");
  for (const r of routes) {
    if (r.cluster && !o.clusters[r.cluster]) throw new Error(`bootstrap: route to unknown cluster "${r.cluster}" (clusters: ${names.join(", ")})`);
  }
  return {
    node: o.node,
    admin: { address: socket(address, o.adminPort ?? 0) },
    static_resources: {
      listeners: [{
        name: "main",
        address: socket(address, o.listenerPort ?? 0),
        filter_chains: [{
          filters: [{
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: "ingress_http",
              ...o.connectionManager,
              access_log: o.accessLog ? [fileAccessLog(o.accessLog.path, o.accessLog.format)] : undefined,
              route_config: {
                name: "local",
                virtual_hosts: [{ name: "all", domains: ["*"], routes: routes.map((r) => route(r, names[0])) }],
              },
              http_filters: o.httpFilters ?? [
                ...o.filters.map((f) => (isWasmFilter(f) ? wasmFilter(f, o.relativeModulePaths) : { name: f.name, typed_config: f.typedConfig })),
                { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
              ],
            },
          }],
        }],
      }],
      clusters: Object.entries(o.clusters).map(([n, t]) => cluster(n, t)),
    },
  };
}

/** Envoy's own global rate-limit filter (envoy.filters.http.ratelimit) asking `cluster` over gRPC. */
export function nativeRateLimitFilter(o: { domain: string; cluster: string; timeoutMs?: number; failureModeDeny?: boolean }): NativeFilter {
  const timeout = `${(o.timeoutMs ?? 20) / 1000}s`;
  return {
    name: "envoy.filters.http.ratelimit",
    typedConfig: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit",
      domain: o.domain,
      timeout,
      failure_mode_deny: o.failureModeDeny ?? false,
      enable_x_ratelimit_headers: "DRAFT_VERSION_03",
      rate_limit_service: { transport_api_version: "V3", grpc_service: { envoy_grpc: { cluster_name: o.cluster }, timeout } },
    },
  };
}
