// trace-id: gives every request one trace identity — W3C traceparent (kept, repaired or started),
// optional B3, an x-request-id — echoes it to the client and exposes it to the access log.
// See README.md for the behaviour and every configuration field.
export * from "../../proxy-core"; // only the callbacks this filter implements (proxy-core.ts says why)
export { proxy_on_request_headers, proxy_on_response_headers } from "../../sdk/dispatcher";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, Counter, log, LogLevelValues } from "../../index";
import { HeaderMapTypeValues } from "../../sdk/types";
import { RawName, RawValue, getHeaderRaw, replaceHeaderRaw, removeHeaderRaw, setPropertyRaw, callForeignRaw } from "../../sdk/rawheaders";
import { Parse, TraceContext, FLAG_SAMPLED, FLAG_RANDOM } from "./trace";
import { parseTraceparent, writeTraceparent, writeTraceId } from "./w3c";
import { parseB3Single, parseB3TraceId, parseB3SpanId, parseB3Sampling, applyB3Sampling, writeB3Single, writeB3TraceId } from "./b3";
import { newSpanId, newTraceId, writeUuid, writeUuidV4 } from "./ids";
import { writeHex64 } from "./hex";
import { Settings, parseSettings, settingsError, Mode, Format, RequestIdFormat, StateValue, MASK56 } from "./settings";
import { filterStateArgs } from "./filterstate";

const REQ = <u32>HeaderMapTypeValues.RequestHeaders;
const RESP = <u32>HeaderMapTypeValues.ResponseHeaders;

const TRACEPARENT = new RawName("traceparent");
const TRACESTATE = new RawName("tracestate");
const B3 = new RawName("b3");
const B3_TRACE_ID = new RawName("x-b3-traceid");
const B3_SPAN_ID = new RawName("x-b3-spanid");
const B3_PARENT_SPAN_ID = new RawName("x-b3-parentspanid");
const B3_SAMPLED = new RawName("x-b3-sampled");
const B3_FLAGS = new RawName("x-b3-flags");
const SET_FILTER_STATE = new RawName("set_envoy_filter_state");

/** Scratch for outgoing header values (the host copies them); the longest is a b3 value, 68 bytes. */
const OUT: usize = memory.data(128);
// Reused per request: the hot path allocates nothing but the stream context itself.
const incoming = new TraceContext();
const candidate = new TraceContext();
const value = new RawValue();

class TraceIdRoot extends RootContext {
  settings: Settings = new Settings();
  started: Counter | null = null;
  propagated: Counter | null = null;
  repaired: Counter | null = null;
  filterStateWarned: bool = false;

  onConfigure(size: usize): bool {
    super.onConfigure(size);
    const s = parseSettings(this.getConfiguration());
    if (s === null) {
      log(LogLevelValues.error, "trace-id: " + settingsError);
      return false;
    }
    this.settings = s;
    this.started = new Counter(s.statPrefix + ".traces_started");
    this.propagated = new Counter(s.statPrefix + ".traces_propagated");
    this.repaired = new Counter(s.statPrefix + ".traces_repaired");
    return true;
  }

  createContext(id: u32): Context { return new TraceIdStream(id, this); }
}

class TraceIdStream extends Context {
  /** The request's trace id, kept for the response echo (0:0 until request headers were seen). */
  hi: u64 = 0;
  lo: u64 = 0;
  requestId: string | null = null;

  constructor(id: u32, public root: TraceIdRoot) { super(id, root); }

  onRequestHeaders(n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    const s = root.settings;
    const ctx = incoming;

    // 1. Extract: the first valid context in the configured order wins.
    let source = -1;
    let invalid = false;
    let decision: i32 = -1;
    let decisionDebug = false;
    const order = s.extract;
    for (let i = 0; i < order.length; i++) {
      const f = unchecked(order[i]);
      const r = read(f, s, candidate);
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
    if (s.emitW3c && !(keep && source == Format.W3C)) {
      replaceHeaderRaw(REQ, TRACEPARENT, OUT, writeTraceparent(OUT, ctx.hi, ctx.lo, outSpan, outFlags));
      // tracestate belongs to the traceparent it came with: drop it when that one is replaced.
      if (source != Format.W3C) removeHeaderRaw(REQ, TRACESTATE);
    }
    const sampled = ctx.sampled == 1;
    if (s.emitB3 && !(keep && source == Format.B3)) {
      replaceHeaderRaw(REQ, B3, OUT, writeB3Single(OUT, ctx.hi, ctx.lo, outSpan, sampled, ctx.debug, outParent));
    }
    if (s.emitB3Multi && !(keep && source == Format.B3Multi)) {
      emitB3Multi(ctx, outSpan, outParent, sampled);
    }

    // 4. Request id: keep a present one, else make one.
    const rid = s.requestIdHeader;
    if (rid !== null) {
      let have = false;
      if (s.preserveRequestId && getHeaderRaw(REQ, rid, value)) {
        have = value.len > 0;
        if (have && s.needsRequestId) this.requestId = value.toString();
        value.release();
      }
      if (!have) {
        let len: usize;
        if (s.requestIdFormat == RequestIdFormat.TraceId) len = writeTraceId(OUT, ctx.hi, ctx.lo);
        else if (s.requestIdFormat == RequestIdFormat.TraceIdUuid) len = writeUuid(OUT, ctx.hi, ctx.lo);
        else len = writeUuidV4(OUT);
        replaceHeaderRaw(REQ, rid, OUT, len);
        if (s.needsRequestId) this.requestId = String.UTF8.decodeUnsafe(OUT, len);
      }
    }

    // 5. Expose to the access log.
    if (s.filterStateProperty !== null || s.envoyFilterStateKey !== null) this.exposeToLog(s, outSpan, outFlags);
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const s = this.root.settings;
    const echo = s.echoTraceIdHeader;
    if (echo !== null && (this.hi | this.lo) != 0) replaceHeaderRaw(RESP, echo, OUT, writeTraceId(OUT, this.hi, this.lo));
    const echoRid = s.echoRequestIdHeader;
    const rid = this.requestId;
    if (echoRid !== null && rid !== null) {
      const bytes = String.UTF8.encode(rid);
      replaceHeaderRaw(RESP, echoRid, changetype<usize>(bytes), <usize>bytes.byteLength);
    }
    return FilterHeadersStatusValues.Continue;
  }

  private exposeToLog(s: Settings, outSpan: u64, outFlags: u8): void {
    let ptr = OUT;
    let len: usize;
    let bytes: ArrayBuffer | null = null;
    if (s.filterStateValue == StateValue.RequestId) {
      const rid = this.requestId;
      bytes = String.UTF8.encode(rid === null ? "" : rid);
      ptr = changetype<usize>(bytes);
      len = <usize>bytes.byteLength;
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

/** Reads one incoming format into `out`. */
function read(f: Format, s: Settings, out: TraceContext): Parse {
  if (f == Format.W3C) {
    if (!getHeaderRaw(REQ, TRACEPARENT, value)) return Parse.Absent;
    out.reset();
    const r = parseTraceparent(value.ptr, value.len, out);
    value.release();
    return r;
  }
  if (f == Format.B3) {
    if (!getHeaderRaw(REQ, B3, value)) return Parse.Absent;
    const r = parseB3Single(value.ptr, value.len, out);
    value.release();
    return r;
  }
  return readB3Multi(s, out);
}

/** X-B3-TraceId and X-B3-SpanId are required; X-B3-Sampled alone is a sampling decision. */
function readB3Multi(s: Settings, out: TraceContext): Parse {
  out.reset();
  if (!getHeaderRaw(REQ, B3_TRACE_ID, value)) {
    if (!getHeaderRaw(REQ, B3_SAMPLED, value)) return Parse.Absent;
    const state = parseB3Sampling(value.ptr, value.len);
    value.release();
    if (state < 0) return Parse.Invalid;
    applyB3Sampling(state, out);
    return Parse.SamplingOnly;
  }
  const okTrace = parseB3TraceId(value.ptr, value.len, out);
  value.release();
  if (!okTrace) return Parse.Invalid;
  if (!getHeaderRaw(REQ, B3_SPAN_ID, value)) return Parse.Invalid;
  out.span = parseB3SpanId(value.ptr, value.len);
  value.release();
  if (out.span == 0) return Parse.Invalid;
  // Debug (X-B3-Flags: 1) implies accept; otherwise X-B3-Sampled, read leniently (unknown = deferred).
  let state: i32 = -1;
  if (getHeaderRaw(REQ, B3_FLAGS, value)) {
    if (value.len == 1 && load<u8>(value.ptr) == 0x31) state = 2;
    value.release();
  }
  if (state < 0 && getHeaderRaw(REQ, B3_SAMPLED, value)) {
    state = parseB3Sampling(value.ptr, value.len);
    value.release();
  }
  if (state >= 0) applyB3Sampling(state, out);
  // The incoming parent matters only when it is forwarded in a single b3 header.
  if (s.emitB3 && s.mode == Mode.Propagate && getHeaderRaw(REQ, B3_PARENT_SPAN_ID, value)) {
    out.parent = parseB3SpanId(value.ptr, value.len);
    value.release();
  }
  return Parse.Valid;
}

function emitB3Multi(ctx: TraceContext, span: u64, parent: u64, sampled: bool): void {
  replaceHeaderRaw(REQ, B3_TRACE_ID, OUT, writeB3TraceId(OUT, ctx.hi, ctx.lo));
  replaceHeaderRaw(REQ, B3_SPAN_ID, OUT, writeHex64(OUT, span, 16) - OUT);
  if (parent != 0) replaceHeaderRaw(REQ, B3_PARENT_SPAN_ID, OUT, writeHex64(OUT, parent, 16) - OUT);
  else removeHeaderRaw(REQ, B3_PARENT_SPAN_ID);
  store<u8>(OUT, ctx.debug || sampled ? 0x31 : 0x30);
  if (ctx.debug) {
    // Debug is sent as X-B3-Flags: 1 and implies accept, so X-B3-Sampled is left out.
    replaceHeaderRaw(REQ, B3_FLAGS, OUT, 1);
    removeHeaderRaw(REQ, B3_SAMPLED);
  } else {
    replaceHeaderRaw(REQ, B3_SAMPLED, OUT, 1);
    removeHeaderRaw(REQ, B3_FLAGS);
  }
}

registerRootContext((id: u32) => new TraceIdRoot(id), "trace_id");
