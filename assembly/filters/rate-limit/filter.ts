// rate-limit: token buckets per rule and key, exact across Envoy workers, in bounded memory.
// See README.md in this folder for the configuration, the memory bound and the metrics.
import {
  RootContext, Context, FilterHeadersStatusValues, LogLevelValues, stream_context,
  log, parseConfig, getPluginName, getMonotonicTimeNanoseconds, HeaderMapTypeValues,
} from "../../index";
import { RawName, replaceHeaderRaw } from "../../sdk/rawheaders";
import { RequestView } from "../common";
import { TakeResult, secondsCeil } from "./bucket";
import { writeDigits } from "./response";
import { SlotOutcome } from "./slots";
import { Settings, HeaderMode, parseSettings, defineMetrics } from "./settings";
import { LimitedStream } from "./global/stream";

const NAME = "rate-limit";
const H_LIMIT = new RawName("x-ratelimit-limit");
const H_REMAINING = new RawName("x-ratelimit-remaining");
const H_RESET = new RawName("x-ratelimit-reset");
// Digits of a header value, written in place (no per-request strings).
const DIGITS = memory.data(24);

export class RateLimitRoot extends RootContext {
  settings: Settings | null = null;
  // One view and one result, reused by every request of this VM (requests run one at a time).
  readonly view: RequestView = new RequestView();
  readonly result: TakeResult = new TakeResult();

  configure(configuration: string): bool {
    super.configure(configuration);
    const cfg = parseConfig(configuration);
    const s = cfg.ok() ? parseSettings(cfg, getPluginName()) : null;
    if (s === null) {
      const why = cfg.error();
      log(LogLevelValues.error, NAME + ": " + (why.length ? why : "invalid configuration"));
      return false;
    }
    // Create every slot now: creating them during traffic could lose a first update (no atomic
    // create-if-absent in the ABI). Existing slots keep their buckets across reconfigurations.
    for (let i = 0; i < s.rules.length; i++) {
      if (!s.rules[i].store.ensure()) {
        log(LogLevelValues.error, NAME + ": rules[" + i.toString() + "]: could not create shared data for \"" + s.rules[i].name + "\"");
        return false;
      }
    }
    defineMetrics(s);
    this.settings = s; // the next request uses the new limits
    return true;
  }

  createContext(id: u32): Context { return new RateLimit(id, this); }
}

// LimitedStream: the response decoration and the global check (global/stream.ts).
class RateLimit extends LimitedStream {
  constructor(id: u32, private root: RateLimitRoot) { super(id, root); }

  onRequestHeaders(n: u32, endOfStream: bool): FilterHeadersStatusValues {
    const s = this.root.settings;
    if (s === null) return FilterHeadersStatusValues.Continue;
    const view = this.root.view;
    view.reset();
    const out = this.root.result;
    const rules = s.rules;
    let nowMs: u64 = 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = unchecked(rules[i]);
      const match = rule.match;
      if (match !== null && !match.matches(view)) continue;
      const h = rule.keyHash(view);
      if (h == 0) continue;
      if (nowMs == 0) nowMs = getMonotonicTimeNanoseconds() / 1000000 + 1; // +1: 0 means "not read"
      const store = rule.store;
      const outcome = store.take(h, rule.limits, nowMs, s.casAttempts, out);
      const m = rule.metrics!;
      if (store.evicted) m.evicted.increment();
      if (outcome != SlotOutcome.Decided) {
        // A shadow rule never rejects, not even when its bucket cannot be updated.
        if (s.failOpen || rule.shadow) { m.failOpen.increment(); continue; }
        m.failClosed.increment();
        return this.reject(s, rule.limitBytes, 0, 1000);
      }
      if (out.admitted) {
        m.allowed.increment();
        this.note(rule.limitBytes, out.remaining, out.resetMs);
        continue;
      }
      if (rule.shadow) {
        m.shadowLimited.increment();
        if (this.shadowName === null) this.shadowName = rule.name;
        this.note(rule.limitBytes, 0, out.resetMs);
        continue;
      }
      m.limited.increment();
      return this.reject(s, rule.limitBytes, out.resetMs, out.retryMs);
    }
    const g = s.global;
    return g !== null ? this.checkGlobal(s, g, view) : FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(n: u32, endOfStream: bool): FilterHeadersStatusValues {
    const s = this.root.settings;
    if (s === null) return FilterHeadersStatusValues.Continue;
    this.addServiceHeaders();
    if (this.rejected) return FilterHeadersStatusValues.Continue;
    const limit = this.reportLimit;
    const shadow = this.shadowName;
    // Limit headers go on every response ("all"), or on those a rule limited or would have limited.
    if (limit !== null && (s.headerMode == HeaderMode.All || (s.headerMode == HeaderMode.Limited && shadow !== null))) {
      const map = HeaderMapTypeValues.ResponseHeaders;
      replaceHeaderRaw(map, H_LIMIT, changetype<usize>(limit), limit.byteLength);
      replaceHeaderRaw(map, H_REMAINING, DIGITS, writeDigits(DIGITS, this.remaining));
      replaceHeaderRaw(map, H_RESET, DIGITS, writeDigits(DIGITS, secondsCeil(this.resetMs)));
    }
    if (shadow !== null && s.shadowHeader.length) stream_context.headers.response.replace(s.shadowHeader, shadow);
    return FilterHeadersStatusValues.Continue;
  }
}
