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

/**
 * A cluster beyond the single-endpoint kind: several endpoints (or none: a version with no
 * instances), an active HTTP health check, or an aggregate of other clusters in priority order.
 */
export interface ClusterSpec {
  /** STATIC endpoints; an empty list is a cluster with no hosts (every pick is "no healthy upstream"). */
  endpoints?: ClusterTarget[];
  /** Envoy's aggregate cluster: these clusters in priority order, the next one taking the load the previous one's health cannot carry. */
  aggregate?: string[];
  /** Active HTTP health check (a 200 on `path` is healthy); one failure marks a host down, one success up. */
  healthCheck?: { path: string; intervalMs?: number; host?: string };
  /** common_lb_config.healthy_panic_threshold in percent (Envoy's default 50; 0 never panics: no healthy host fails fast). */
  panicThresholdPercent?: number;
  /**
   * common_lb_config.update_merge_window: health changes within it reach the workers' load
   * balancers together when it ends (Envoy's default 1 s; 0 delivers each change at once).
   */
  updateMergeWindowMs?: number;
}

/** A virtual host: requests whose Host/:authority is in `domains` take its routes (first match wins). */
export interface VirtualHostSpec { name: string; domains: string[]; routes: RouteSpec[] }

/** Rewrites Envoy's own replies (e.g. 503 "no healthy upstream") whose response flags match. */
export interface LocalReplySpec {
  /** Envoy response flags, e.g. ["UH"] (no healthy upstream). */
  flags: string[];
  status?: number;
  /** The body, with Envoy's command operators (e.g. "%REQ(x-mesh-tag)%", "%UPSTREAM_CLUSTER%"). */
  body: string;
  /** Headers to add, values with command operators too. */
  headers?: Record<string, string>;
}

/** A further HTTP listener next to the main one (e.g. a sidecar's outbound side). */
export interface ListenerSpec {
  name: string;
  port?: number;
  /** HttpConnectionManager stat_prefix (stats under http.<statPrefix>.). */
  statPrefix: string;
  filters?: HttpFilter[];
  /** Either routes for one catch-all virtual host, or virtual hosts by domain. */
  routes?: RouteSpec[];
  virtualHosts?: VirtualHostSpec[];
  localReplies?: LocalReplySpec[];
}

export interface BootstrapOptions {
  filters: HttpFilter[];
  clusters: Record<string, ClusterTarget>;
  /** More clusters: several or no endpoints, health checks, aggregates (routes may name them too). */
  clusterSpecs?: Record<string, ClusterSpec>;
  /** More listeners after the main one. */
  listeners?: ListenerSpec[];
  /** Local reply mapping on the main listener. */
  localReplies?: LocalReplySpec[];
  /** HttpConnectionManager stat_prefix of the main listener (default ingress_http). */
  statPrefix?: string;
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

const ROUTER: YamlValue = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } };

function clusterFromSpec(name: string, c: ClusterSpec): YamlValue {
  const lb = c.panicThresholdPercent === undefined && c.updateMergeWindowMs === undefined ? undefined : {
    healthy_panic_threshold: c.panicThresholdPercent === undefined ? undefined : { value: c.panicThresholdPercent },
    update_merge_window: c.updateMergeWindowMs === undefined ? undefined : `${c.updateMergeWindowMs / 1000}s`,
  };
  if (c.aggregate) {
    if (c.endpoints || c.healthCheck) throw new Error(`bootstrap: cluster "${name}": an aggregate has no endpoints or health check of its own`);
    return {
      name,
      connect_timeout: "1s",
      lb_policy: "CLUSTER_PROVIDED",
      common_lb_config: lb,
      cluster_type: {
        name: "envoy.clusters.aggregate",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig", clusters: c.aggregate },
      },
    };
  }
  const interval = `${(c.healthCheck?.intervalMs ?? 1000) / 1000}s`;
  return {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    common_lb_config: lb,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: (c.endpoints ?? []).map((t) => ({ endpoint: { address: socket(t.host ?? "127.0.0.1", t.port) } })) }],
    },
    health_checks: c.healthCheck ? [{
      timeout: "1s",
      interval,
      // Clusters without traffic are checked at the same pace (Envoy's default there is 60 s).
      no_traffic_interval: interval,
      unhealthy_threshold: 1,
      healthy_threshold: 1,
      http_health_check: { path: c.healthCheck.path, host: c.healthCheck.host },
    }] : undefined,
  };
}

function localReplyConfig(replies: LocalReplySpec[] | undefined): YamlValue {
  if (!replies?.length) return undefined;
  return {
    mappers: replies.map((r) => ({
      filter: { response_flag_filter: { flags: r.flags } },
      status_code: r.status,
      headers_to_add: r.headers
        ? Object.entries(r.headers).map(([key, value]) => ({ header: { key, value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }))
        : undefined,
      body_format_override: { text_format_source: { inline_string: r.body } },
    })),
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
  if (!names.length && routes.some((r) => !r.directResponse && !r.cluster)) throw new Error("bootstrap: routes need at least one cluster");
  const clusterNames = new Set([...names, ...Object.keys(o.clusterSpecs ?? {})]);
  for (const r of routes) {
    if (r.cluster && !clusterNames.has(r.cluster)) throw new Error(`bootstrap: route to unknown cluster "${r.cluster}" (clusters: ${[...clusterNames].join(", ")})`);
  }
  const checkRoutes = (rs: RouteSpec[], where: string) => {
    for (const r of rs) {
      if (r.cluster && !clusterNames.has(r.cluster)) throw new Error(`bootstrap: ${where}: route to unknown cluster "${r.cluster}" (clusters: ${[...clusterNames].join(", ")})`);
    }
  };
  const extra = (o.listeners ?? []).map((l) => {
    const vhosts = l.virtualHosts ?? [{ name: "all", domains: ["*"], routes: l.routes ?? [{ prefix: "/" }] }];
    for (const v of vhosts) checkRoutes(v.routes, `listener "${l.name}"`);
    return httpListener({ ...l, address, virtualHosts: vhosts, relativeModulePaths: o.relativeModulePaths }, names[0]);
  });
  for (const [n, c] of Object.entries(o.clusterSpecs ?? {})) {
    for (const member of c.aggregate ?? []) if (!clusterNames.has(member)) throw new Error(`bootstrap: aggregate cluster "${n}": unknown cluster "${member}"`);
  }
  return {
    node: o.node,
    admin: { address: socket(address, o.adminPort ?? 0) },
    static_resources: {
      listeners: [
        httpListener({
          name: "main", address, port: o.listenerPort ?? 0, statPrefix: o.statPrefix ?? "ingress_http", filters: o.filters,
          virtualHosts: [{ name: "all", domains: ["*"], routes }], localReplies: o.localReplies,
          connectionManager: o.connectionManager, accessLog: o.accessLog, relativeModulePaths: o.relativeModulePaths, httpFilters: o.httpFilters,
        }, names[0]),
        ...extra,
      ],
      clusters: [
        ...Object.entries(o.clusters).map(([n, t]) => cluster(n, t)),
        ...Object.entries(o.clusterSpecs ?? {}).map(([n, c]) => clusterFromSpec(n, c)),
      ],
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

interface HttpListenerParts extends ListenerSpec {
  address: string;
  virtualHosts: VirtualHostSpec[];
  connectionManager?: Record<string, YamlValue>;
  accessLog?: { path: string; format: string };
  relativeModulePaths?: boolean;
  /** The whole http_filters list as given (router included), instead of `filters` + router. */
  httpFilters?: YamlValue[];
}

function httpListener(l: HttpListenerParts, fallbackCluster: string): YamlValue {
  return {
    name: l.name,
    address: socket(l.address, l.port ?? 0),
    filter_chains: [{
      filters: [{
        name: "envoy.filters.network.http_connection_manager",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          stat_prefix: l.statPrefix,
          ...l.connectionManager,
          access_log: l.accessLog ? [fileAccessLog(l.accessLog.path, l.accessLog.format)] : undefined,
          local_reply_config: localReplyConfig(l.localReplies),
          route_config: {
            name: l.name === "main" ? "local" : l.name,
            virtual_hosts: l.virtualHosts.map((v) => ({ name: v.name, domains: v.domains, routes: v.routes.map((r) => route(r, fallbackCluster)) })),
          },
          http_filters: l.httpFilters ?? [
            ...(l.filters ?? []).map((f) => (isWasmFilter(f) ? wasmFilter(f, l.relativeModulePaths) : { name: f.name, typed_config: f.typedConfig })),
            ROUTER,
          ],
        },
      }],
    }],
  };
}
