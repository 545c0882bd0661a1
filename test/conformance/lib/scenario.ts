// Conformance scenarios: one JSON file each in ../scenarios. The same scenario runs on real Envoy
// and on the Node test host; both outcomes must meet the scenario's expectations and, once
// normalised, equal each other. See ../README.md for the format.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FailurePolicy, RouteSpec } from "../../../src/envoy/index.js";

/** An upstream's answers: the first rule whose `when` matches answers (no `when` = always). */
export interface ResponseRule {
  when?: { path?: string; pathPrefix?: string; headers?: Record<string, string> };
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ScenarioRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect?: Expectation;
}

/** Checked on both hosts' raw outcomes. A header value of null means "absent". */
export interface Expectation {
  status?: number;
  headers?: Record<string, string | null>;
  body?: string;
  /** Upstream name → what it received for this request (false: nothing). */
  seen?: Record<string, false | { path?: string; method?: string; headers?: Record<string, string | null>; body?: string }>;
}

/**
 * A difference from Envoy that is understood and pinned: it must stay exactly like this. Give the
 * value seen on each runner that differs (null = absent); a runner not named must agree with Envoy.
 */
export interface KnownDifference {
  /** Path into the normalised outcome, e.g. "requests[0].client.headers.content-type". */
  at: string;
  envoy: unknown;
  testHost?: unknown;
  devProxy?: unknown;
  why: string;
}

export type Runner = "testHost" | "devProxy";

export interface ScenarioFilter { module: string; rootId?: string; config?: string | object; failurePolicy?: FailurePolicy }

export interface Scenario {
  name: string;
  file: string;
  description?: string;
  /** One plugin: module (build/<module>.wasm), rootId, config (an object is sent as its JSON text), failurePolicy … */
  module?: string;
  rootId?: string;
  config?: string | object;
  failurePolicy?: FailurePolicy;
  /** … or a chain of plugins in Envoy's filter order (runs on Envoy and the dev proxy). */
  filters?: ScenarioFilter[];
  /** Upstream clusters and how they answer. Requests go to the first unless routes say otherwise. */
  upstreams: Record<string, ResponseRule[]>;
  routes?: RouteSpec[];
  /** The plugin must refuse this configuration: a log line matching this regex says why. */
  configRejected?: string;
  requests: ScenarioRequest[];
  knownDifferences?: KnownDifference[];
}

export const scenarioDir = new URL("../scenarios/", import.meta.url);

export function loadScenarios(): Scenario[] {
  const dir = scenarioDir.pathname;
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const s = JSON.parse(readFileSync(join(dir, f), "utf8")) as Scenario;
    s.file = f;
    if (!s.name || !(s.module || s.filters?.length) || !s.upstreams || !Array.isArray(s.requests)) {
      throw new Error(`${f}: a scenario needs name, module (or filters), upstreams and requests`);
    }
    if (s.module && s.filters) throw new Error(`${f}: give module or filters, not both`);
    return s;
  });
}

/** The scenario's plugins in chain order. */
export function chain(s: Scenario): ScenarioFilter[] {
  return s.filters ?? [{ module: s.module!, rootId: s.rootId, config: s.config, failurePolicy: s.failurePolicy }];
}

export const configText = (c: string | object | undefined) => (c === undefined ? "" : typeof c === "string" ? c : JSON.stringify(c));

/** The authority every scenario request carries (Host header to Envoy, :authority on the host). */
export const AUTHORITY = "conformance.test";

export interface SeenRequest { method: string; path: string; headers: Record<string, string>; body: string }
export interface ClientOutcome { status: number; headers: Record<string, string>; body: string }
export interface RequestOutcome { client: ClientOutcome; seen: Record<string, SeenRequest[]> }
export interface Outcome { configRejected?: string; requests: RequestOutcome[] }

export function pickRule(rules: ResponseRule[], req: { path: string; headers: Record<string, string | string[] | undefined> }): ResponseRule {
  for (const r of rules) {
    const w = r.when;
    if (!w) return r;
    if (w.path !== undefined && req.path !== w.path) continue;
    if (w.pathPrefix !== undefined && !req.path.startsWith(w.pathPrefix)) continue;
    if (w.headers && Object.entries(w.headers).some(([k, v]) => req.headers[k.toLowerCase()] !== v)) continue;
    return r;
  }
  return { status: 404, body: "no rule matched\n" };
}

/** Which upstream Envoy's router picks for the headers the upstream would receive (first match). */
export function pickUpstream(s: Scenario, path: string, headers: Record<string, string>): string | null {
  const names = Object.keys(s.upstreams);
  for (const r of s.routes ?? [{ prefix: "/" }]) {
    if (r.path !== undefined ? path.split("?")[0] !== r.path : !path.startsWith(r.prefix ?? "/")) continue;
    if (r.headers && Object.entries(r.headers).some(([k, v]) => headers[k] !== v)) continue;
    return r.directResponse ? null : r.cluster ?? names[0];
  }
  return null;
}

// ---------------------------------------------------------------- normalisation

/**
 * Headers a host adds around the filter chain, not by the plugin: Envoy's router and codec on the way
 * up (timeout hint, internal marker, framing) and its codec on the way down (date, server, framing).
 * The plugin cannot see or change them, so they are left out of the comparison.
 */
export const IGNORED_HEADERS = new Set([
  "connection", "content-length", "transfer-encoding", "keep-alive", "date", "server",
  "x-envoy-expected-rq-timeout-ms", "x-envoy-internal", "x-envoy-upstream-service-time",
]);

export function cleanHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(h).map((x) => x.toLowerCase()).sort()) {
    if (IGNORED_HEADERS.has(k) || k.startsWith(":")) continue;
    const v = h[k] ?? h[Object.keys(h).find((x) => x.toLowerCase() === k)!];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

const RANDOM = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}/g;

/**
 * Replaces generated identifiers (UUIDs, hex ids of 16+ digits) with <id1>, <id2>, … in order of
 * appearance within each request, so equal ids stay equal and different ids stay different. Ids that appear in the
 * scenario's own input are kept verbatim (a propagated id must come out unchanged).
 */
export function normalise(s: Scenario, o: Outcome): Outcome {
  const input = JSON.stringify(s.requests);
  return {
    ...(o.configRejected !== undefined ? { configRejected: o.configRejected } : {}),
    // Numbering restarts for each request, so one extra id in one request does not shift the rest.
    requests: o.requests.map((r) => {
      const ids = new Map<string, string>();
      const fix = (v: string) => v.replace(RANDOM, (m) => {
        if (input.includes(m)) return m;
        if (!ids.has(m)) ids.set(m, `<id${ids.size + 1}>`);
        return ids.get(m)!;
      });
      const fixHeaders = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, fix(v)]));
      return {
        client: { status: r.client.status, headers: fixHeaders(r.client.headers), body: fix(r.client.body) },
        seen: Object.fromEntries(Object.entries(r.seen).map(([name, list]) => [name, list.map((q) => ({
          method: q.method, path: fix(q.path), headers: fixHeaders(q.headers), body: fix(q.body),
        }))])),
      };
    }),
  };
}

// ---------------------------------------------------------------- checks

/** Problems with `o` against the scenario's expectations (empty = all met). */
export function checkExpectations(s: Scenario, o: Outcome): string[] {
  const problems: string[] = [];
  s.requests.forEach((req, i) => {
    const e = req.expect;
    const r = o.requests[i];
    if (!e) return;
    if (!r) { problems.push(`requests[${i}]: no outcome`); return; }
    const where = `requests[${i}] (${req.method ?? "GET"} ${req.path})`;
    if (e.status !== undefined && r.client.status !== e.status) problems.push(`${where}: status ${r.client.status}, expected ${e.status}`);
    if (e.body !== undefined && r.client.body !== e.body) problems.push(`${where}: body ${JSON.stringify(r.client.body)}, expected ${JSON.stringify(e.body)}`);
    for (const [k, v] of Object.entries(e.headers ?? {})) {
      const got = r.client.headers[k] ?? null;
      if (got !== v) problems.push(`${where}: response header ${k} = ${JSON.stringify(got)}, expected ${JSON.stringify(v)}`);
    }
    for (const [name, want] of Object.entries(e.seen ?? {})) {
      const list = r.seen[name] ?? [];
      if (want === false) {
        if (list.length) problems.push(`${where}: upstream ${name} received ${list.length} request(s), expected none`);
        continue;
      }
      const got = list[0];
      if (!got) { problems.push(`${where}: upstream ${name} received nothing`); continue; }
      if (want.path !== undefined && got.path !== want.path) problems.push(`${where}: ${name} saw path ${got.path}, expected ${want.path}`);
      if (want.method !== undefined && got.method !== want.method) problems.push(`${where}: ${name} saw method ${got.method}, expected ${want.method}`);
      if (want.body !== undefined && got.body !== want.body) problems.push(`${where}: ${name} saw body ${JSON.stringify(got.body)}, expected ${JSON.stringify(want.body)}`);
      for (const [k, v] of Object.entries(want.headers ?? {})) {
        const g = got.headers[k] ?? null;
        if (g !== v) problems.push(`${where}: ${name} saw ${k} = ${JSON.stringify(g)}, expected ${JSON.stringify(v)}`);
      }
    }
  });
  return problems;
}

export interface Difference { at: string; envoy: unknown; other: unknown }

/** Every leaf where two normalised outcomes differ (absent = null). */
export function diff(a: unknown, b: unknown, path = ""): Difference[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a === undefined || b === undefined) return [{ at: path, envoy: a ?? null, other: b ?? null }];
  const isObj = (x: unknown) => typeof x === "object" && x !== null;
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return [{ at: path, envoy: a, other: b }];
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
  return keys.flatMap((k) => {
    const p = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    return diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], p);
  });
}
