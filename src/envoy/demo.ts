// The demo that `npm start` runs: every filter and example found in build/, chained in one Envoy in
// front of demo upstreams (stable, gray, auth), plus a "try it" request for each, printed as curl
// and checked once at start. envoy-config/demo.yaml is rendered from the same plan.
import { existsSync } from "node:fs";
import { bootstrap, modulePath, type RouteSpec, type WasmFilter } from "./bootstrap.js";
import { CHAIN_MEMBERS, CHAIN_MODULE, chainConfig } from "./chain-module.js";
import { request } from "./http.js";
import { startStack, type Stack } from "./stack.js";
import type { Responder } from "./upstream.js";
import { toYaml, type YamlValue } from "./yaml.js";

export interface DemoTry {
  title: string;
  path: string;
  headers?: Record<string, string>;
  /** Send the request this many times (the statuses are compared as a list). */
  repeat?: number;
  expect: { status: number | number[]; header?: [string, RegExp] };
}

export interface DemoFilter extends WasmFilter {
  about: string;
  tries: DemoTry[];
}

export const DEMO_PORT = 10000;
export const DEMO_ADMIN_PORT = 9901;
/** Upstream ports in the committed envoy-config/demo.yaml (npm start picks free ones). */
export const DEMO_UPSTREAM_PORTS = { stable: 10001, gray: 10002, auth: 10003 };
export const DEMO_TOKEN = "demo-token";

/** The tagging filter sets x-mesh-tag; these routes send "gray" to the gray upstream. */
export const DEMO_ROUTES: RouteSpec[] = [
  { headers: { "x-mesh-tag": "gray" }, cluster: "gray" },
  { cluster: "stable" },
];

/** Chain order: trace ids first, then admission (rate limit), routing (tagging), then the examples. */
export const DEMO_FILTERS: DemoFilter[] = [
  {
    module: "trace-id", config: {},
    about: "assigns or continues a W3C trace (traceparent), echoes it as x-trace-id",
    tries: [
      { title: "a new trace id", path: "/", expect: { status: 200, header: ["x-trace-id", /^[0-9a-f]{32}$/] } },
      {
        title: "continue the caller's trace", path: "/",
        headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
        expect: { status: 200, header: ["x-trace-id", /^4bf92f3577b34da6a3ce929d0e0e4736$/] },
      },
    ],
  },
  {
    module: "rate-limit",
    config: {
      rules: [{ name: "per-api-key", key: [{ source: "header", name: "x-api-key" }], tokens: 3, interval: "10s" }],
      rateLimitHeaders: "all",
    },
    about: "3 requests per 10 s per x-api-key, shared by all workers; the 4th gets 429",
    tries: [{ title: "four requests with one key", path: "/", headers: { "x-api-key": "demo" }, repeat: 4, expect: { status: [200, 200, 200, 429] } }],
  },
  {
    module: "tagging",
    config: {
      rules: [{ name: "beta", tag: "gray", match: { source: "header", name: "x-beta", operator: "equals", value: "1" } }],
      defaultTag: "stable",
      responseHeader: "x-mesh-tag",
    },
    about: "tags requests (x-mesh-tag + baggage); x-mesh-tag: gray routes to the gray upstream",
    tries: [
      { title: "beta users go to gray", path: "/", headers: { "x-beta": "1" }, expect: { status: 200, header: ["x-upstream", /^gray$/] } },
      { title: "everyone else to stable", path: "/", expect: { status: 200, header: ["x-upstream", /^stable$/] } },
    ],
  },
  {
    module: "deny-path", config: { prefixes: ["/admin"], status: 403, body: "denied by deny-path\n" },
    about: "answers /admin… from the proxy (a local response)",
    tries: [{ title: "a denied path", path: "/admin/users", expect: { status: 403, header: ["x-denied-by", /^deny-path$/] } }],
  },
  {
    module: "http-callout", config: { cluster: "auth", path: "/check", prefix: "/secure", timeout_ms: 1000 },
    about: "asks the auth upstream before letting /secure… through",
    tries: [
      { title: "with a good token", path: "/secure/data", headers: { authorization: `Bearer ${DEMO_TOKEN}` }, expect: { status: 200 } },
      { title: "without one", path: "/secure/data", expect: { status: 403 } },
    ],
  },
  {
    module: "shared-counter", config: { tick_ms: 1000 },
    about: "counts requests across all workers in shared data; ticks every second",
    tries: [{ title: "the proxy-wide totals", path: "/shared-counter", expect: { status: 200 } }],
  },
  {
    module: "add-header", config: "from the demo",
    about: "proxy-runtime's example: adds `hello: <configuration>` to responses",
    tries: [{ title: "see the header", path: "/", expect: { status: 200, header: ["hello", /^from the demo$/] } }],
  },
];

/**
 * The demo with the chain module (build/chain.wasm) in the place of trace-id, tagging and rate-limit:
 * their configurations become its sections, their tries are its tries (`npm start -- --chain`).
 */
export function chainDemoFilters(filters: DemoFilter[] = DEMO_FILTERS): DemoFilter[] {
  const isMember = (f: DemoFilter) => CHAIN_MEMBERS.some((m) => m.module === f.module);
  const member = (module: string) => filters.find((f) => f.module === module)!;
  const chain: DemoFilter = {
    module: CHAIN_MODULE,
    config: chainConfig((m) => member(m).config),
    about: "trace-id → tagging → rate-limit in one module and one VM: one filter slot, one Wasm floor per request",
    tries: CHAIN_MEMBERS.flatMap((m) => member(m.module).tries),
  };
  const first = filters.findIndex(isMember);
  const rest = filters.filter((f) => !isMember(f));
  return [...rest.slice(0, first), chain, ...rest.slice(first)];
}

/** The demo filters whose module is built, and the names of those that are not. */
export function availableDemoFilters(isBuilt = (m: string) => existsSync(modulePath(m)), plan: DemoFilter[] = DEMO_FILTERS) {
  return {
    filters: plan.filter((f) => isBuilt(f.module)),
    missing: plan.filter((f) => !isBuilt(f.module)).map((f) => f.module),
  };
}

/** Demo upstreams: they answer with what they saw, so the filters' edits are visible in the body. */
export const demoUpstreams: Record<string, Responder> = {
  stable: echo("stable"),
  gray: echo("gray"),
  auth: (req) => req.headers.authorization === `Bearer ${DEMO_TOKEN}`
    ? { status: 200, headers: { "x-user": "demo-user" } }
    : { status: 401, headers: { "content-type": "text/plain" }, body: `auth: send "authorization: Bearer ${DEMO_TOKEN}"\n` },
};

function echo(name: string): Responder {
  return (req) => ({
    status: 200,
    headers: { "content-type": "application/json", "x-upstream": name },
    body: JSON.stringify({ upstream: name, method: req.method, path: req.path, headers: req.headers }, null, 2) + "\n",
  });
}

/** The committed envoy-config/demo.yaml (or chain.yaml): fixed ports, module paths relative to the repository root. */
export function demoBootstrap(plan: DemoFilter[] = DEMO_FILTERS): YamlValue {
  return bootstrap({
    filters: plan.map((f) => ({ ...f, module: `build/${f.module}.wasm` })),
    clusters: Object.fromEntries(Object.entries(DEMO_UPSTREAM_PORTS).map(([n, port]) => [n, { port }])),
    routes: DEMO_ROUTES,
    listenerPort: DEMO_PORT,
    adminPort: DEMO_ADMIN_PORT,
    relativeModulePaths: true,
  });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A ready-to-paste curl line for a try. */
export function curlLine(url: string, t: DemoTry): string {
  const headers = Object.entries(t.headers ?? {}).map(([k, v]) => ` -H ${shellQuote(`${k}: ${v}`)}`).join("");
  if (t.repeat) return `for i in $(seq ${t.repeat}); do curl -s -o /dev/null -w '%{http_code}\\n'${headers} ${url}${t.path}; done`;
  return `curl -si${headers} ${url}${t.path}`;
}

/** Sends a try through the demo and says whether it did what the demo promises. */
export async function checkTry(url: string, t: DemoTry): Promise<{ ok: boolean; got: string }> {
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < (t.repeat ?? 1); i++) {
    last = await request(url, t.path, { headers: t.headers });
    statuses.push(last.status);
  }
  const want = Array.isArray(t.expect.status) ? t.expect.status : [t.expect.status];
  let ok = JSON.stringify(statuses) === JSON.stringify(want);
  let got = statuses.join(" ");
  if (t.expect.header && last) {
    const [name, re] = t.expect.header;
    const v = last.headers[name];
    got += `, ${name}: ${v ?? "(absent)"}`;
    ok &&= typeof v === "string" && re.test(v);
  }
  return { ok, got };
}

export interface Demo { stack: Stack; url: string; adminUrl: string; filters: DemoFilter[]; missing: string[]; stop(): Promise<void> }

/** Starts the demo upstreams and Envoy with every built demo filter (`chain`: the chain module in the three filters' place). */
export async function startDemo(o: { port?: number; adminPort?: number; concurrency?: number; chain?: boolean } = {}): Promise<Demo> {
  const { filters, missing } = availableDemoFilters(undefined, o.chain ? chainDemoFilters() : DEMO_FILTERS);
  const stack = await startStack({
    upstreams: demoUpstreams,
    filters,
    routes: DEMO_ROUTES,
    listenerPort: o.port ?? DEMO_PORT,
    adminPort: o.adminPort ?? DEMO_ADMIN_PORT,
    concurrency: o.concurrency ?? 2,
  });
  return { stack, url: stack.envoy.url, adminUrl: stack.envoy.adminUrl, filters, missing, stop: () => stack.stop() };
}

/** envoy-config/demo.yaml's text. */
export function renderDemoYaml(): string {
  return [
    "# The npm start demo as a static Envoy bootstrap. Generated from src/envoy/demo.ts by",
    "# `npm run envoy:demo-config`: edit the plan there, not this file.",
    "# Run from the repository root after `npm run build`, with upstreams listening on",
    `# 127.0.0.1:${DEMO_UPSTREAM_PORTS.stable} (stable), :${DEMO_UPSTREAM_PORTS.gray} (gray) and :${DEMO_UPSTREAM_PORTS.auth} (auth):`,
    "#   envoy -c envoy-config/demo.yaml --concurrency 2",
    "# (`npm start` does all of that, with its own echoing upstreams.)",
    toYaml(demoBootstrap()),
  ].join("\n");
}

/** envoy-config/chain.yaml's text: the demo with the chain module. */
export function renderChainYaml(): string {
  return [
    "# The npm start demo with the chain module: trace-id → tagging → rate-limit in ONE Wasm filter",
    "# (build/chain.wasm, root_id \"chain\", a configuration section per filter), then the examples.",
    "# Generated from src/envoy/demo.ts by `npm run envoy:demo-config`: edit the plan there, not this file.",
    "# Run from the repository root after `npm run build`, with upstreams listening on",
    `# 127.0.0.1:${DEMO_UPSTREAM_PORTS.stable} (stable), :${DEMO_UPSTREAM_PORTS.gray} (gray) and :${DEMO_UPSTREAM_PORTS.auth} (auth):`,
    "#   envoy -c envoy-config/chain.yaml --concurrency 2",
    "# (`npm start -- --chain` does all of that, with its own echoing upstreams.)",
    toYaml(demoBootstrap(chainDemoFilters())),
  ].join("\n");
}
