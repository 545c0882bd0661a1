// trace-id: gives every request one trace identity — W3C traceparent (kept, repaired or started),
// optional B3, an x-request-id — echoes it to the client and exposes it to the access log.
// See README.md for the behaviour and every configuration field.
import { RootContext, Context, FilterHeadersStatusValues, Counter, log, LogLevelValues } from "../../index";
import { HeaderMapTypeValues } from "../../sdk/types";
import { HeaderLines, requestLines } from "../../sdk/headerlines";
import { RawName, replaceHeaderRaw, removeHeaderRaw, setPropertyRaw, callForeignRaw } from "../../sdk/rawheaders";
import { Parse, TraceContext, FLAG_SAMPLED, FLAG_RANDOM } from "./trace";
import { parseTraceparent, writeTraceparent, writeTraceId } from "./w3c";
import { parseB3Single, parseB3TraceId, parseB3SpanId, parseB3Sampling, applyB3Sampling, writeB3Single, writeB3TraceId } from "./b3";
import { newSpanId, newTraceId, writeUuid, writeUuidV4 } from "./ids";
import { writeHex64 } from "./hex";
import { Settings, parseSettings, settingsError, Mode, Format, RequestIdFormat, StateValue, MASK56 } from "./settings";
import { filterStateArgs } from "./filterstate";
import { TraceHeaders, NAMES, TRACEPARENT, TRACESTATE, B3, B3_TRACE_ID, B3_SPAN_ID, B3_PARENT_SPAN_ID, B3_SAMPLED, B3_FLAGS, REQUEST_ID } from "./incoming";
import { TracestateLines, TracestateResult, Tracestate, checkTracestate, MAX_LIST_BYTES } from "./tracestate";
import { keepableRequestId } from "./requestid";

const REQ = <u32>HeaderMapTypeValues.RequestHeaders;
const RESP = <u32>HeaderMapTypeValues.ResponseHeaders;
const SET_FILTER_STATE = new RawName("set_envoy_filter_state");

/** Scratch for outgoing header values (the host copies them); the longest is a b3 value, 68 bytes. */
const OUT: usize = memory.data(128);
/** Scratch for a rewritten tracestate (at most 32 members of 513 bytes and their commas). */
const TS_OUT: usize = heap.alloc(MAX_LIST_BYTES);
// Reused per request: the hot path allocates nothing but the stream context itself.
const incoming = new TraceContext();
const candidate = new TraceContext();
const NO_LINES = new HeaderLines(); // read as no headers when the host refuses the map
/** The request's lines for the request being served (the module's shared read: sdk/headerlines.ts). */
let lines: HeaderLines = NO_LINES;
const tsLines = new TracestateLines();
const tsResult = new TracestateResult();

export class TraceIdRoot extends RootContext {
  settings: Settings = new Settings();
  started: Counter | null = null;
  propagated: Counter | null = null;
  repaired: Counter | null = null;
  tracestateInvalid: Counter | null = null;
  filterStateWarned: bool = false;
  /** Where the watched headers are in the request's header lines. */
  found: TraceHeaders = new TraceHeaders(true, true, true, null);

  configure(configuration: string): bool {
    super.configure(configuration);
    const s = parseSettings(configuration);
    if (s === null) {
      log(LogLevelValues.error, "trace-id: " + settingsError);
      return false;
    }
    this.settings = s;
    this.started = new Counter(s.statPrefix + ".traces_started");
    this.propagated = new Counter(s.statPrefix + ".traces_propagated");
    this.repaired = new Counter(s.statPrefix + ".traces_repaired");
    this.tracestateInvalid = new Counter(s.statPrefix + ".tracestate_invalid");
    const w3c = s.emitW3c || s.extract.includes(Format.W3C);
    const b3 = s.emitB3 || s.extract.includes(Format.B3);
    const b3multi = s.emitB3Multi || s.extract.includes(Format.B3Multi);
    this.found = new TraceHeaders(w3c, b3, b3multi, s.requestIdHeader);
    return true;
  }

  createContext(id: u32): Context { return new TraceIdStream(id, this); }
}

class TraceIdStream extends Context {
  /** The request's trace id, kept for the response echo (0:0 until request headers were seen). */
  hi: u64 = 0;
  lo: u64 = 0;
  /** The request id's bytes, kept for the echo and filter state (only when the settings need them). */
  requestId: ArrayBuffer | null = null;

  constructor(id: u32, public root: TraceIdRoot) { super(id, root); }

  onRequestHeaders(n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    const s = root.settings;
    const ctx = incoming;
    // Every header line in one host call (shared with a chain's later members); the watched ones are located in one pass.
    const shared = requestLines();
    lines = shared !== null ? shared : NO_LINES;
    const found = root.found;
    found.scan(lines);

    // 1. Extract: the first valid context in the configured order wins.
    let source = -1;
    let invalid = false;
    let decision: i32 = -1;
    let decisionDebug = false;
    const order = s.extract;
    for (let i = 0; i < order.length; i++) {
      const f = unchecked(order[i]);
      const r = read(f, s, found, candidate);
      if (r == Parse.Valid) { source = f; ctx.copyFrom(candidate); break; }
      if (r == Parse.Invalid) invalid = true;
      else if (r == Parse.SamplingOnly && decision < 0) { decision = candidate.sampled; decisionDebug = candidate.debug; }
    }

    // 2. Keep it, or start a new trace; settle the sampling decision.
    let outSpan: u64, outParent: u64, outFlags: u8;
    const keep = source >= 0 && s.mode == Mode.Propagate;
    if (source >= 0) {
      if (ctx.sampled < 0) ctx.sampled = (ctx.lo & MASK56) < s.sampleThreshold ? 1 : 0;
      outFlags = source == Format.W3C ? ctx.flags & (FLAG_SAMPLED | FLAG_RANDOM) : <u8>ctx.sampled;
      if (keep) { outSpan = ctx.span; outParent = ctx.parent; }
      else { outSpan = newSpanId(); outParent = ctx.span; }
      (<Counter>root.propagated).increment();
    } else {
      newTraceId(ctx);
      ctx.debug = decisionDebug;
      ctx.sampled = decision >= 0 ? decision : (ctx.lo & MASK56) < s.sampleThreshold ? 1 : 0;
      outFlags = FLAG_RANDOM | <u8>ctx.sampled;
      outSpan = newSpanId();
      outParent = 0;
      (<Counter>(invalid ? root.repaired : root.started)).increment();
    }
    this.hi = ctx.hi;
    this.lo = ctx.lo;

    // 3. Emit every configured format, all with the same trace; skip what is forwarded unchanged.
    //    A replace leaves one line, whatever number of lines came in.
    if (s.emitW3c) {
      if (!(keep && source == Format.W3C)) {
        replaceHeaderRaw(REQ, NAMES[TRACEPARENT], OUT, writeTraceparent(OUT, ctx.hi, ctx.lo, outSpan, outFlags));
      }
      if (found.count(TRACESTATE) > 0) {
        // tracestate belongs to the traceparent it came with: dropped when that one is not continued
        // (W3C §4.2/§4.3, and "Vendors SHOULD clean up tracestate collection on traceparent restart").
        if (source != Format.W3C) removeHeaderRaw(REQ, NAMES[TRACESTATE]);
        else this.forwardTracestate(s, found);
      }
    }
    const sampled = ctx.sampled == 1;
    if (s.emitB3 && !(keep && source == Format.B3)) {
      replaceHeaderRaw(REQ, NAMES[B3], OUT, writeB3Single(OUT, ctx.hi, ctx.lo, outSpan, sampled, ctx.debug, outParent));
    }
    if (s.emitB3Multi && !(keep && source == Format.B3Multi)) {
      emitB3Multi(ctx, found, outSpan, outParent, sampled);
    }

    // 4. Request id: keep a present, keepable one (bytes as they came), else make one.
    const rid = s.requestIdHeader;
    if (rid !== null) {
      let have = false;
      if (s.preserveRequestId && found.count(REQUEST_ID) == 1) {
        const at = found.first(REQUEST_ID);
        const p = lines.valuePtr(at), len = lines.valueLen(at);
        have = keepableRequestId(p, len);
        if (have && s.needsRequestId) this.requestId = copyBytes(p, len);
      }
      if (!have) {
        let len: usize;
        if (s.requestIdFormat == RequestIdFormat.TraceId) len = writeTraceId(OUT, ctx.hi, ctx.lo);
        else if (s.requestIdFormat == RequestIdFormat.TraceIdUuid) len = writeUuid(OUT, ctx.hi, ctx.lo);
        else len = writeUuidV4(OUT);
        replaceHeaderRaw(REQ, rid, OUT, len);
        if (s.needsRequestId) this.requestId = copyBytes(OUT, len);
      }
    }
    // 5. Expose to the access log.
    if (s.filterStateProperty !== null || s.envoyFilterStateKey !== null) this.exposeToLog(s, outSpan, outFlags);
    return FilterHeadersStatusValues.Continue;
  }

  /** Validates the incoming tracestate of a continued W3C trace and sends on what the policy keeps. */
  private forwardTracestate(s: Settings, found: TraceHeaders): void {
    tsLines.reset();
    const name = NAMES[TRACESTATE];
    for (let i = found.first(TRACESTATE); i >= 0; i = lines.find(name, i + 1)) tsLines.add(lines.valuePtr(i), lines.valueLen(i));
    const r = checkTracestate(tsLines, s.tracestatePolicy, s.tracestateMaxBytes, TS_OUT, tsResult);
    if (tsResult.invalid) (<Counter>this.root.tracestateInvalid).increment();
    if (r == Tracestate.Rewrite) replaceHeaderRaw(REQ, name, TS_OUT, tsResult.outLen);
    else if (r == Tracestate.Remove) removeHeaderRaw(REQ, name);
  }

  onResponseHeaders(n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const s = this.root.settings;
    const echo = s.echoTraceIdHeader;
    if (echo !== null && (this.hi | this.lo) != 0) replaceHeaderRaw(RESP, echo, OUT, writeTraceId(OUT, this.hi, this.lo));
    const echoRid = s.echoRequestIdHeader;
    const rid = this.requestId;
    if (echoRid !== null && rid !== null) replaceHeaderRaw(RESP, echoRid, changetype<usize>(rid), <usize>rid.byteLength);
    return FilterHeadersStatusValues.Continue;
  }

  private exposeToLog(s: Settings, outSpan: u64, outFlags: u8): void {
    let ptr = OUT;
    let len: usize = 0;
    if (s.filterStateValue == StateValue.RequestId) {
      const rid = this.requestId;
      if (rid !== null) { ptr = changetype<usize>(rid); len = <usize>rid.byteLength; }
    } else if (s.filterStateValue == StateValue.Traceparent) {
      len = writeTraceparent(OUT, this.hi, this.lo, outSpan, outFlags);
    } else {
      len = writeTraceId(OUT, this.hi, this.lo);
    }
    const prop = s.filterStateProperty;
    if (prop !== null) setPropertyRaw(prop, ptr, len);
    const key = s.envoyFilterStateKey;
    if (key !== null) {
      const args = filterStateArgs(key, ptr, len);
      const status = callForeignRaw(SET_FILTER_STATE, changetype<usize>(args), <usize>args.byteLength);
      if (status != 0 && !this.root.filterStateWarned) {
        this.root.filterStateWarned = true;
        log(LogLevelValues.warn, "trace-id: Envoy refused filter state \"" + key.name + "\" (status " + status.toString() +
          "): envoyFilterStateKey must name a registered filter-state object factory, e.g. envoy.string");
      }
    }
  }
}

/**
 * Reads one incoming format into `out`. Each of these headers holds one value (W3C §3.2, B3; RFC 9110
 * §5.3 allows repeated lines only for list-valued fields): two lines of one make the format Invalid.
 */
function read(f: Format, s: Settings, found: TraceHeaders, out: TraceContext): Parse {
  if (f == Format.W3C) {
    const n = found.count(TRACEPARENT);
    if (n == 0) return Parse.Absent;
    if (n > 1) return Parse.Invalid;
    out.reset();
    const at = found.first(TRACEPARENT);
    return parseTraceparent(lines.valuePtr(at), lines.valueLen(at), out);
  }
  if (f == Format.B3) {
    const n = found.count(B3);
    if (n == 0) return Parse.Absent;
    if (n > 1) return Parse.Invalid;
    const at = found.first(B3);
    return parseB3Single(lines.valuePtr(at), lines.valueLen(at), out);
  }
  return readB3Multi(s, found, out);
}

/** X-B3-TraceId and X-B3-SpanId are required; X-B3-Sampled alone is a sampling decision. */
function readB3Multi(s: Settings, found: TraceHeaders, out: TraceContext): Parse {
  out.reset();
  for (let slot = B3_TRACE_ID; slot <= B3_FLAGS; slot++) if (found.count(slot) > 1) return Parse.Invalid;
  if (found.count(B3_TRACE_ID) == 0) {
    if (found.count(B3_SAMPLED) == 0) return Parse.Absent;
    const at = found.first(B3_SAMPLED);
    const state = parseB3Sampling(lines.valuePtr(at), lines.valueLen(at));
    if (state < 0) return Parse.Invalid;
    applyB3Sampling(state, out);
    return Parse.SamplingOnly;
  }
  let at = found.first(B3_TRACE_ID);
  if (!parseB3TraceId(lines.valuePtr(at), lines.valueLen(at), out)) return Parse.Invalid;
  at = found.first(B3_SPAN_ID);
  if (at < 0) return Parse.Invalid;
  out.span = parseB3SpanId(lines.valuePtr(at), lines.valueLen(at));
  if (out.span == 0) return Parse.Invalid;
  // Debug (X-B3-Flags: 1) implies accept; otherwise X-B3-Sampled, read leniently (unknown = deferred).
  let state: i32 = -1;
  at = found.first(B3_FLAGS);
  if (at >= 0 && lines.valueLen(at) == 1 && load<u8>(lines.valuePtr(at)) == 0x31) state = 2;
  at = found.first(B3_SAMPLED);
  if (state < 0 && at >= 0) state = parseB3Sampling(lines.valuePtr(at), lines.valueLen(at));
  if (state >= 0) applyB3Sampling(state, out);
  // The incoming parent matters only when it is forwarded in a single b3 header.
  at = found.first(B3_PARENT_SPAN_ID);
  if (s.emitB3 && s.mode == Mode.Propagate && at >= 0) out.parent = parseB3SpanId(lines.valuePtr(at), lines.valueLen(at));
  return Parse.Valid;
}

function emitB3Multi(ctx: TraceContext, found: TraceHeaders, span: u64, parent: u64, sampled: bool): void {
  replaceHeaderRaw(REQ, NAMES[B3_TRACE_ID], OUT, writeB3TraceId(OUT, ctx.hi, ctx.lo));
  replaceHeaderRaw(REQ, NAMES[B3_SPAN_ID], OUT, writeHex64(OUT, span, 16) - OUT);
  if (parent != 0) replaceHeaderRaw(REQ, NAMES[B3_PARENT_SPAN_ID], OUT, writeHex64(OUT, parent, 16) - OUT);
  else if (found.count(B3_PARENT_SPAN_ID) > 0) removeHeaderRaw(REQ, NAMES[B3_PARENT_SPAN_ID]);
  store<u8>(OUT, ctx.debug || sampled ? 0x31 : 0x30);
  if (ctx.debug) {
    // Debug is sent as X-B3-Flags: 1 and implies accept, so X-B3-Sampled is left out.
    replaceHeaderRaw(REQ, NAMES[B3_FLAGS], OUT, 1);
    if (found.count(B3_SAMPLED) > 0) removeHeaderRaw(REQ, NAMES[B3_SAMPLED]);
  } else {
    replaceHeaderRaw(REQ, NAMES[B3_SAMPLED], OUT, 1);
    if (found.count(B3_FLAGS) > 0) removeHeaderRaw(REQ, NAMES[B3_FLAGS]);
  }
}

/** A copy of `len` bytes at `p` that outlives the host's buffer. */
function copyBytes(p: usize, len: usize): ArrayBuffer {
  const b = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(b), p, len);
  return b;
}
