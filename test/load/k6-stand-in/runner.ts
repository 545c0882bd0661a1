// Runs a k6 script under the stand-in: checks its options as k6 would, runs setup(), N iterations of
// each scenario (one VU, one after another), teardown(), then evaluates every threshold over the
// samples the iterations produced. See README.md.
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { state } from "./state.mjs";
import { parseDuration } from "./duration.mjs";
import { closeSyncHttp } from "./sync-http.mjs";

register(new URL("./hooks.mjs", import.meta.url));

type MetricType = "counter" | "gauge" | "rate" | "trend";
/** k6's built-in metrics and their types. */
export const BUILTIN_METRICS: Record<string, MetricType> = {
  http_reqs: "counter", iterations: "counter", data_sent: "counter", data_received: "counter", dropped_iterations: "counter",
  http_req_duration: "trend", http_req_blocked: "trend", http_req_connecting: "trend", http_req_tls_handshaking: "trend",
  http_req_sending: "trend", http_req_waiting: "trend", http_req_receiving: "trend", iteration_duration: "trend", group_duration: "trend",
  http_req_failed: "rate", checks: "rate",
  vus: "gauge", vus_max: "gauge",
};
/** What the stand-in records; thresholds on other metrics cannot be evaluated here. */
const RECORDED = new Set(["http_reqs", "http_req_duration", "http_req_failed", "checks"]);
const METHODS: Record<MetricType, RegExp> = {
  counter: /^(count|rate)$/,
  gauge: /^value$/,
  rate: /^rate$/,
  trend: /^(avg|min|max|med|p\(\d+(\.\d+)?\))$/,
};

const COMMON_FIELDS = ["executor", "startTime", "gracefulStop", "exec", "env", "tags", "options"];
const EXECUTORS: Record<string, { required: string[]; optional: string[] }> = {
  "shared-iterations": { required: [], optional: ["vus", "iterations", "maxDuration"] },
  "per-vu-iterations": { required: [], optional: ["vus", "iterations", "maxDuration"] },
  "constant-vus": { required: ["duration"], optional: ["vus"] },
  "ramping-vus": { required: ["stages"], optional: ["startVUs", "gracefulRampDown"] },
  "constant-arrival-rate": { required: ["duration", "rate", "preAllocatedVUs"], optional: ["timeUnit", "maxVUs"] },
  "ramping-arrival-rate": { required: ["stages", "preAllocatedVUs"], optional: ["startRate", "timeUnit", "maxVUs"] },
  "externally-controlled": { required: ["duration"], optional: ["vus", "maxVUs"] },
};

export interface ThresholdResult { key: string; expression: string; value: number; samples: number; ok: boolean }
export interface RunResult {
  scenarios: string[];
  checks: Record<string, { passes: number; fails: number }>;
  thresholds: ThresholdResult[];
  requests: number;
}

/** Parses `metric{tag:value,…}` and checks it names a built-in metric. */
export function parseThresholdKey(key: string): { metric: string; tags: Record<string, string> } {
  const m = /^([A-Za-z0-9_]+)(?:\{(.*)\})?$/.exec(key);
  if (!m) throw new Error(`threshold "${key}": expected metric or metric{tag:value,…}`);
  const type = BUILTIN_METRICS[m[1]];
  if (!type) throw new Error(`threshold "${key}": no metric "${m[1]}" (the scripts define no custom metrics; built-in: ${Object.keys(BUILTIN_METRICS).join(", ")})`);
  const tags: Record<string, string> = {};
  if (m[2] !== undefined) {
    for (const part of m[2].split(",")) {
      const i = part.indexOf(":");
      if (i <= 0) throw new Error(`threshold "${key}": sub-metric filter "${part}" is not tag:value`);
      tags[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
  }
  return { metric: m[1], tags };
}

/** Parses a threshold expression by k6's grammar: `aggregation operator value`. */
export function parseThresholdExpression(expr: string, metric: string) {
  const op = ["<=", "<", ">=", ">", "===", "==", "!="].find((o) => expr.includes(o));
  if (!op) throw new Error(`threshold "${expr}" on ${metric}: no operator (one of < <= > >= == === !=)`);
  const [lhs, rhs] = [expr.slice(0, expr.indexOf(op)).trim(), expr.slice(expr.indexOf(op) + op.length).trim()];
  if (!/^\d+(\.\d+)?$/.test(rhs)) throw new Error(`threshold "${expr}" on ${metric}: the right-hand side "${rhs}" is not a number`);
  const type = BUILTIN_METRICS[metric];
  if (!METHODS[type].test(lhs)) throw new Error(`threshold "${expr}": "${lhs}" is not an aggregation of ${metric} (a ${type}: ${METHODS[type].source})`);
  return { method: lhs, op, value: Number(rhs) };
}

function aggregate(type: MetricType, method: string, values: number[], seconds: number): number {
  if (type === "rate") return values.filter((v) => v !== 0).length / values.length;
  if (type === "counter") { const sum = values.reduce((a, b) => a + b, 0); return method === "count" ? sum : sum / seconds; }
  if (type === "gauge") return values[values.length - 1];
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p: number) => {
    const pos = (p / 100) * (sorted.length - 1);
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  };
  if (method === "avg") return values.reduce((a, b) => a + b, 0) / values.length;
  if (method === "min") return sorted[0];
  if (method === "max") return sorted[sorted.length - 1];
  if (method === "med") return pct(50);
  return pct(Number(/^p\((.*)\)$/.exec(method)![1]));
}

const compare = (a: number, op: string, b: number) =>
  op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : op === ">=" ? a >= b : op === "!=" ? a !== b : a === b;

/** Checks options.scenarios and options.thresholds as k6 validates them at start. */
export function validateOptions(options: any, exports: Record<string, unknown>): void {
  if (!options || typeof options !== "object") throw new Error("the script exports no `options` object");
  const known = ["scenarios", "thresholds", "setupTimeout", "teardownTimeout", "summaryTrendStats", "noConnectionReuse", "userAgent", "discardResponseBodies"];
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new Error(`options.${k}: not an option these scripts are expected to set (stand-in knows: ${known.join(", ")})`);
  for (const k of ["setupTimeout", "teardownTimeout"]) if (options[k] !== undefined) parseDuration(options[k], `options.${k}`);
  for (const s of options.summaryTrendStats ?? []) {
    if (!/^(avg|min|med|max|count|p\(\d+(\.\d+)?\))$/.test(s)) throw new Error(`options.summaryTrendStats: "${s}" is not a trend stat`);
  }
  const scenarios = options.scenarios ?? {};
  if (!Object.keys(scenarios).length) throw new Error("options.scenarios is empty");
  for (const [name, sc] of Object.entries<any>(scenarios)) {
    const at = `options.scenarios.${name}`;
    if (!/^[0-9A-Za-z_-]+$/.test(name)) throw new Error(`${at}: scenario names may contain only letters, digits, "_" and "-"`);
    const ex = EXECUTORS[sc.executor];
    if (!ex) throw new Error(`${at}.executor: unknown executor "${sc.executor}" (${Object.keys(EXECUTORS).join(", ")})`);
    for (const f of ex.required) if (sc[f] === undefined) throw new Error(`${at}.${f}: required by the ${sc.executor} executor`);
    for (const f of Object.keys(sc)) if (![...COMMON_FIELDS, ...ex.required, ...ex.optional].includes(f)) throw new Error(`${at}.${f}: not a field of the ${sc.executor} executor`);
    for (const f of ["duration", "startTime", "gracefulStop", "timeUnit", "maxDuration"]) if (sc[f] !== undefined) parseDuration(sc[f], `${at}.${f}`);
    for (const f of ["rate", "preAllocatedVUs", "maxVUs", "vus", "iterations"]) {
      if (sc[f] !== undefined && !(Number.isInteger(sc[f]) && sc[f] > 0)) throw new Error(`${at}.${f}: expected a positive integer, got ${JSON.stringify(sc[f])}`);
    }
    if (sc.maxVUs !== undefined && sc.maxVUs < sc.preAllocatedVUs) throw new Error(`${at}.maxVUs: must be at least preAllocatedVUs`);
    const fn = sc.exec ?? "default";
    if (typeof exports[fn] !== "function") throw new Error(`${at}.exec: the script exports no function "${fn}"`);
  }
  for (const [key, list] of Object.entries<any>(options.thresholds ?? {})) {
    const { metric } = parseThresholdKey(key);
    if (!Array.isArray(list) || !list.length) throw new Error(`threshold "${key}": expected a non-empty list of expressions`);
    for (const t of list) {
      const expr = typeof t === "string" ? t : t?.threshold;
      if (typeof expr !== "string") throw new Error(`threshold "${key}": ${JSON.stringify(t)} is neither an expression nor {threshold, abortOnFail, delayAbortEval}`);
      if (typeof t === "object") for (const k of Object.keys(t)) if (!["threshold", "abortOnFail", "delayAbortEval"].includes(k)) throw new Error(`threshold "${key}": unknown field "${k}"`);
      parseThresholdExpression(expr, metric);
      if (!RECORDED.has(metric)) throw new Error(`threshold "${key}": the stand-in does not record ${metric}`);
    }
  }
}

let runs = 0;

/** Runs the script: `iterations` of each scenario (a number, or per scenario name). */
export async function runK6Script(path: string, o: { env?: Record<string, string>; iterations: number | Record<string, number> }): Promise<RunResult> {
  const g = globalThis as any;
  g.__ENV = { ...(o.env ?? {}) };
  g.__VU = 0;
  g.__ITER = 0;
  state.samples = [];
  state.scenario = null;
  state.responseCallback = null;
  const url = pathToFileURL(path);
  url.search = `?k6run=${++runs}`;
  const mod = await import(url.href);
  validateOptions(mod.options, mod);
  const started = Date.now();
  try {
    // k6 hands setup()'s result to every iteration as JSON (a copy, no functions).
    let data = typeof mod.setup === "function" ? mod.setup() : undefined;
    data = data === undefined ? undefined : JSON.parse(JSON.stringify(data));
    const names = Object.keys(mod.options.scenarios);
    for (const name of names) {
      const sc = mod.options.scenarios[name];
      state.scenario = { name, executor: sc.executor };
      g.__VU = state.vu = 1;
      const count = typeof o.iterations === "number" ? o.iterations : o.iterations[name] ?? 1;
      for (let i = 0; i < count; i++) {
        g.__ITER = state.iteration = i;
        mod[sc.exec ?? "default"](data);
      }
      state.scenario = null;
    }
    if (typeof mod.teardown === "function") mod.teardown(data);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const checks: RunResult["checks"] = {};
    for (const s of state.samples) {
      if (s.metric !== "checks") continue;
      const c = (checks[s.tags.check] ??= { passes: 0, fails: 0 });
      if (s.value) c.passes++; else c.fails++;
    }
    const thresholds: ThresholdResult[] = [];
    for (const [key, list] of Object.entries<any>(mod.options.thresholds ?? {})) {
      const { metric, tags } = parseThresholdKey(key);
      const values = state.samples
        .filter((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v))
        .map((s) => s.value);
      for (const t of list) {
        const expr = typeof t === "string" ? t : t.threshold;
        const { method, op, value } = parseThresholdExpression(expr, metric);
        if (!values.length) {
          thresholds.push({ key, expression: expr, value: NaN, samples: 0, ok: false });
          continue;
        }
        const v = aggregate(BUILTIN_METRICS[metric], method, values, seconds);
        thresholds.push({ key, expression: expr, value: v, samples: values.length, ok: compare(v, op, value) });
      }
    }
    return { scenarios: names, checks, thresholds, requests: state.samples.filter((s) => s.metric === "http_reqs").length };
  } finally {
    state.scenario = null;
    closeSyncHttp();
  }
}

/**
 * Syntax newer than what k6's JavaScript runtime (Sobek, ES2020-level plus ESM) is known to parse:
 * Node accepts it, so the stand-in alone would not notice. Returns "line: problem" entries.
 */
export async function k6SyntaxProblems(source: string): Promise<string[]> {
  const ts = (await import("typescript")).default;
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, source);
  const problems: string[] = [];
  const line = (pos: number) => source.slice(0, pos).split("\n").length;
  const banned: Partial<Record<number, string>> = {
    [ts.SyntaxKind.BarBarEqualsToken]: "logical assignment ||= (ES2021)",
    [ts.SyntaxKind.AmpersandAmpersandEqualsToken]: "logical assignment &&= (ES2021)",
    [ts.SyntaxKind.QuestionQuestionEqualsToken]: "logical assignment ??= (ES2021)",
    [ts.SyntaxKind.PrivateIdentifier]: "a #private class member (ES2022)",
  };
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    const what = banned[kind];
    if (what) problems.push(`${line(scanner.getTokenStart())}: ${what}`);
    if (kind === ts.SyntaxKind.NumericLiteral && scanner.getTokenText().includes("_")) problems.push(`${line(scanner.getTokenStart())}: a numeric separator (ES2021)`);
  }
  return problems;
}
