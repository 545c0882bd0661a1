// The CEL rules of a CRD (`x-kubernetes-validations`), evaluated as the Kubernetes API server
// does: `self` is the value at the rule's schema node, rules run only where a value is present,
// and Kubernetes' URL library (isURL, url(), getScheme(), getHost(), …) is available. The CEL
// evaluator is @marcbachmann/cel-js (MIT); the URL functions follow Go's url.ParseRequestURI,
// which Kubernetes' library calls.
import { Environment } from "@marcbachmann/cel-js";

/** A parsed URL as Kubernetes' `url()` returns it. */
export class KubeURL {
  constructor(readonly scheme: string, readonly host: string, readonly hostname: string, readonly port: string, readonly path: string, readonly query: string) {}
}

/**
 * Go's url.ParseRequestURI, enough for the rules: an absolute path, or scheme ":" followed by "/"
 * (no opaque URIs, no fragments). The scheme is lowercased as Go does. Returns null on error.
 */
export function parseRequestURI(s: string): KubeURL | null {
  if (!s || /[\x00-\x1f\x7f ]/.test(s)) return null;
  if (s.startsWith("/")) return new KubeURL("", "", "", "", s.split("?")[0], s.split("?")[1] ?? "");
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(s);
  if (!m || !m[2].startsWith("/")) return null;
  let u: URL;
  try { u = new URL(`http:${m[2]}`); } catch { return null; }
  const hasAuthority = m[2].startsWith("//");
  return new KubeURL(m[1].toLowerCase(), hasAuthority ? u.host : "", hasAuthority ? u.hostname : "", hasAuthority ? u.port : "", decodeURIComponent(u.pathname), u.search.replace(/^\?/, ""));
}

function env(): Environment {
  const e = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  e.registerType("URL", KubeURL);
  e.registerFunction("isURL(string): bool", (s: string) => parseRequestURI(s) !== null);
  e.registerFunction("url(string): URL", (s: string) => {
    const u = parseRequestURI(s);
    if (!u) throw new Error(`URL parse error during conversion from string: ${s}`);
    return u;
  });
  for (const [name, field] of [["getScheme", "scheme"], ["getHost", "host"], ["getHostname", "hostname"], ["getPort", "port"], ["getEscapedPath", "path"], ["getQuery", "query"]] as const) {
    e.registerFunction({ name, receiverType: "URL", returnType: "string", params: [], handler: (u: KubeURL) => u[field] });
  }
  return e;
}

const shared = env();
const compiled = new Map<string, ReturnType<Environment["parse"]>>();

/** Converts YAML/JSON values to CEL's: integers become int (BigInt), objects maps. */
function toCel(v: unknown): unknown {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toCel);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** Evaluates one rule with `self`; true when it holds, else the error (evaluation errors count as failures). */
export function evaluateRule(rule: string, self: unknown): { ok: true } | { ok: false; error?: string } {
  let program = compiled.get(rule);
  if (!program) {
    program = shared.parse(rule);
    compiled.set(rule, program);
  }
  try {
    return program({ self: toCel(self) }) === true ? { ok: true } : { ok: false };
  } catch (e: any) {
    return { ok: false, error: e.message };
  }
}
