// The load scenarios, defined once: the native runner (vegeta), the k6 scripts and the docker-compose
// stack all read this module. Plain ES2020 with no imports, so it runs unchanged in Node and in k6.
//
// A scenario names the filters Envoy runs (their real configurations, below) and a weighted mix of
// request classes. A class is made of parts, one per filter concern:
//   trace  what trace headers the client sends      → the trace the upstream sees and the echo
//   user   who the user is (tagging)                → the lane (stable or gray upstream)
//   client which API key / plan (rate limiting)     → 200, or 429 where the limit says so
// A part a class leaves out means "none" (no trace header, anonymous, no key). Every response is
// checked against the expected outcome of its class (checkResponse); the rate limit is also checked
// per key over the run (rateLimitBudget).

/** Filter configurations, as in envoy-config/*.yaml (trace-id, tagging) and a load-sized rate limit. */
export const FILTERS = {
  "trace-id": {
    module: "trace-id",
    rootId: "trace_id",
    // envoy-config/trace-id.yaml
    config: {
      mode: "propagate",
      emit: ["w3c", "b3"],
      sampleRate: 0.1,
      requestIdHeader: "x-request-id",
      echoTraceIdHeader: "x-trace-id",
      filterStateProperty: "trace_id",
    },
    failurePolicy: "FAIL_OPEN",
  },
  "rate-limit": {
    module: "rate-limit",
    rootId: "rate_limit",
    // Per API key; trial-plan keys get a small bucket. Keys are the x-api-key header (envoy-config's
    // per-IP rule cannot tell load-test clients apart: they all come from one address).
    config: {
      rules: [
        { name: "per-api-key", key: [{ source: "header", name: "x-api-key" }], tokens: 1000, interval: "1s", burst: 2000, maxKeys: 20000 },
        {
          name: "trial-plan",
          match: { source: "header", name: "x-api-plan", operator: "equals", value: "trial" },
          key: [{ source: "header", name: "x-api-key" }], tokens: 1, interval: "1s", burst: 2,
        },
      ],
      response: { status: 429, body: "rate limited\n", headers: { "content-type": "text/plain" } },
      rateLimitHeaders: "limited",
    },
    failurePolicy: "FAIL_OPEN",
  },
  tagging: {
    module: "tagging",
    rootId: "tagging",
    // envoy-config/tagging.yaml: user-id % 100 == 20 → gray
    config: {
      header: "x-mesh-tag",
      baggageKey: "mesh-tag",
      responseHeader: "x-mesh-tag",
      rules: [
        { name: "uid-mod-100", tag: "gray", match: { source: "header", name: "user-id", operator: "modulo", divisor: 100, remainder: 20 } },
      ],
    },
    failurePolicy: "FAIL_OPEN",
  },
};

/** Chain order, as in the demo: trace ids first, then admission (rate limit), then routing (tagging). */
export const CHAIN = ["trace-id", "rate-limit", "tagging"];

/** The route table: the tag picks the upstream. */
export const ROUTES = [{ headers: { "x-mesh-tag": "gray" }, cluster: "gray" }, { cluster: "stable" }];
export const LANES = ["stable", "gray"];

/**
 * What the upstreams echo: each answers 200 with `x-upstream: <lane>` and, for each of these request
 * headers it received, `x-seen-<name>: <value>` (so a client sees what the filters sent upstream).
 */
export const ECHOED_HEADERS = ["traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-request-id", "x-mesh-tag", "baggage"];

/** Fixed ports of the docker-compose stack and the k6 defaults (the native runner picks free ones). */
export const PORTS = { envoy: 10000, admin: 9901, stable: 10001, gray: 10002, stableAdmin: 9902, grayAdmin: 9903 };

/** Trace parts: what the client sends, and what must come out. */
export const TRACE_PARTS = {
  none: { about: "no trace header: a new trace", outcome: "new" },
  w3c: { about: "a valid traceparent (+ tracestate): kept as is", outcome: "kept" },
  b3: { about: "a B3 single header: continued", outcome: "kept" },
  "b3-multi": { about: "x-b3-* headers with a 64-bit trace id: continued", outcome: "kept" },
  invalid: { about: "an invalid traceparent (upper-case hex): repaired, tracestate dropped", outcome: "new" },
};

/** User parts: the tagging filter's input, and the lane. */
export const USER_PARTS = {
  anonymous: { about: "no user-id", lane: "stable" },
  "gray-user": { about: "user-id % 100 == 20", lane: "gray" },
  "stable-user": { about: "user-id % 100 != 20", lane: "stable" },
  "malformed-id": { about: "a non-numeric user-id: no rule matches", lane: "stable" },
  "baggage-gray": { about: "baggage mesh-tag=gray from an earlier hop: the lane is kept", lane: "gray" },
};

/** Client parts: the rate limiter's input. `limited: false` means a 429 is always wrong. */
export const CLIENT_PARTS = {
  none: { about: "no x-api-key: no rule applies", limited: false },
  "hot-key": { about: "one key shared by a large share of the traffic, far under its limit", limited: false },
  "cold-keys": { about: "thousands of keys, a request or two each", limited: false },
  "trial-over-limit": { about: "two trial-plan keys sending faster than 1/s (burst 2): 429 past the budget", limited: true },
};

/**
 * Scenarios. `rate` (requests/s) and `duration` (s) are the full run's; `maxRate` is the highest
 * rate at which the classes' expected outcomes hold (the hot key stays under its limit).
 */
export const SCENARIOS = {
  "trace-id": {
    about: "trace-id alone: new, continued (W3C, B3) and repaired traces",
    filters: ["trace-id"],
    rate: 300, duration: 20, maxRate: 2000,
    classes: [
      { name: "new-trace", weight: 40, trace: "none" },
      { name: "w3c", weight: 30, trace: "w3c" },
      { name: "b3-single", weight: 10, trace: "b3" },
      { name: "b3-multi", weight: 10, trace: "b3-multi" },
      { name: "invalid-traceparent", weight: 10, trace: "invalid" },
    ],
  },
  tagging: {
    about: "tagging alone: a mix of users, 1 in 100 user ids gray, lanes carried in baggage",
    filters: ["tagging"],
    rate: 300, duration: 20, maxRate: 2000,
    classes: [
      { name: "stable-users", weight: 60, user: "stable-user" },
      { name: "gray-users", weight: 10, user: "gray-user" },
      { name: "anonymous", weight: 20, user: "anonymous" },
      { name: "malformed-user-id", weight: 5, user: "malformed-id" },
      { name: "gray-from-baggage", weight: 5, user: "baggage-gray" },
    ],
  },
  "rate-limit": {
    about: "rate-limit alone: a hot key, many cold keys, no key, trial clients over their limit",
    filters: ["rate-limit"],
    rate: 300, duration: 20, maxRate: 1500,
    classes: [
      { name: "hot-key", weight: 30, client: "hot-key" },
      { name: "cold-keys", weight: 55, client: "cold-keys" },
      { name: "no-key", weight: 5, client: "none" },
      { name: "trial-over-limit", weight: 10, client: "trial-over-limit" },
    ],
  },
  chain: {
    about: "the three filters chained: realistic mixes of trace, user and client",
    filters: CHAIN,
    rate: 300, duration: 20, maxRate: 1500,
    classes: [
      { name: "browse", weight: 35, trace: "none", user: "anonymous", client: "cold-keys" },
      { name: "app-user", weight: 25, trace: "w3c", user: "stable-user", client: "hot-key" },
      { name: "gray-user", weight: 10, trace: "w3c", user: "gray-user", client: "hot-key" },
      { name: "zipkin-service", weight: 10, trace: "b3", user: "stable-user", client: "cold-keys" },
      { name: "legacy-service", weight: 5, trace: "b3-multi", user: "malformed-id", client: "none" },
      { name: "gray-hop", weight: 5, trace: "w3c", user: "baggage-gray", client: "hot-key" },
      { name: "broken-client", weight: 5, trace: "invalid", user: "anonymous", client: "none" },
      { name: "trial-over-limit", weight: 5, trace: "none", user: "stable-user", client: "trial-over-limit" },
    ],
  },
};

/** The short run `npm test` does (natively and through docker-compose). */
export const SMOKE = { scenario: "chain", rate: 100, duration: 3 };

// ---------------------------------------------------------------------------------------------------
// Requests

/** splitmix64-style mixing on 32-bit halves: deterministic ids from (run seed, request number). */
function mix32(x) {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
function hex(seed, digits) {
  let out = "";
  for (let i = 0; out.length < digits; i++) out += mix32(seed * 31 + i + 0x9e3779b9).toString(16).padStart(8, "0");
  out = out.slice(0, digits);
  // never all zero (invalid in W3C and B3)
  return /^0+$/.test(out) ? out.slice(0, -1) + "1" : out;
}

/** A run seed from a run id (any string). */
export function runSeed(run) {
  let h = 2166136261;
  for (let i = 0; i < run.length; i++) h = Math.imul(h ^ run.charCodeAt(i), 16777619);
  return h >>> 0;
}

function traceHeaders(kind, seed) {
  const trace = hex(seed, 32), span = hex(seed + 1, 16);
  switch (kind) {
    case "none": return {};
    case "w3c": return { traceparent: `00-${trace}-${span}-01`, tracestate: "vendor=opaque-value" };
    case "b3": return { b3: `${trace}-${span}-1` };
    case "b3-multi": return { "x-b3-traceid": hex(seed, 16), "x-b3-spanid": span, "x-b3-sampled": "1" };
    case "invalid": return { traceparent: `00-${trace.toUpperCase().replace(/^[0-9]/, "A")}-${span}-01`, tracestate: "vendor=opaque-value" };
  }
  throw new Error(`unknown trace part "${kind}" (expected one of: ${Object.keys(TRACE_PARTS).join(", ")})`);
}

function userHeaders(kind, n) {
  const base = (n * 7919) % 1000000; // spread over many users
  switch (kind) {
    case "anonymous": return {};
    case "gray-user": return { "user-id": String(Math.floor(base / 100) * 100 + 20) };
    case "stable-user": {
      const r = base % 100;
      return { "user-id": String(Math.floor(base / 100) * 100 + (r === 20 ? 21 : r)) };
    }
    case "malformed-id": return { "user-id": `u-${base}` };
    case "baggage-gray": return { baggage: "mesh-tag=gray,session=abc" };
  }
  throw new Error(`unknown user part "${kind}" (expected one of: ${Object.keys(USER_PARTS).join(", ")})`);
}

function clientHeaders(kind, n, run) {
  switch (kind) {
    case "none": return {};
    case "hot-key": return { "x-api-key": `hot-${run}` };
    case "cold-keys": return { "x-api-key": `cold-${run}-${n % 5000}` };
    case "trial-over-limit": return { "x-api-key": `trial-${run}-${mix32(n) & 1}`, "x-api-plan": "trial" };
  }
  throw new Error(`unknown client part "${kind}" (expected one of: ${Object.keys(CLIENT_PARTS).join(", ")})`);
}

/** A class's parts, with the defaults for what it leaves out. */
export function partsOf(cls) {
  return { trace: cls.trace ?? "none", user: cls.user ?? "anonymous", client: cls.client ?? "none" };
}

/**
 * Request number `n` of a class: method, path (/<scenario>/<class>?n=<n>, so a result names its
 * class) and headers. `run` makes keys unique per run (buckets of earlier runs do not count).
 * @returns {{ method: string, path: string, headers: Record<string, string> }}
 */
export function requestFor(scenarioName, cls, n, run) {
  const p = partsOf(cls);
  const seed = (runSeed(run) ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
  return {
    method: "GET",
    path: `/${scenarioName}/${cls.name}?n=${n}`,
    headers: { ...traceHeaders(p.trace, seed), ...userHeaders(p.user, n), ...clientHeaders(p.client, n, run) },
  };
}

/**
 * The class of each of `count` consecutive requests: a smooth weighted round robin, so every window
 * of the sequence has the scenario's mix (the same order in vegeta's target list and k6's iterations).
 */
export function mixSequence(scenario, count) {
  const total = scenario.classes.reduce((s, c) => s + c.weight, 0);
  const current = scenario.classes.map(() => 0);
  const out = [];
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 0; j < current.length; j++) {
      current[j] += scenario.classes[j].weight;
      if (current[j] > current[best]) best = j;
    }
    current[best] -= total;
    out.push(scenario.classes[best]);
  }
  return out;
}

/** Looks a scenario up by name, with a message listing the names. */
export function scenarioNamed(name) {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`unknown scenario "${name}" (expected one of: ${Object.keys(SCENARIOS).join(", ")})`);
  return s;
}

/** The class a request path names (/<scenario>/<class>?n=…), and n. */
export function classOfPath(path) {
  const m = /^\/([^/?]+)\/([^/?]+)\?n=(\d+)/.exec(path);
  if (!m) return null;
  const scenario = SCENARIOS[m[1]];
  const cls = scenario && scenario.classes.find((c) => c.name === m[2]);
  return cls ? { scenario: m[1], cls, n: Number(m[3]) } : null;
}

// ---------------------------------------------------------------------------------------------------
// Expected outcomes

const W3C = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const B3 = /^([0-9a-f]{16}|[0-9a-f]{32})-([0-9a-f]{16})(?:-([01d]))?(?:-([0-9a-f]{16}))?$/;
const ZERO = /^0+$/;
const pad32 = (id) => id.padStart(32, "0");

/** The trace id a request carried, as 32 hex digits (null when it sent none or an invalid one). */
function incomingTraceId(req) {
  const h = req.headers;
  const w = h.traceparent && W3C.exec(h.traceparent);
  if (w) return w[1];
  const b = h.b3 && B3.exec(h.b3);
  if (b) return pad32(b[1]);
  if (h["x-b3-traceid"]) return pad32(h["x-b3-traceid"]);
  return null;
}

/**
 * Checks one response against what its class expects. `req` is what was sent ({headers}); `res` is
 * {status, headers} with lower-cased header names (one string per name). Returns [name, ok] pairs;
 * the names are stable (k6 check names, summary rows).
 * @returns {Array<[string, boolean]>}
 */
export function checkResponse(scenario, cls, req, res) {
  const p = partsOf(cls);
  const on = (f) => scenario.filters.includes(f);
  const h = res.headers;
  const out = [];
  const limitedByPlan = on("rate-limit") && CLIENT_PARTS[p.client].limited;
  const limited = res.status === 429;
  out.push(["status is 200" + (limitedByPlan ? " or 429" : ""), res.status === 200 || (limitedByPlan && limited)]);
  if (limited) {
    const bursts = FILTERS["rate-limit"].config.rules.map((r) => String(r.burst ?? r.tokens));
    out.push(["429 has retry-after and x-ratelimit-limit", Number(h["retry-after"]) >= 1 && bursts.includes(h["x-ratelimit-limit"])]);
    return out; // a rejected request never reached the upstream
  }
  if (on("trace-id")) {
    const echoed = h["x-trace-id"] ?? "";
    const seen = W3C.exec(h["x-seen-traceparent"] ?? "");
    out.push(["upstream got a valid traceparent", !!seen && !ZERO.test(seen[1]) && !ZERO.test(seen[2])]);
    out.push(["x-trace-id echoes the upstream's trace", !!seen && echoed === seen[1]]);
    const b3 = B3.exec(h["x-seen-b3"] ?? "");
    out.push(["upstream got the same trace in b3", !!seen && !!b3 && pad32(b3[1]) === seen[1]]);
    const incoming = incomingTraceId(req);
    if (TRACE_PARTS[p.trace].outcome === "kept") {
      out.push(["incoming trace kept", echoed === incoming]);
      if (p.trace === "w3c") {
        out.push(["traceparent and tracestate passed through", h["x-seen-traceparent"] === req.headers.traceparent && h["x-seen-tracestate"] === req.headers.tracestate]);
      }
    } else {
      out.push(["new trace started", /^[0-9a-f]{32}$/.test(echoed) && echoed !== (req.headers.traceparent ?? "").split("-")[1]]);
      if (req.headers.tracestate) out.push(["tracestate dropped with the invalid traceparent", h["x-seen-tracestate"] === undefined]);
    }
  }
  const lane = on("tagging") ? USER_PARTS[p.user].lane : "stable";
  out.push([`routed to ${lane}`, h["x-upstream"] === lane]);
  if (on("tagging")) {
    out.push([lane === "gray" ? "upstream got x-mesh-tag: gray and baggage" : "no lane header upstream",
      lane === "gray" ? h["x-seen-x-mesh-tag"] === "gray" && /(^|,)\s*mesh-tag=gray\b/.test(h["x-seen-baggage"] ?? "") : h["x-seen-x-mesh-tag"] === undefined]);
  }
  return out;
}

/**
 * The per-key buckets a request fills, for the rate-limit budget check: [rule, key] pairs.
 * @returns {Array<[string, string]>}
 */
export function bucketsOf(scenario, cls, req) {
  if (!scenario.filters.includes("rate-limit")) return [];
  const key = req.headers["x-api-key"];
  if (key === undefined) return [];
  /** @type {Array<[string, string]>} */
  const out = [];
  for (const rule of FILTERS["rate-limit"].config.rules) {
    if (rule.match && req.headers[rule.match.name] !== rule.match.value) continue;
    out.push([rule.name, key]);
  }
  return out;
}

const durationMs = (d) => {
  if (typeof d === "number") return d;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`bad duration "${d}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2]];
};

/**
 * The most requests a rule's bucket admits over `elapsedMs` from full: burst + tokens × elapsed /
 * interval (token bucket, lazy refill).
 */
export function rateLimitBudget(ruleName, elapsedMs) {
  const rule = FILTERS["rate-limit"].config.rules.find((r) => r.name === ruleName);
  if (!rule) throw new Error(`no rate-limit rule "${ruleName}"`);
  const burst = rule.burst ?? rule.tokens;
  return burst + (rule.tokens * elapsedMs) / durationMs(rule.interval ?? "1s");
}
