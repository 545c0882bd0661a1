// The rate-limit filter's configuration, parsed and checked once at configure time into the objects
// the request path uses directly (limits in bucket units, header values and the response body
// pre-encoded, metrics defined, slot stores named).
import { ConfigObject, ConfigArray, Counter, Headers, makeHeaderPair, isHeaderName, asciiLower } from "../../index";
import { Condition, Source, parseCondition, parseSource, RequestView, fnv1a64, fnv1a64Bytes, fmix64 } from "../common";
import { BucketLimits } from "./bucket";
import { SlotStore, WAYS } from "./slots";
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
    return h == 0 || h == UNKNOWN_HASH ? h ^ 2 : h;
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

/**
 * Parses the whole configuration. `defaultNamespace` (the plugin name) separates the buckets of
 * plugins that share a VM. Returns null when `cfg` recorded an error (cfg.error() names the field).
 */
export function parseSettings(cfg: ConfigObject, defaultNamespace: string): Settings | null {
  const s = new Settings();
  s.namespace = cfg.str("namespace", plainName(defaultNamespace));
  if (cfg.ok() && !isDotted(s.namespace)) cfg.fail("namespace", "\"" + s.namespace + "\" must be 1–128 letters, digits, _ - and dots");
  s.statPrefix = cfg.str("statPrefix", "ratelimit");
  if (cfg.ok() && !isDotted(s.statPrefix)) cfg.fail("statPrefix", "\"" + s.statPrefix + "\" must be 1–128 letters, digits, _ - and dots");
  s.shadow = cfg.bool("shadow", false);
  s.failOpen = cfg.bool("failOpen", true);
  s.casAttempts = <i32>cfg.int("casAttempts", 16, 1, 1000);
  const mode = cfg.oneOf("rateLimitHeaders", "limited", HEADER_MODES);
  s.headerMode = <HeaderMode>HEADER_MODES.indexOf(mode);
  s.shadowHeader = cfg.headerName("shadowHeader", "x-ratelimit-shadow");
  if (!cfg.ok()) return null;

  parseResponse(cfg, s);
  if (!cfg.ok()) return null;

  if (cfg.has("global")) {
    const g = cfg.obj("global");
    if (g === null) { if (cfg.ok()) cfg.fail("global", "must be an object"); return null; }
    s.global = parseGlobal(g, s.shadow);
    if (s.global === null) return null;
  }
  // Local rules may be left out when global rules are configured.
  if (!cfg.has("rules") && s.global !== null) return cfg.rejectUnknown() ? s : null;
  if (!cfg.has("rules")) { cfg.fail("rules", "is required (a list of rules)"); return null; }
  const list = cfg.arr("rules");
  if (list === null) return null;
  if (list.length == 0 && s.global === null) { cfg.fail("rules", "must not be empty"); return null; }
  if (list.length > MAX_RULES) { cfg.fail("rules", "at most " + MAX_RULES.toString() + " rules"); return null; }
  const rules = new StaticArray<Rule>(list.length);
  const names = new Array<string>(); // ≤ 64 rules, configure time: a scan links less code than a Set
  let keys: i64 = 0;
  for (let i = 0; i < list.length; i++) {
    const r = parseRule(list, i, s);
    if (r === null) return null;
    if (names.includes(r.name)) { list.fail(i, "name \"" + r.name + "\" is used by another rule"); return null; }
    names.push(r.name);
    // Every key is created at configure time and never freed: bound the total, not just each rule.
    keys += <i64>r.store.capacity;
    if (keys > MAX_MAX_KEYS) {
      list.fail(i, "the rules' maxKeys add up to more than " + MAX_MAX_KEYS.toString());
      return null;
    }
    rules[i] = r;
  }
  s.rules = rules;
  if (!cfg.rejectUnknown()) return null;
  return s;
}

function parseResponse(cfg: ConfigObject, s: Settings): void {
  const r = cfg.obj("response");
  let body = "rate limited\n";
  if (r !== null) {
    s.status = <u32>r.int("status", 429, 200, 599);
    body = r.str("body", body);
    const h = r.obj("headers");
    if (h !== null) {
      const keys = h.json.keys;
      for (let i = 0; i < keys.length; i++) {
        const name = keys[i];
        if (!isHeaderName(name)) { h.fail(name, "\"" + name + "\" is not a valid header name"); return; }
        const value = h.str(name, "");
        if (!h.ok()) return;
        s.responseHeaders.push(makeHeaderPair(asciiLower(name), value));
      }
    }
    if (!r.rejectUnknown()) return;
  }
  s.body = String.UTF8.encode(body);
  s.limitedHeaders = new LimitedHeaders(s.responseHeaders);
}

function parseRule(list: ConfigArray, i: i32, s: Settings): Rule | null {
  const r = list.obj(i);
  if (r === null) return null;
  const name = r.requiredStr("name");
  if (!r.ok()) return null;
  if (!isName(name)) { r.fail("name", nameRule(name)); return null; }

  let match: Condition | null = null;
  if (r.has("match")) {
    const m = r.obj("match");
    if (m === null) { if (r.ok()) r.fail("match", "must be a condition object"); return null; }
    match = parseCondition(m);
    if (match === null) return null;
  }

  const key = parseKey(r);
  if (key === null) return null;

  if (!r.has("tokens")) { r.fail("tokens", "is required (tokens added per interval)"); return null; }
  const tokens = r.int("tokens", 1, 1, 1000000000);
  const intervalMs = r.durationMs("interval", 1000);
  const burst = r.int("burst", tokens, 1, 1000000000);
  if (!r.ok()) return null;
  const problem = BucketLimits.check(<u64>tokens, <u64>intervalMs, <u64>burst);
  if (problem !== null) { r.fail(burst < tokens ? "burst" : "interval", problem); return null; }

  const missing = r.oneOf("missingKey", "skip", ["skip", "unknown"]);
  let slots: i64 = 1;
  if (key.length > 0) slots = r.int("maxKeys", DEFAULT_MAX_KEYS, 1, MAX_MAX_KEYS);
  else if (r.has("maxKeys")) { r.raw("maxKeys"); r.fail("maxKeys", "only applies to a rule with a key"); return null; }
  const shadow = r.bool("shadow", false);
  if (!r.ok() || !r.rejectUnknown()) return null;

  // Keyed rules: groups of WAYS entries, enough for maxKeys; a keyless rule: one entry.
  const ways: u32 = key.length > 0 ? WAYS : 1;
  const store = new SlotStore("rl:" + s.namespace + ":" + name + ":", <u32>((slots + ways - 1) / ways), ways);
  return new Rule(name, match, key, new BucketLimits(<u64>tokens, <u64>intervalMs, <u64>burst),
    missing == "unknown", shadow || s.shadow, store);
}

function parseKey(r: ConfigObject): StaticArray<Source> | null {
  if (!r.has("key")) return new StaticArray<Source>(0);
  const list = r.arr("key");
  if (list === null) { if (r.ok()) r.fail("key", "must be a list of key parts"); return null; }
  const parts = new StaticArray<Source>(list.length);
  for (let i = 0; i < list.length; i++) {
    const o = list.obj(i);
    if (o === null) return null;
    const src = parseSource(o);
    if (src === null || !o.rejectUnknown()) return null;
    parts[i] = src;
  }
  return parts;
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
