// The `global` section of the rate-limit configuration: which rate-limit service to ask (a gRPC cluster
// and a domain) and the rules whose descriptors it is asked about. Parsed once at configure time into
// pre-encoded protobuf fragments, so a request only copies its values.
import { ConfigObject, ConfigArray, Counter, Histogram, RawName, quoteExcerpt } from "../../../index";
import { Condition, Source, parseCondition, parseSource } from "../../common";
import { encodeStringField } from "./rls-codec";
import { isName, nameRule } from "../names";

const MAX_RULES: i32 = 64; // the rules a request used are kept as bits of a u64
const MAX_ENTRIES: i32 = 16;
const UNKNOWN_VALUE = String.UTF8.encode("unknown");
export const RLS_SERVICE = new RawName("envoy.service.ratelimit.v3.RateLimitService");
export const RLS_METHOD = new RawName("ShouldRateLimit");

/** One entry of a descriptor: a fixed value (`generic_key`) or a value from the request. */
export class DescriptorPart {
  constructor(
    /** Entry.key as an encoded protobuf field. */
    public readonly keyField: ArrayBuffer,
    /** Where the value comes from; null for a fixed value. */
    public readonly source: Source | null,
    public readonly fixed: ArrayBuffer,
  ) {}
}

/** Counters of one global rule: `<statPrefix>.global.<rule>.<event>`. */
export class GlobalRuleMetrics {
  allowed: Counter;
  limited: Counter;
  shadowLimited: Counter;
  constructor(base: string) {
    this.allowed = new Counter(base + ".allowed");
    this.limited = new Counter(base + ".limited");
    this.shadowLimited = new Counter(base + ".shadow_limited");
  }
}

export class GlobalRule {
  metrics: GlobalRuleMetrics | null = null;
  // x-ratelimit-limit as UTF-8, re-encoded only when the service reports another limit.
  private lastLimit: u32 = 0;
  private lastLimitBytes: ArrayBuffer = new ArrayBuffer(0);

  constructor(
    public readonly name: string,
    public readonly match: Condition | null,
    public readonly parts: StaticArray<DescriptorPart>,
    /** A request missing a request-sourced value sends "unknown" (else the rule is skipped). */
    public readonly countUnknown: bool,
    /** The descriptor's hits_addend; -1 = not sent (0 is sent: check without counting). */
    public readonly hitsAddend: i64,
    public readonly shadow: bool,
  ) {}

  limitBytes(limit: u32): ArrayBuffer {
    if (limit != this.lastLimit || this.lastLimitBytes.byteLength == 0) {
      this.lastLimit = limit;
      this.lastLimitBytes = String.UTF8.encode(limit.toString());
    }
    return this.lastLimitBytes;
  }
}

/** Call-level counters and the latency histogram: `<statPrefix>.global.<event>`. */
export class GlobalMetrics {
  ok: Counter;
  overLimit: Counter;
  error: Counter;
  timeout: Counter;
  failOpen: Counter;
  failClosed: Counter;
  latencyMs: Histogram;
  constructor(base: string) {
    this.ok = new Counter(base + ".ok");
    this.overLimit = new Counter(base + ".over_limit");
    this.error = new Counter(base + ".error");
    this.timeout = new Counter(base + ".timeout");
    this.failOpen = new Counter(base + ".fail_open");
    this.failClosed = new Counter(base + ".fail_closed");
    this.latencyMs = new Histogram(base + ".latency_ms");
  }
}

export class GlobalSettings {
  cluster: RawName = new RawName("");
  domain: string = "";
  /** RateLimitRequest.domain as an encoded protobuf field. */
  domainField: ArrayBuffer = new ArrayBuffer(0);
  timeoutMs: u32 = 20;
  /** Admit (true) or reject with `statusOnError` when the service is slow, down or answers an error. */
  failOpen: bool = true;
  statusOnError: u32 = 500;
  /** RateLimitRequest.hits_addend; 0 = not sent (the service counts 1). */
  hitsAddend: u32 = 0;
  rules: StaticArray<GlobalRule> = new StaticArray<GlobalRule>(0);
  metrics: GlobalMetrics | null = null;
}

/**
 * Parses `global` (cfg is that object). `shadowAll`: the top-level shadow switch. Returns null when
 * an error was recorded on cfg (its path and reason).
 */
export function parseGlobal(cfg: ConfigObject, shadowAll: bool): GlobalSettings | null {
  const g = new GlobalSettings();
  const cluster = cfg.requiredStr("cluster");
  const domain = cfg.requiredStr("domain");
  if (!cfg.ok()) return null;
  if (cluster.length == 0) { cfg.fail("cluster", "must name the gRPC cluster of the rate-limit service"); return null; }
  if (domain.length == 0) { cfg.fail("domain", "must not be empty"); return null; }
  g.cluster = new RawName(cluster);
  g.domain = domain;
  g.domainField = encodeStringField(1, domain);
  const timeout = cfg.durationMs("timeout", 20);
  if (cfg.ok() && timeout > 60000) { cfg.fail("timeout", "must be at most 60s"); return null; }
  g.timeoutMs = <u32>timeout;
  g.failOpen = cfg.bool("failOpen", true);
  g.statusOnError = <u32>cfg.int("statusOnError", 500, 200, 599);
  g.hitsAddend = <u32>cfg.int("hitsAddend", 0, 0, 1000000000);
  if (!cfg.ok()) return null;

  if (!cfg.has("rules")) { cfg.fail("rules", "is required (a list of global rules)"); return null; }
  const list = cfg.arr("rules");
  if (list === null) return null;
  if (list.length == 0) { cfg.fail("rules", "must not be empty"); return null; }
  if (list.length > MAX_RULES) { cfg.fail("rules", "at most " + MAX_RULES.toString() + " global rules"); return null; }
  const rules = new StaticArray<GlobalRule>(list.length);
  const names = new Array<string>();
  for (let i = 0; i < list.length; i++) {
    const r = parseRule(list, i, shadowAll);
    if (r === null) return null;
    if (names.includes(r.name)) { list.fail(i, "name " + quoteExcerpt(r.name) + " is used by another global rule"); return null; }
    names.push(r.name);
    rules[i] = r;
  }
  g.rules = rules;
  if (!cfg.rejectUnknown()) return null;
  return g;
}

function parseRule(list: ConfigArray, i: i32, shadowAll: bool): GlobalRule | null {
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

  if (!r.has("descriptor")) { r.fail("descriptor", "is required (a list of descriptor entries)"); return null; }
  const entries = r.arr("descriptor");
  if (entries === null) { if (r.ok()) r.fail("descriptor", "must be a list of descriptor entries"); return null; }
  if (entries.length == 0) { r.fail("descriptor", "must not be empty"); return null; }
  if (entries.length > MAX_ENTRIES) { r.fail("descriptor", "at most " + MAX_ENTRIES.toString() + " entries"); return null; }
  const parts = new StaticArray<DescriptorPart>(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const p = parseEntry(entries, k);
    if (p === null) return null;
    parts[k] = p;
  }

  const missing = r.oneOf("missingKey", "skip", ["skip", "unknown"]);
  const hits = r.has("hitsAddend") ? r.int("hitsAddend", 0, 0, 1000000000) : -1;
  const shadow = r.bool("shadow", false);
  if (!r.ok() || !r.rejectUnknown()) return null;
  return new GlobalRule(name, match, parts, missing == "unknown", hits, shadow || shadowAll);
}

/**
 * An entry: `{"key": "generic_key", "value": "api"}` (fixed; `key` defaults to "generic_key", as in
 * Envoy's generic_key action) or `{"key": "client", "source": "header", "name": "x-client"}`.
 */
function parseEntry(list: ConfigArray, k: i32): DescriptorPart | null {
  const e = list.obj(k);
  if (e === null) return null;
  if (e.has("value")) {
    if (e.has("source")) { e.raw("source"); e.fail("source", "an entry has either a fixed \"value\" or a \"source\", not both"); return null; }
    const value = e.requiredStr("value");
    const key = e.str("key", "generic_key");
    if (!e.ok()) return null;
    if (key.length == 0) { e.fail("key", "must not be empty"); return null; }
    if (value.length == 0) { e.fail("value", "must not be empty (the service ignores empty values)"); return null; }
    if (!e.rejectUnknown()) return null;
    return new DescriptorPart(encodeStringField(1, key), null, String.UTF8.encode(value));
  }
  if (!e.has("source")) { e.fail("source", "is required unless the entry has a fixed \"value\""); return null; }
  const key = e.requiredStr("key");
  if (!e.ok()) return null;
  if (key.length == 0) { e.fail("key", "must not be empty"); return null; }
  const src = parseSource(e);
  if (src === null || !e.rejectUnknown()) return null;
  return new DescriptorPart(encodeStringField(1, key), src, UNKNOWN_VALUE);
}

/** Defines the metrics (configure time; the request path only increments). */
export function defineGlobalMetrics(g: GlobalSettings, statPrefix: string): void {
  g.metrics = new GlobalMetrics(statPrefix + ".global");
  for (let i = 0; i < g.rules.length; i++) {
    const r = g.rules[i];
    r.metrics = new GlobalRuleMetrics(statPrefix + ".global." + r.name);
  }
}
