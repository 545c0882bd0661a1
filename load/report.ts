// Turns a run's per-response results into a scenario summary: volume, rate, success, latency
// percentiles, every response checked against its class's expected outcome, and each rate-limited
// key's admitted count checked against its token-bucket budget (429 only where the limit says).
import { bucketsOf, checkResponse, classOfPath, rateLimitBudget, requestFor, scenarioNamed } from "./scenarios.js";
import type { Result } from "./vegeta.js";

export interface ClassSummary {
  name: string;
  requests: number;
  /** Responses that passed every check of their class. */
  passed: number;
  statuses: Record<string, number>;
  /** Check name → failures. */
  failures: Record<string, number>;
}

export interface KeySummary { key: string; rules: string[]; requests: number; admitted: number; min: number; max: number; ok: boolean }

export interface Summary {
  scenario: string;
  targetRate: number;
  durationS: number;
  requests: number;
  /** Requests sent per second, measured from the first to the last send. */
  rate: number;
  /** Share of responses that passed every check. */
  success: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: Record<string, number>;
  classes: ClassSummary[];
  /** Rate-limited keys (those with a limited bucket). */
  keys: KeySummary[];
  ok: boolean;
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : 0);

/** Whether one result passed every check of its class (for the progress line). */
export function resultPassed(scenarioName: string, run: string, r: Result): boolean {
  if (r.code === 0) return false;
  const u = new URL(r.url);
  const where = classOfPath(u.pathname + u.search);
  if (!where) return false;
  const req = requestFor(scenarioName, where.cls, where.n, run);
  return checkResponse(scenarioNamed(scenarioName), where.cls, req, { status: r.code, headers: r.headers }).every(([, ok]: [string, boolean]) => ok);
}

export function summarize(o: { scenario: string; rate: number; duration: number; run: string; results: Result[] }): Summary {
  const scenario = scenarioNamed(o.scenario);
  const classes = new Map<string, ClassSummary>(scenario.classes.map((c: { name: string }) => [c.name, { name: c.name, requests: 0, passed: 0, statuses: {}, failures: {} }]));
  const errors: Record<string, number> = {};
  const perKey = new Map<string, { rules: Set<string>; times: { start: number; end: number; admitted: boolean }[] }>();
  let passed = 0;
  for (const r of o.results) {
    const u = new URL(r.url);
    const where = classOfPath(u.pathname + u.search);
    if (!where) { errors[`unexpected URL ${r.url}`] = (errors[`unexpected URL ${r.url}`] ?? 0) + 1; continue; }
    const c = classes.get(where.cls.name)!;
    c.requests++;
    c.statuses[r.code] = (c.statuses[r.code] ?? 0) + 1;
    if (r.code === 0) {
      const e = r.error.replace(/^.*?: /, "");
      errors[e] = (errors[e] ?? 0) + 1;
      c.failures["a response"] = (c.failures["a response"] ?? 0) + 1;
      continue;
    }
    const req = requestFor(o.scenario, where.cls, where.n, o.run);
    const checks = checkResponse(scenario, where.cls, req, { status: r.code, headers: r.headers });
    const bad = checks.filter(([, ok]: [string, boolean]) => !ok);
    for (const [name] of bad) c.failures[name] = (c.failures[name] ?? 0) + 1;
    if (!bad.length) { c.passed++; passed++; }
    const buckets: [string, string][] = bucketsOf(scenario, where.cls, req);
    if (buckets.length) {
      const key = buckets[0][1]; // every rule keys on x-api-key
      const k = perKey.get(key) ?? { rules: new Set<string>(), times: [] };
      for (const [rule] of buckets) k.rules.add(rule);
      k.times.push({ start: r.startMs, end: r.startMs + r.latencyMs, admitted: r.code !== 429 });
      perKey.set(key, k);
    }
  }
  const keys: KeySummary[] = [];
  for (const [key, k] of perKey) {
    const times = k.times.sort((a, b) => a.start - b.start);
    const admitted = times.filter((t) => t.admitted).length;
    const first = times[0], last = times[times.length - 1];
    // The bucket decided somewhere between send and response: the widest and narrowest windows.
    const longest = last.end - first.start;
    const shortest = Math.max(0, last.start - first.end);
    const rules = [...k.rules];
    const max = Math.min(...rules.map((r) => Math.floor(rateLimitBudget(r, longest)))) + 1;
    const min = Math.min(times.length, Math.min(...rules.map((r) => Math.floor(rateLimitBudget(r, shortest)))) - 1);
    const limited = admitted < times.length;
    if (limited || admitted > max) keys.push({ key, rules, requests: times.length, admitted, min, max, ok: admitted <= max && admitted >= min });
  }
  const lat = o.results.filter((r) => r.code !== 0).map((r) => r.latencyMs).sort((a, b) => a - b);
  const starts = o.results.map((r) => r.startMs);
  const span = (Math.max(...starts) - Math.min(...starts)) / 1000;
  const requests = o.results.length;
  const expected = Math.round(o.rate * o.duration);
  // vegeta stops at the duration boundary, so the last planned request may not be sent; fewer than
  // 99 % sent means the generator could not keep the rate.
  if (requests < expected * 0.99) errors[`only ${requests} of ${expected} planned requests were sent: the generator could not keep the rate`] = 1;
  const ok = passed === requests && keys.every((k) => k.ok) && !Object.keys(errors).length;
  return {
    scenario: o.scenario,
    targetRate: o.rate,
    durationS: o.duration,
    requests,
    rate: span > 0 ? (requests - 1) / span : requests,
    success: requests ? passed / requests : 0,
    latencyMs: { p50: percentile(lat, 0.5), p90: percentile(lat, 0.9), p99: percentile(lat, 0.99), max: lat[lat.length - 1] ?? 0 },
    errors,
    classes: [...classes.values()],
    keys,
    ok,
  };
}

const ms = (v: number) => v.toFixed(2);
const pad = (s: string | number, n: number) => String(s).padEnd(n);

/** The summary as text: a headline, one row per class, the rate-limited keys, and what failed. */
export function formatSummary(s: Summary): string {
  const lines = [
    `${s.ok ? "PASS" : "FAIL"} ${s.scenario}: ${s.requests} requests at ${s.rate.toFixed(1)}/s (target ${s.targetRate}/s for ${s.durationS} s), ` +
      `success ${(s.success * 100).toFixed(2)} %, latency p50 ${ms(s.latencyMs.p50)} ms, p90 ${ms(s.latencyMs.p90)} ms, p99 ${ms(s.latencyMs.p99)} ms, max ${ms(s.latencyMs.max)} ms`,
    `  ${pad("class", 22)}${pad("requests", 10)}${pad("checks ok", 11)}statuses`,
  ];
  for (const c of s.classes) {
    const statuses = Object.entries(c.statuses).map(([k, v]) => `${k === "0" ? "no response" : k}×${v}`).join(" ");
    lines.push(`  ${pad(c.name, 22)}${pad(c.requests, 10)}${pad(c.passed, 11)}${statuses}`);
    for (const [name, n] of Object.entries(c.failures)) lines.push(`      ✗ ${name}: ${n} response(s)`);
  }
  for (const k of s.keys) {
    lines.push(`  ${k.ok ? "✓" : "✗"} key ${k.key} (${k.rules.join(", ")}): ${k.admitted} of ${k.requests} admitted, budget ${k.min}–${k.max}`);
  }
  for (const [e, n] of Object.entries(s.errors)) lines.push(`  ✗ ${e}${n > 1 ? ` (${n}×)` : ""}`);
  return lines.join("\n");
}
