// Stand-in for `k6/http`: blocking requests with k6's response shape and its http_* metrics.
import { emit, state } from "./state.mjs";
import { requestSync } from "./sync-http.mjs";
import { parseDuration } from "./duration.mjs";

/** Go's textproto.CanonicalMIMEHeaderKey: the header names k6 scripts see (x-trace-id → X-Trace-Id). */
const canonical = (name) => name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash, c) => dash + c.toUpperCase());

const KNOWN_PARAMS = new Set(["auth", "compression", "cookies", "headers", "jar", "redirects", "tags", "timeout", "responseType", "responseCallback"]);
const IMPLEMENTED_PARAMS = new Set(["headers", "tags", "timeout", "responseCallback"]);

const EXPECTED = Symbol("expectedStatuses");

/** http.expectedStatuses(200, {min: 300, max: 399}, …): a response callback. */
export function expectedStatuses(...specs) {
  if (!specs.length) throw new Error("expectedStatuses: at least one status or {min, max} range is required");
  for (const s of specs) {
    const ok = Number.isInteger(s) || (s && Number.isInteger(s.min) && Number.isInteger(s.max));
    if (!ok) throw new Error(`expectedStatuses: ${JSON.stringify(s)} is neither an integer status nor a {min, max} range`);
  }
  return { [EXPECTED]: (status) => specs.some((s) => (Number.isInteger(s) ? s === status : status >= s.min && status <= s.max)) };
}

const defaultCallback = expectedStatuses({ min: 200, max: 399 });

/** http.setResponseCallback(cb): the default callback for requests without one (null: none). */
export function setResponseCallback(cb) {
  if (cb !== null && !cb?.[EXPECTED]) throw new Error("setResponseCallback: expects the result of http.expectedStatuses() or null");
  state.responseCallback = cb;
}

/** http.request(method, url, body, params) */
export function request(method, url, body = null, params = {}) {
  if (typeof method !== "string" || !method) throw new Error("http.request: method must be a string such as \"GET\"");
  let parsed;
  try { parsed = new URL(url); } catch { throw new Error(`http.request: invalid URL "${url}"`); }
  if (parsed.protocol !== "http:") throw new Error(`http.request: the stand-in speaks plain HTTP only, got "${url}"`);
  for (const key of Object.keys(params ?? {})) {
    if (!KNOWN_PARAMS.has(key)) throw new Error(`http.request: unknown param "${key}" (k6 params: ${[...KNOWN_PARAMS].join(", ")})`);
    if (!IMPLEMENTED_PARAMS.has(key)) throw new Error(`http.request: param "${key}" is not implemented by the k6 stand-in`);
  }
  const headers = {};
  for (const [k, v] of Object.entries(params?.headers ?? {})) {
    if (typeof v !== "string") throw new Error(`http.request: header "${k}" must be a string, got ${typeof v}`);
    headers[k] = v;
  }
  const timeoutMs = params?.timeout === undefined ? 60_000 : parseDuration(params.timeout, "timeout");
  const r = requestSync({ method, url: parsed.href, headers, body: body === null || body === undefined ? null : String(body), timeoutMs });
  const resHeaders = {};
  for (let i = 0; i < (r.rawHeaders?.length ?? 0); i += 2) {
    const name = canonical(r.rawHeaders[i]);
    resHeaders[name] = name in resHeaders ? `${resHeaders[name]}, ${r.rawHeaders[i + 1]}` : r.rawHeaders[i + 1];
  }
  const callback = params?.responseCallback !== undefined ? params.responseCallback : state.responseCallback ?? defaultCallback;
  if (callback !== null && !callback?.[EXPECTED]) throw new Error("http.request: responseCallback must come from http.expectedStatuses() (or be null)");
  const status = r.status ?? 0;
  const tags = {
    name: parsed.href, url: parsed.href, method, status: String(status), proto: "HTTP/1.1",
    ...(params?.tags ?? {}),
  };
  const failed = callback === null ? null : !callback[EXPECTED](status);
  if (failed !== null) tags.expected_response = String(!failed);
  emit("http_reqs", 1, tags);
  emit("http_req_duration", r.durationMs ?? 0, tags);
  if (failed !== null) emit("http_req_failed", failed ? 1 : 0, tags);
  return {
    status,
    status_text: r.statusText ? `${status} ${r.statusText}` : "",
    headers: resHeaders,
    body: r.body ?? null,
    url: parsed.href,
    error: r.error ?? "",
    error_code: r.error ? 1000 : 0,
    timings: { duration: r.durationMs ?? 0 },
    json() { return JSON.parse(this.body); },
  };
}

/** http.get(url, params) */
export function get(url, params) {
  return request("GET", url, null, params);
}

export default { request, get, expectedStatuses, setResponseCallback };
