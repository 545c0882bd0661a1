// The global half of a request: after the local buckets admitted it, the request pauses while one
// ShouldRateLimit call asks the rate-limit service about every matching global rule's descriptor; the
// answer resumes it, or sends the limited response. Also the response decoration both halves share
// (x-ratelimit-* of the most restrictive rule, the shadow mark, the service's response headers).
import {
  Context, BaseContext, GrpcCallHandler, FilterHeadersStatusValues, FilterDataStatusValues, FilterTrailersStatusValues,
  HeaderPair, HeaderMapTypeValues, LogLevelValues, stream_context, log, logEnabled, serializeHeaders,
  getMonotonicTimeNanoseconds, RawName, RawValue, sendLocalResponseRaw, getStatus, getBufferRawInto, BufferTypeValues,
} from "../../../index";
import { RequestView } from "../../common";
import { secondsCeil } from "../bucket";
import { Settings, HeaderMode } from "../settings";
import { GlobalSettings, GlobalRule, RLS_SERVICE, RLS_METHOD } from "./settings";
import { RequestEncoder, RlsResponse, RlsCode, DescriptorStatus } from "./rls-codec";

const NAME = "rate-limit";
const DETAILS = new RawName("rate_limited");
const DETAILS_ERROR = new RawName("rate_limit_service_error");
const DEADLINE_EXCEEDED: u32 = 4;
// Shared by every request of this VM: encoding and decoding run to completion before the next one.
const ENCODER = new RequestEncoder();
const RESPONSE = new RlsResponse();
const NO_METADATA = serializeHeaders([]);
const NO_HEADERS = serializeHeaders([]);
// Answers land here (a few hundred bytes in practice); a larger one arrives in a heap buffer.
const ANSWER_CAP: usize = 2048;
const ANSWER = memory.data(<i32>ANSWER_CAP);
const ANSWER_RAW = new RawValue();

/** Routes the service's answer to the stream that asked (one handler for all calls: state is per stream). */
class RlsHandler extends GrpcCallHandler {
  onMessage(origin: BaseContext, callId: u32, size: u32): void { (<LimitedStream>origin).globalAnswer(callId, size); }
  onClose(origin: BaseContext, callId: u32, status: u32): void { (<LimitedStream>origin).globalFailed(callId, status); }
}
const HANDLER = new RlsHandler();

/** A rate-limited HTTP stream: what the response carries, and the pending global check. */
export class LimitedStream extends Context {
  // The most restrictive rule seen (fewest left), for x-ratelimit-* on admitted responses ("all").
  protected reportLimit: ArrayBuffer | null = null;
  protected remaining: u64 = 0;
  protected resetMs: u64 = 0;
  /** The shadow rule that would have rejected this request (first one). */
  protected shadowName: string | null = null;
  // Our own local reply passes through onResponseHeaders too: it already has its headers.
  protected rejected: bool = false;
  // The global check in flight: the call, the settings it was made with, the rules it asked about.
  private callId: u32 = 0;
  private callSettings: Settings | null = null;
  private rulesAsked: u64 = 0;
  private startedNs: u64 = 0;
  /** How long the last call took (ms), set when it settles. */
  private elapsedMs: u64 = 0;
  private serviceHeaders: HeaderPair[] | null = null;

  /** Keeps the most restrictive rule (fewest tokens left) for the response headers. */
  protected note(limit: ArrayBuffer, remaining: u64, resetMs: u64): void {
    if (this.reportLimit === null || remaining < this.remaining) {
      this.reportLimit = limit;
      this.remaining = remaining;
      this.resetMs = resetMs;
    }
  }

  /** Sends the configured limited response; `limit` null leaves out the x-ratelimit-* headers. */
  protected reject(s: Settings, limit: ArrayBuffer | null, resetMs: u64, retryMs: u64, body: ArrayBuffer | null = null): FilterHeadersStatusValues {
    const retry = secondsCeil(retryMs);
    const h = s.limitedHeaders!;
    const withLimits = limit !== null && s.headerMode != HeaderMode.None;
    const len = h.build(retry == 0 ? 1 : retry, withLimits, withLimits ? limit! : NO_HEADERS, secondsCeil(resetMs));
    this.rejected = true;
    const b = body !== null ? body : s.body;
    sendLocalResponseRaw(s.status, DETAILS, changetype<usize>(b), b.byteLength, h.ptr, len);
    return FilterHeadersStatusValues.StopIteration;
  }

  /** Response headers the rate-limit service asked for (on admitted and limited responses alike). */
  protected addServiceHeaders(): void {
    const list = this.serviceHeaders;
    if (list === null) return;
    const map = stream_context.headers.response;
    for (let i = 0; i < list.length; i++) map.add(unchecked(list[i]).key, unchecked(list[i]).value);
  }

  /**
   * Asks the service about the global rules that apply to this request (called once the local rules
   * admitted it). Continue when none applies; StopIteration while the call is in flight.
   */
  protected checkGlobal(s: Settings, g: GlobalSettings, view: RequestView): FilterHeadersStatusValues {
    const asked = encodeRequest(g, view);
    if (asked == 0) return FilterHeadersStatusValues.Continue;
    const out = ENCODER.out;
    // Read before the call: the host's deadline timer starts inside it.
    const started = getMonotonicTimeNanoseconds();
    const id = this.root_context.grpcCallRaw(g.cluster, RLS_SERVICE, RLS_METHOD, changetype<usize>(NO_METADATA),
      NO_METADATA.byteLength, out.ptr, out.len, g.timeoutMs, this, HANDLER);
    const m = g.metrics!;
    if (id == 0) {
      // The host refused the call (unknown cluster): a failure like any other, decided now.
      m.error.increment();
      if (logEnabled(LogLevelValues.warn)) log(LogLevelValues.warn, NAME + ": the proxy refused the call to cluster \"" + g.cluster.name + "\"");
      return this.failureMode(s, g);
    }
    this.callId = id;
    this.callSettings = s;
    this.rulesAsked = asked;
    this.startedNs = started;
    return FilterHeadersStatusValues.StopIteration;
  }

  /** The failure mode: admit (fail_open) or answer statusOnError (fail_closed). */
  private failureMode(s: Settings, g: GlobalSettings): FilterHeadersStatusValues {
    const m = g.metrics!;
    if (g.failOpen) { m.failOpen.increment(); return FilterHeadersStatusValues.Continue; }
    m.failClosed.increment();
    this.rejected = true;
    // Not "rate limited": nothing was decided. An empty body, as Envoy's own filter answers.
    sendLocalResponseRaw(g.statusOnError, DETAILS_ERROR, 0, 0, changetype<usize>(NO_HEADERS), NO_HEADERS.byteLength);
    return FilterHeadersStatusValues.StopIteration;
  }

  /** Takes the call off this stream; the settings it was made with, or null if it is not ours. */
  private settle(callId: u32): Settings | null {
    if (callId != this.callId) return null;
    const s = this.callSettings;
    this.callId = 0;
    this.callSettings = null;
    this.elapsedMs = (getMonotonicTimeNanoseconds() - this.startedNs) / 1000000;
    if (s !== null) s.global!.metrics!.latencyMs.record(this.elapsedMs);
    return s;
  }

  /** The service answered (gRPC OK): decide, then resume or reject. */
  globalAnswer(callId: u32, size: u32): void {
    const s = this.settle(callId);
    if (s === null) return;
    const g = s.global!;
    const m = g.metrics!;
    const raw = ANSWER_RAW;
    // An empty message is a valid one (every field at its default): no buffer to read.
    const got = size == 0 || getBufferRawInto(BufferTypeValues.GrpcReceiveBuffer, 0, size, ANSWER, ANSWER_CAP, raw);
    const a = RESPONSE;
    const decoded = got && a.decode(raw.ptr, size == 0 ? 0 : raw.len);
    raw.release();
    if (!decoded) {
      m.error.increment();
      if (logEnabled(LogLevelValues.warn)) {
        log(LogLevelValues.warn, NAME + ": unreadable answer from the rate-limit service: " + (got ? a.problem : "the proxy returned no message"));
      }
      this.resumeAfter(this.failureMode(s, g));
      return;
    }
    if (a.responseHeaders.length) this.serviceHeaders = a.responseHeaders.slice(0);
    if (a.overall == RlsCode.OverLimit) m.overLimit.increment(); else m.ok.increment();

    // statuses[k] answers the k-th descriptor sent, i.e. the k-th rule set in rulesAsked.
    const rules = g.rules;
    const asked = this.rulesAsked;
    let k = 0;
    let limitedBy: GlobalRule | null = null;
    let limitedStatus: DescriptorStatus | null = null;
    for (let i = 0; i < rules.length; i++) {
      if (!(asked & (<u64>1 << <u64>i))) continue;
      const rule = unchecked(rules[i]);
      const rm = rule.metrics!;
      const st: DescriptorStatus | null = k < a.statusCount ? unchecked(a.statuses[k]) : null;
      k++;
      // Without per-descriptor statuses the overall code speaks for every descriptor.
      const over = st !== null ? st.code == RlsCode.OverLimit : a.overall == RlsCode.OverLimit;
      if (st !== null && st.limit > 0) {
        this.note(rule.limitBytes(st.limit), over ? 0 : <u64>st.remaining, st.resetMs);
      }
      if (!over) { rm.allowed.increment(); continue; }
      if (rule.shadow) {
        rm.shadowLimited.increment();
        if (this.shadowName === null) this.shadowName = rule.name;
        continue;
      }
      rm.limited.increment();
      // The limit to report: the one that resets last (retry-after must cover it).
      if (limitedBy === null || (st !== null && (limitedStatus === null || st.resetMs > limitedStatus.resetMs))) {
        limitedBy = rule;
        limitedStatus = st;
      }
    }
    // An OVER_LIMIT answer whose statuses name no enforced descriptor still rejects, unless every
    // descriptor asked about belongs to a shadow rule (Envoy's filter rejects on the overall code).
    if (limitedBy === null && a.overall == RlsCode.OverLimit && a.statusCount < k) {
      for (let i = 0; i < rules.length; i++) {
        if ((asked & (<u64>1 << <u64>i)) && !unchecked(rules[i]).shadow) { limitedBy = unchecked(rules[i]); break; }
      }
    }
    if (limitedBy !== null) {
      const st = limitedStatus;
      const limit: ArrayBuffer | null = st !== null && st.limit > 0 ? limitedBy.limitBytes(st.limit) : null;
      const resetMs = st !== null ? st.resetMs : 0;
      this.reject(s, limit, resetMs, resetMs, a.rawBody);
      return;
    }
    const req = a.requestHeaders;
    if (req.length) {
      const map = stream_context.headers.request;
      for (let i = 0; i < req.length; i++) map.add(unchecked(req[i]).key, unchecked(req[i]).value);
    }
    this.resumeRequest();
  }

  /** The call ended without an answer: timeout, service down, or an error status. */
  globalFailed(callId: u32, status: u32): void {
    const s = this.settle(callId);
    if (s === null) return;
    const g = s.global!;
    const m = g.metrics!;
    // Envoy 1.40 reports its own deadline as UNAVAILABLE with the message of its async client's 504
    // ("upstream request timeout"), not DEADLINE_EXCEEDED; its timer and this clock may also differ
    // by a moment, so a failure at the deadline counts as a timeout too.
    const why = getStatus().message;
    const timedOut = status == DEADLINE_EXCEEDED || why.startsWith("upstream request timeout") || this.elapsedMs + 1 >= <u64>g.timeoutMs;
    if (timedOut) m.timeout.increment(); else m.error.increment();
    if (logEnabled(LogLevelValues.debug)) {
      log(LogLevelValues.debug, NAME + ": rate-limit service call failed after " + this.elapsedMs.toString() + " ms: gRPC status " + status.toString() + " \"" + why + "\"");
    }
    this.resumeAfter(this.failureMode(s, g));
  }

  private resumeAfter(decision: FilterHeadersStatusValues): void {
    if (decision == FilterHeadersStatusValues.Continue) this.resumeRequest();
  }

  // While the call is in flight the body and trailers wait with the headers, under Envoy's watermark
  // flow control (as its own ratelimit filter does).
  onRequestBody(size: usize, endOfStream: bool): FilterDataStatusValues {
    return this.callId != 0 ? FilterDataStatusValues.StopIterationAndWatermark : FilterDataStatusValues.Continue;
  }
  onRequestTrailers(n: u32): FilterTrailersStatusValues {
    return this.callId != 0 ? FilterTrailersStatusValues.StopIteration : FilterTrailersStatusValues.Continue;
  }

  // A client that leaves while the call is in flight: cancel it, its answer has nowhere to go.
  onDelete(): void {
    if (this.callId != 0) {
      this.root_context.cancelCall(this.callId);
      this.callId = 0;
      this.callSettings = null;
    }
  }
}

/**
 * Writes the RateLimitRequest for this request into ENCODER: one descriptor per global rule that
 * matches and has its values. Returns the rules included as bits (0 = none applies, nothing to ask).
 */
function encodeRequest(g: GlobalSettings, view: RequestView): u64 {
  const rules = g.rules;
  let asked: u64 = 0;
  const enc = ENCODER;
  enc.begin(g.domainField);
  for (let i = 0; i < rules.length; i++) {
    const rule = unchecked(rules[i]);
    const match = rule.match;
    if (match !== null && !match.matches(view)) continue;
    if (!rule.countUnknown && !hasAll(rule, view)) continue;
    enc.beginDescriptor();
    const parts = rule.parts;
    for (let j = 0; j < parts.length; j++) {
      const p = unchecked(parts[j]);
      const src = p.source;
      // view.fetch leaves the value at view.ptr/len until the next fetch: copied right away.
      if (src !== null && view.fetch(src) && view.len > 0) enc.entry(p.keyField, view.ptr, <usize>view.len);
      else enc.entry(p.keyField, changetype<usize>(p.fixed), <usize>p.fixed.byteLength); // fixed, or "unknown"
    }
    enc.endDescriptor(rule.hitsAddend);
    asked |= <u64>1 << <u64>i;
  }
  if (asked != 0) enc.finish(g.hitsAddend);
  return asked;
}

// The service ignores a descriptor with an empty value: a missing or empty value skips the rule.
function hasAll(rule: GlobalRule, view: RequestView): bool {
  const parts = rule.parts;
  for (let j = 0; j < parts.length; j++) {
    const src = unchecked(parts[j]).source;
    if (src !== null && (!view.fetch(src) || view.len == 0)) return false;
  }
  return true;
}
