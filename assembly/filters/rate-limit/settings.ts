// The rate-limit filter's configuration, parsed and checked once at configure time into the objects
// the request path uses directly (limits in bucket units, header values and the response body
// pre-encoded, metrics defined, slot stores named).
import { ConfigObject, ConfigArray, Counter, Headers, makeHeaderPair, isHeaderName, asciiLower } from "../../index";
import { quoteExcerpt } from "../../sdk/config";
import { Condition, Source, parseCondition, parseSource, RequestView, fnv1a64, fnv1a64Bytes, fmix64 } from "../common";
import { BucketLimits } from "./bucket";
import { SlotStore, WAYS, SKETCH_MAGIC } from "./slots";
import { LimitedHeaders } from "./response";
import { GlobalSettings, parseGlobal, defineGlobalMetrics } from "./global/settings";
import { isName, nameRule } from "./names";

export const DEFAULT_MAX_KEYS: i64 = 10000;
export const MAX_MAX_KEYS: i64 = 1000000;
const MAX_RULES: i32 = 64;

/** Where limit headers (x-ratelimit-*) go: only on rejections, on every response, or nowhere. */
export const enum HeaderMode { None, Limited, All }
const HEADER_MODES: string[] = ["none", "limited", "all"];

// The bucket of requests whose key is missing, when a rule counts them (missingKey "unknown").
const UNKNOWN_HASH: u64 = fmix64(fnv1a64("\0unknown")) | 1;
// Separates key parts in the hash, so ["ab", "c"] and ["a", "bc"] differ: the byte 0x1f.
const PART_SEPARATOR: u64 = 0x1f;
const FNV_PRIME: u64 = 0x100000001b3;

/** Counters of one rule: `<statPrefix>.<rule>.<event>`. */
export class RuleMetrics {
  allowed: Counter;
  limited: Counter;
  shadowLimited: Counter;
  failOpen: Counter;
  failClosed: Counter;
  evicted: Counter;
  constructor(base: string) {
    this.allowed = new Counter(base + ".allowed");
    this.limited = new Counter(base + ".limited");
    this.shadowLimited = new Counter(base + ".shadow_limited");
    this.failOpen = new Counter(base + ".fail_open");
    this.failClosed = new Counter(base + ".fail_closed");
    this.evicted = new Counter(base + ".evicted");
  }
}

export class Rule {
  metrics: RuleMetrics | null = null;
  /** x-ratelimit-limit value (the burst), formatted and encoded once. */
  limitBytes: ArrayBuffer;

  constructor(
    public readonly name: string,
    public readonly match: Condition | null,
    /** Key parts; empty = one bucket for every matching request. */
    public readonly key: StaticArray<Source>,
    public readonly limits: BucketLimits,
    /** Requests with a missing key part share one "unknown" bucket (else the rule skips them). */
    public readonly countUnknown: bool,
    public readonly shadow: bool,
    public readonly store: SlotStore,
  ) {
    this.limitBytes = String.UTF8.encode(limits.burst.toString());
  }

  /** The bucket hash for this request; 0 when the rule does not apply (key missing, skipped). */
  keyHash(view: RequestView): u64 {
    const parts = this.key;
    if (parts.length == 0) return UNKNOWN_HASH;
    let h: u64 = 0xcbf29ce484222325;
    for (let i = 0; i < parts.length; i++) {
      if (!view.fetch(unchecked(parts[i]))) return this.countUnknown ? UNKNOWN_HASH : 0;
      if (i > 0) h = (h ^ PART_SEPARATOR) * FNV_PRIME;
      h = fnv1a64Bytes(view.ptr, view.len, h);
    }
    h = fmix64(h);
    return h == 0 || h == UNKNOWN_HASH || h == SKETCH_MAGIC ? h ^ 2 : h;
  }
}

export class Settings {
  rules: StaticArray<Rule> = new StaticArray<Rule>(0);
  /** Global shadow mode: count and report, never reject. */
  shadow: bool = false;
  failOpen: bool = true;
  casAttempts: i32 = 16;
  status: u32 = 429;
  body: ArrayBuffer = new ArrayBuffer(0);
  /** Extra headers on a limited response (configured). */
  responseHeaders: Headers = [];
  /** The limited response's header map, built in place per rejection. */
  limitedHeaders: LimitedHeaders | null = null;
  headerMode: HeaderMode = HeaderMode.Limited;
  /** Response header that names a shadow rule that would have rejected ("" = none). */
  shadowHeader: string = "";
  namespace: string = "";
  statPrefix: string = "";
  /** Global rules, checked with the rate-limit service after the local ones admit (null = none). */
  global: GlobalSettings | null = null;
}

const FIELDS: string[] = [
  "namespace", "statPrefix", "shadow", "failOpen", "casAttempts", "rateLimitHeaders", "shadowHeader", "response", "global", "rules",
];
const RESPONSE_FIELDS: string[] = ["status", "body", "headers"];
const RULE_FIELDS: string[] = ["name", "match", "key", "tokens", "interval", "burst", "missingKey", "maxKeys", "shadow"];
const KEY_FIELDS: string[] = ["source", "name"];
/** Most configured headers on the limited response. */
export const MAX_RESPONSE_HEADERS: i32 = 64;
/** Most parts of one rule's key. */
export const MAX_KEY_PARTS: i32 = 16;

/**
 * Parses the whole configuration. `defaultNamespace` (the plugin name) separates the buckets of
 * plugins that share a VM. Returns null when `cfg` recorded an error: cfg.error() names every problem
 * (up to the SDK's bound), each with its field path.
 */
export function parseSettings(cfg: ConfigObject, defaultNamespace: string): Settings | null {
  const s = new Settings();
  cfg.allowOnly(FIELDS);
  s.namespace = cfg.str("namespace", plainName(defaultNamespace));
  if (!isDotted(s.namespace)) cfg.fail("namespace", quoteExcerpt(s.namespace) + " must be 1–128 letters, digits, _ - and dots");
  s.statPrefix = cfg.str("statPrefix", "ratelimit");
  if (!isDotted(s.statPrefix)) cfg.fail("statPrefix", quoteExcerpt(s.statPrefix) + " must be 1–128 letters, digits, _ - and dots");
  s.shadow = cfg.bool("shadow", false);
  s.failOpen = cfg.bool("failOpen", true);
  s.casAttempts = <i32>cfg.int("casAttempts", 16, 1, 1000);
  const mode = cfg.oneOf("rateLimitHeaders", "limited", HEADER_MODES);
  s.headerMode = <HeaderMode>HEADER_MODES.indexOf(mode);
  s.shadowHeader = cfg.headerName("shadowHeader", "x-ratelimit-shadow");
  parseResponse(cfg, s);

  if (cfg.has("global")) {
    const g = cfg.obj("global");
    if (g === null) { if (cfg.ok()) cfg.fail("global", "must be an object"); return null; }
    s.global = parseGlobal(g, s.shadow);
    if (s.global === null) return null;
  }
  // Local rules may be left out when global rules are configured.
  if (!cfg.has("rules") && s.global !== null) return cfg.ok() ? s : null;
  if (!cfg.has("rules")) { cfg.fail("rules", "is required (a list of rules)"); return null; }
  const list = cfg.arr("rules", MAX_RULES);
  if (list === null) return null; // the reader recorded why (wrong type, null, too many)
  if (list.length == 0 && s.global === null) { cfg.fail("rules", "must not be empty"); return null; }
  const rules = new StaticArray<Rule>(list.length);
  const names = new Array<string>(); // ≤ 64 rules, configure time: a scan links less code than a Set
  let keys: i64 = 0;
  for (let i = 0; i < list.length; i++) {
    const r = parseRule(list, i, s);
    if (r === null) continue; // recorded; go on to the next rule's problems
    if (names.includes(r.name)) { list.fail(i, "name " + quoteExcerpt(r.name) + " is used by another rule"); continue; }
    names.push(r.name);
    // Every key is created at configure time and never freed: bound the total, not just each rule.
    keys += <i64>r.store.capacity;
    if (keys > MAX_MAX_KEYS) { list.fail(i, "the rules' maxKeys add up to more than " + MAX_MAX_KEYS.toString()); break; }
    rules[i] = r;
  }
  if (!cfg.ok()) return null;
  s.rules = rules;
  return s;
}

function parseResponse(cfg: ConfigObject, s: Settings): void {
  const r = cfg.obj("response");
  let body = "rate limited\n";
  if (r !== null) {
    r.allowOnly(RESPONSE_FIELDS);
    s.status = <u32>r.int("status", 429, 200, 599);
    body = r.str("body", body);
    const h = r.obj("headers");
    if (h !== null) {
      const keys = h.json.keys;
      if (keys.length > MAX_RESPONSE_HEADERS) {
        r.fail("headers", "at most " + MAX_RESPONSE_HEADERS.toString() + " headers, got " + keys.length.toString());
      } else {
        for (let i = 0; i < keys.length; i++) {
          const name = keys[i];
          // Values with CR, LF or NUL would let a configuration inject headers into the 429: refused.
          const value = h.headerValue(name, "");
          if (!isHeaderName(name)) { h.fail(name, quoteExcerpt(name) + " is not a valid header name"); continue; }
          s.responseHeaders.push(makeHeaderPair(asciiLower(name), value));
        }
      }
    }
  }
  s.body = String.UTF8.encode(body);
  s.limitedHeaders = new LimitedHeaders(s.responseHeaders);
}

function parseRule(list: ConfigArray, i: i32, s: Settings): Rule | null {
  const r = list.obj(i);
  if (r === null) return null;
  r.allowOnly(RULE_FIELDS);
  const name = r.requiredStr("name");
  if (name.length && !isName(name)) r.fail("name", nameRule(name));

  let match: Condition | null = null;
  if (r.has("match")) {
    const m = r.obj("match"); // null and other non-objects are refused by the reader
    if (m !== null) match = parseCondition(m);
  }

  const key = parseKey(r);

  if (!r.has("tokens")) r.fail("tokens", "is required (tokens added per interval)");
  const tokens = r.int("tokens", 1, 1, 1000000000);
  const intervalMs = r.durationMs("interval", 1000);
  const burst = r.int("burst", tokens, 1, 1000000000);
  const missing = r.oneOf("missingKey", "skip", ["skip", "unknown"]);
  let slots: i64 = 1;
  const keyed = key !== null && key.length > 0;
  if (keyed) slots = r.int("maxKeys", DEFAULT_MAX_KEYS, 1, MAX_MAX_KEYS);
  else if (r.has("maxKeys") && key !== null) r.fail("maxKeys", "only applies to a rule with a key");
  const shadow = r.bool("shadow", false);
  if (!r.ok() || key === null) return null;
  const problem = BucketLimits.check(<u64>tokens, <u64>intervalMs, <u64>burst);
  if (problem !== null) { r.fail(burst < tokens ? "burst" : "interval", problem); return null; }

  // Keyed rules: groups of WAYS entries, enough for maxKeys; a keyless rule: one entry.
  const ways: u32 = keyed ? WAYS : 1;
  const store = new SlotStore("rl:" + s.namespace + ":" + name + ":", <u32>((slots + ways - 1) / ways), ways);
  return new Rule(name, match, key, new BucketLimits(<u64>tokens, <u64>intervalMs, <u64>burst),
    missing == "unknown", shadow || s.shadow, store);
}

function parseKey(r: ConfigObject): StaticArray<Source> | null {
  if (!r.has("key")) return new StaticArray<Source>(0);
  const list = r.arr("key", MAX_KEY_PARTS);
  if (list === null) return null; // recorded by the reader
  const parts = new StaticArray<Source>(list.length);
  let failed = false;
  for (let i = 0; i < list.length; i++) {
    const o = list.obj(i);
    if (o === null) { failed = true; continue; }
    o.allowOnly(KEY_FIELDS);
    const src = parseSource(o);
    if (src === null || !o.ok()) { failed = true; continue; }
    parts[i] = src;
  }
  return failed ? null : parts;
}

/** Defines each rule's counters (at configure time; the request path only increments). */
export function defineMetrics(s: Settings): void {
  for (let i = 0; i < s.rules.length; i++) {
    const rule = s.rules[i];
    rule.metrics = new RuleMetrics(s.statPrefix + "." + rule.name);
  }
  if (s.global !== null) defineGlobalMetrics(s.global!, s.statPrefix);
}



/** The plugin name made safe for a namespace: other characters become "_" ("" → "rate_limit"). */
function plainName(s: string): string {
  if (s.length == 0) return "rate_limit";
  let out = "";
  for (let i = 0; i < s.length && i < 128; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x5f || c == 0x2d || c == 0x2e;
    out += ok ? String.fromCharCode(c) : "_";
  }
  return out;
}

function isDotted(s: string): bool {
  if (s.length == 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x5f || c == 0x2d || c == 0x2e)) return false;
  }
  return true;
}
