// What the project ships to Istio: the three filters as WasmPlugins on the ingress gateway, in the
// order trace-id → tagging → rate-limit, plus tagging's sidecar-outbound plugin that carries the
// lane from hop to hop. Each plugin's configuration is a file in envoy-config/plugin-config/ — the
// same files the Istio end-to-end test runs the filters with.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../envoy/binary.js";
import { CHAIN_MODULE, chainConfig } from "../envoy/chain-module.js";

export type Phase = "AUTHN" | "AUTHZ" | "STATS" | "UNSPECIFIED_PHASE";
export type FailStrategy = "FAIL_OPEN" | "FAIL_CLOSE" | "FAIL_RELOAD";
export type Mode = "CLIENT" | "SERVER" | "CLIENT_AND_SERVER";

export interface PluginSpec {
  /** metadata.name */
  name: string;
  namespace: string;
  /** The module (build/<module>.wasm, image <registry>/<module>). */
  module: string;
  /** The root id the module registers: the WasmPlugin's pluginName. */
  pluginName: string;
  phase: Phase;
  priority?: number;
  failStrategy: FailStrategy;
  /** envoy-config/plugin-config/<config>.json; for a chain module, one file per section (`sections`). */
  config: string;
  /** The chain module's configuration: section → envoy-config/plugin-config/<file>.json. */
  sections?: Record<string, string>;
  selector?: Record<string, string>;
  match?: { mode: Mode; ports?: number[] }[];
  /** The comment above the resource. */
  about: string[];
}

export const CONFIG_DIR = join(projectRoot, "envoy-config", "plugin-config");
export const GATEWAY = { namespace: "istio-system", selector: { istio: "ingressgateway" } };

const readConfig = (name: string) => JSON.parse(readFileSync(join(CONFIG_DIR, `${name}.json`), "utf8"));

export function pluginConfig(p: PluginSpec): Record<string, unknown> {
  if (!p.sections) return readConfig(p.config);
  return Object.fromEntries(Object.entries(p.sections).map(([section, file]) => [section, readConfig(file)]));
}

export interface PlanOptions {
  /** The rate limiter's failStrategy (default FAIL_OPEN: a broken limiter lets traffic through). */
  rateLimitFailStrategy?: FailStrategy;
}

/**
 * The plugins, chain order first. On a gateway Istio treats every listener as CLIENT side: a
 * WasmPlugin with `match: [{mode: SERVER}]` is silently left out of a gateway's chain (pinned by
 * test/istio), so the gateway plugins carry no mode; the outbound tagging plugin is CLIENT only.
 */
export function plugins(o: PlanOptions = {}): PluginSpec[] {
  return [
    {
      name: "trace-id", ...GATEWAY, module: "trace-id", pluginName: "trace_id",
      phase: "AUTHN", priority: 1000, failStrategy: "FAIL_OPEN", config: "trace-id",
      about: [
        "trace-id on the ingress gateway, first in the chain (AUTHN, highest priority): every request",
        "entering the mesh gets a W3C traceparent (kept when valid), B3 headers and an x-request-id;",
        "clients get the trace id back in x-trace-id. A tracing helper never takes traffic down: FAIL_OPEN.",
      ],
    },
    {
      name: "tagging", ...GATEWAY, module: "tagging", pluginName: "tagging",
      phase: "AUTHZ", priority: 200, failStrategy: "FAIL_OPEN", config: "tagging-gateway",
      about: [
        "tagging on the ingress gateway, after trace-id (AUTHZ, before rate-limit by priority): decides",
        "the lane (user-id % 100 == 20 or cookie beta=1 → gray) into x-mesh-tag and W3C baggage;",
        "override=true so clients cannot pick a lane. Route on the header with a VirtualService.",
        "Tagging only steers traffic: FAIL_OPEN (requests go to stable).",
      ],
    },
    {
      name: "rate-limit", ...GATEWAY, module: "rate-limit", pluginName: "rate_limit",
      phase: "AUTHZ", priority: 100, failStrategy: o.rateLimitFailStrategy ?? "FAIL_OPEN", config: "rate-limit",
      about: [
        "rate-limit on the ingress gateway, last of the three (AUTHZ, lower priority than tagging):",
        "10 req/s per client IP (burst 20), 100/min per x-api-key; 429 with retry-after.",
        "Limits are per gateway pod (buckets in the pod's Envoy shared data, exact across its workers).",
      ],
    },
    {
      name: "tagging-outbound", namespace: "shop", module: "tagging", pluginName: "tagging",
      phase: "UNSPECIFIED_PHASE", failStrategy: "FAIL_OPEN", config: "tagging-outbound",
      match: [{ mode: "CLIENT" }],
      about: [
        "tagging on every sidecar of namespace shop, outbound only (mode CLIENT): restores x-mesh-tag",
        "from W3C baggage (applications forward `baggage`, as OpenTelemetry does), so each hop's",
        "VirtualService can route on the lane.",
      ],
    },
  ];
}

/** The gateway chain: the three filters in order. */
export const CHAIN = ["trace-id", "tagging", "rate-limit"];

/**
 * The same gateway chain as ONE WasmPlugin: the chain module (build/chain.wasm) runs trace-id →
 * tagging → rate-limit in one VM per worker and one filter slot, each filter configured from its
 * section — the same files as the three plugins above. Use it instead of those three, not with them.
 */
export function chainModulePlugin(o: PlanOptions = {}): PluginSpec {
  return {
    name: "edge-chain", ...GATEWAY, module: CHAIN_MODULE, pluginName: "chain",
    phase: "AUTHN", priority: 1000, failStrategy: o.rateLimitFailStrategy ?? "FAIL_OPEN", config: "chain",
    // Each section is the config file of that filter's gateway plugin above.
    sections: chainConfig((m) => plugins(o).find((p) => p.module === m && p.selector)!.config) as Record<string, string>,
    about: [
      "The gateway chain as ONE plugin: the chain module runs trace-id → tagging → rate-limit in one",
      "Wasm VM per worker and one filter slot (a request pays the Wasm floor once, not three times),",
      "each filter configured from its section. Deploy it instead of trace-id, tagging and rate-limit.",
      "AUTHN with the highest priority, as trace-id: the trace starts before anything else runs. FAIL_OPEN.",
    ],
  };
}

/** Every module a manifest may point at: the three filters and the chain module. */
export const MODULES = [...CHAIN, CHAIN_MODULE];
