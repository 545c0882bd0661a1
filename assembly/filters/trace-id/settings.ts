// The filter's JSON configuration, read and checked once at configure time into plain fields the
// request path uses directly (pre-encoded header names, an integer sampling threshold).
import { parseConfig, ConfigObject, JsonKind, JsonNumber, quoteExcerpt, suggestion } from "../../index";
import { RawName } from "../../sdk/rawheaders";
import { TracestatePolicy, MAX_LIST_BYTES } from "./tracestate";

export enum Mode { Propagate = 0, Span = 1 }
export enum Format { W3C = 0, B3 = 1, B3Multi = 2 }
export enum RequestIdFormat { Uuid4 = 0, TraceId = 1, TraceIdUuid = 2 }
export enum StateValue { TraceId = 0, RequestId = 1, Traceparent = 2 }

const FORMAT_NAMES: string[] = ["w3c", "b3", "b3multi"];
/** 2^56: sampling compares the trace id's low 56 bits (W3C Level 2's random part) to rate × 2^56. */
export const SAMPLE_SCALE: f64 = 72057594037927936.0;
export const MASK56: u64 = 0x00ffffffffffffff;

export class Settings {
  mode: Mode = Mode.Propagate;
  /** Formats read, in priority order. */
  extract: Format[] = [Format.W3C, Format.B3, Format.B3Multi];
  emitW3c: bool = true;
  emitB3: bool = false;
  emitB3Multi: bool = false;
  sampleRate: f64 = 1.0;
  /** A new trace is sampled when (trace id & MASK56) < sampleThreshold. */
  sampleThreshold: u64 = <u64>SAMPLE_SCALE;
  requestIdHeader: RawName | null = new RawName("x-request-id");
  preserveRequestId: bool = true;
  requestIdFormat: RequestIdFormat = RequestIdFormat.Uuid4;
  echoTraceIdHeader: RawName | null = new RawName("x-trace-id");
  echoRequestIdHeader: RawName | null = null;
  filterStateProperty: RawName | null = null;
  envoyFilterStateKey: RawName | null = null;
  filterStateValue: StateValue = StateValue.TraceId;
  statPrefix: string = "trace_id";
  /** What an invalid tracestate becomes (W3C §4.3 leaves the choice to the vendor). */
  tracestatePolicy: TracestatePolicy = TracestatePolicy.DropHeader;
  /** Truncate a longer tracestate by whole entries (§3.3.1.5); 0 = no truncation. */
  tracestateMaxBytes: usize = 0;

  /** True when the request id must be kept as a string for the response or filter state. */
  get needsRequestId(): bool {
    return this.echoRequestIdHeader !== null ||
      ((this.filterStateProperty !== null || this.envoyFilterStateKey !== null) && this.filterStateValue == StateValue.RequestId);
  }
}

/** Set by parseSettings when it returns null: the first problem, prefixed with the field. */
export let settingsError = "";

/** Reads the plugin configuration; null (and settingsError) when any field is wrong. */
export function parseSettings(text: string): Settings | null {
  settingsError = "";
  const c = parseConfig(text);
  const s = new Settings();
  if (c.ok()) {
    s.mode = c.oneOf("mode", "propagate", ["propagate", "span"]) == "span" ? Mode.Span : Mode.Propagate;
    if (c.has("extract")) s.extract = formats(c, "extract");
    if (c.has("emit")) {
      const emit = formats(c, "emit");
      s.emitW3c = emit.includes(Format.W3C);
      s.emitB3 = emit.includes(Format.B3);
      s.emitB3Multi = emit.includes(Format.B3Multi);
    }
    s.sampleRate = rate(c, "sampleRate", 1.0);
    s.sampleThreshold = <u64>(s.sampleRate * SAMPLE_SCALE);
    s.requestIdHeader = optionalName(c.headerName("requestIdHeader", "x-request-id"));
    s.preserveRequestId = c.bool("preserveRequestId", true);
    const f = c.oneOf("requestIdFormat", "uuid4", ["uuid4", "traceId", "traceIdUuid"]);
    s.requestIdFormat = f == "traceId" ? RequestIdFormat.TraceId : f == "traceIdUuid" ? RequestIdFormat.TraceIdUuid : RequestIdFormat.Uuid4;
    s.echoTraceIdHeader = optionalName(c.headerName("echoTraceIdHeader", "x-trace-id"));
    s.echoRequestIdHeader = optionalName(c.headerName("echoRequestIdHeader", ""));
    s.filterStateProperty = optionalName(identifier(c, "filterStateProperty"));
    s.envoyFilterStateKey = optionalName(identifier(c, "envoyFilterStateKey"));
    const v = c.oneOf("filterStateValue", "traceId", ["traceId", "requestId", "traceparent"]);
    s.filterStateValue = v == "requestId" ? StateValue.RequestId : v == "traceparent" ? StateValue.Traceparent : StateValue.TraceId;
    s.statPrefix = identifier(c, "statPrefix", "trace_id");
    const tv = c.oneOf("tracestateValidation", "dropHeader", ["dropHeader", "dropMembers", "off"]);
    s.tracestatePolicy = tv == "dropMembers" ? TracestatePolicy.DropMembers : tv == "off" ? TracestatePolicy.Off : TracestatePolicy.DropHeader;
    s.tracestateMaxBytes = tracestateMaxBytes(c, "tracestateMaxBytes");
    if (s.statPrefix.length == 0 && c.ok()) c.fail("statPrefix", "must not be empty");
    if (s.requestIdHeader === null && s.echoRequestIdHeader !== null && c.ok()) {
      c.fail("echoRequestIdHeader", "needs requestIdHeader (there is no request id to echo)");
    }
    if (s.requestIdHeader === null && s.filterStateValue == StateValue.RequestId && c.ok()) {
      c.fail("filterStateValue", "\"requestId\" needs requestIdHeader");
    }
    // Every field is read above (no early return), so "unread" is exactly "unknown": the typo gets the
    // closest name a reader asked for.
    c.rejectUnknown();
  }
  if (!c.ok()) { settingsError = c.error(); if (settingsError.length == 0) settingsError = "invalid configuration"; return null; }
  return s;
}

function optionalName(name: string): RawName | null {
  return name.length == 0 ? null : new RawName(name);
}

/** A list of format names; unknown or repeated names are errors naming the item. */
function formats(c: ConfigObject, key: string): Format[] {
  const out = new Array<Format>();
  const names = c.strList(key, 8);
  for (let i = 0; i < names.length; i++) {
    const idx = FORMAT_NAMES.indexOf(names[i]);
    const at = key + "[" + i.toString() + "]";
    if (idx < 0) {
      c.fail(at, "unknown format " + quoteExcerpt(names[i]) + suggestion(names[i], FORMAT_NAMES) + " (expected one of: " + FORMAT_NAMES.join(", ") + ")");
      continue;
    }
    if (out.includes(<Format>idx)) { c.fail(at, "format \"" + names[i] + "\" is listed twice"); continue; }
    out.push(<Format>idx);
  }
  return out;
}

/** A name made of letters, digits, `.`, `_` and `-` (filter-state keys, stat prefixes); "" when absent. */
function identifier(c: ConfigObject, key: string, def: string = ""): string {
  const s = c.str(key, def);
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const ok = (ch >= 0x30 && ch <= 0x39) || ((ch | 0x20) >= 0x61 && (ch | 0x20) <= 0x7a) || ch == 0x2e || ch == 0x5f || ch == 0x2d;
    if (!ok) { c.fail(key, quoteExcerpt(s) + " may only contain letters, digits, '.', '_' and '-'"); return def; }
  }
  return s;
}

/**
 * A probability in [0, 1]. (Read here rather than with ConfigObject.num, whose message formats
 * fractions with the general float printer: ~4 KB of module for one error text.)
 */
function rate(c: ConfigObject, key: string, def: f64): f64 {
  const v = c.raw(key);
  if (v === null) return def;
  if (v.kind != JsonKind.Number) { c.fail(key, "expected number, got " + v.kindName()); return def; }
  const n = (<JsonNumber>v).value;
  if (!(n >= 0.0 && n <= 1.0)) { c.fail(key, "must be a number between 0 and 1 (a fraction of new traces)"); return def; }
  return n;
}

/**
 * 0 (no truncation) or a byte count from 512 (W3C §3.3.1.5: "Vendors SHOULD propagate at least 512
 * characters") to the longest valid tracestate.
 */
function tracestateMaxBytes(c: ConfigObject, key: string): usize {
  const v = c.raw(key);
  if (v === null || v.kind == JsonKind.Null) return 0;
  const n = v.kind == JsonKind.Number ? (<JsonNumber>v).value : -1.0;
  if (n == 0.0) return 0;
  if (!(n >= 512.0 && n <= <f64>MAX_LIST_BYTES && n == Math.floor(n))) {
    c.fail(key, "must be 0 (no truncation) or an integer from 512 (W3C: propagate at least 512) to " + MAX_LIST_BYTES.toString());
    return 0;
  }
  return <usize>n;
}
