// Traffic tagging (gray / canary lanes): assigns a tag by rules, weights or a default, writes it into a
// routing header and W3C baggage, makes Envoy re-pick the route, and carries an existing tag along the
// call chain (restoring the header from baggage on a sidecar's way out). See README.md.
export * from "../../proxy-core"; // only the callbacks this filter implements (proxy-core.ts says why)
export { proxy_on_request_headers, proxy_on_response_headers } from "../../sdk/dispatcher";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, log, LogLevelValues,
  Counter, taggedName, randomBelow, WasmResultValues, HeaderMapTypeValues,
} from "../../index";
import { RawName, RawValue, getHeaderRaw, replaceHeaderRaw, callForeignRaw } from "../../sdk/rawheaders";
import { RequestView } from "../common/request-view";
import { Condition } from "../common/condition";
import { stickyBucketBytes, BUCKETS } from "../common/hash";
import { TaggingConfig, parseTaggingConfig, isValidTag } from "./config";
import { baggageGet, baggageSet, baggageRemove } from "./baggage";

const BAGGAGE = "baggage";
const BAGGAGE_RAW = new RawName(BAGGAGE);
const CLEAR_ROUTE_CACHE = new RawName("clear_route_cache");
const NO_ARGS: usize = memory.data(8); // a valid address for the empty argument
const REQ = HeaderMapTypeValues.RequestHeaders;

/** A tag the configuration assigns, encoded once: the header value and our lone baggage member. */
class TagOut {
  readonly bytes: ArrayBuffer;
  readonly member: ArrayBuffer;
  constructor(public readonly tag: string, baggageKey: string) {
    this.bytes = String.UTF8.encode(tag);
    this.member = String.UTF8.encode(baggageKey + "=" + tag);
  }
}

/** Reads a request header; decodes a string only when it is there. */
function readHeader(name: RawName, raw: RawValue): string | null {
  if (!getHeaderRaw(REQ, name, raw)) return null;
  const v = raw.toString();
  raw.release();
  return v;
}

class TagMetrics {
  preserved: Counter = new Counter(taggedName("tagging.requests", ["outcome", "preserved"]));
  assigned: Counter = new Counter(taggedName("tagging.requests", ["outcome", "assigned"]));
  defaulted: Counter = new Counter(taggedName("tagging.requests", ["outcome", "default"]));
  untagged: Counter = new Counter(taggedName("tagging.requests", ["outcome", "untagged"]));
  byRule: Counter[] = [];
  byWeight: Counter[] = [];
  byDefault: Counter | null = null;
  // Parallel arrays (a handful of tags): a linear scan is as fast as a map here and links less code.
  preservedTags: string[] = [];
  preservedByTag: Counter[] = [];
  preservedOther: Counter = new Counter(taggedName("tagging.preserved", ["tag", "other"]));
  // Whether Envoy accepted clear_route_cache: a host without the foreign function shows up here.
  routeCleared: Counter = new Counter(taggedName("tagging.route_cache", ["result", "cleared"]));
  routeClearFailed: Counter = new Counter(taggedName("tagging.route_cache", ["result", "failed"]));

  constructor(c: TaggingConfig) {
    for (let i = 0; i < c.rules.length; i++) {
      this.byRule.push(new Counter(taggedName("tagging.tagged", ["tag", c.rules[i].tag, "rule", c.rules[i].name])));
    }
    for (let i = 0; i < c.weights.length; i++) {
      this.byWeight.push(new Counter(taggedName("tagging.tagged", ["tag", c.weights[i].tag, "rule", "weights"])));
    }
    if (c.defaultTag.length) this.byDefault = new Counter(taggedName("tagging.tagged", ["tag", c.defaultTag, "rule", "defaultTag"]));
    for (let i = 0; i < c.tags.length; i++) {
      this.preservedTags.push(c.tags[i]);
      this.preservedByTag.push(new Counter(taggedName("tagging.preserved", ["tag", c.tags[i]])));
    }
  }

  countPreserved(tag: string): void {
    this.preserved.increment();
    // Incoming tags are arbitrary: only configured tags get their own stat, so cardinality stays bounded.
    const i = this.preservedTags.indexOf(tag);
    if (i >= 0) unchecked(this.preservedByTag[i]).increment();
    else this.preservedOther.increment();
  }
}

class TaggingRoot extends RootContext {
  config: TaggingConfig = new TaggingConfig();
  metrics: TagMetrics | null = null;
  view: RequestView = new RequestView();
  // Per configured tag (c.tags order) its encoded forms; rules, weights and the default as indices into it.
  outs: TagOut[] = [];
  ruleTag: StaticArray<i32> = new StaticArray<i32>(0);
  matchers: StaticArray<Condition> = new StaticArray<Condition>(0);
  weightTag: StaticArray<i32> = new StaticArray<i32>(0);
  defaultTag: i32 = -1;
  headerRaw: RawName = new RawName("");
  readonly raw: RawValue = new RawValue();

  onConfigure(size: usize): bool {
    super.onConfigure(size);
    const c = parseTaggingConfig(this.getConfiguration());
    if (c.error.length) {
      log(LogLevelValues.error, "tagging: " + c.error);
      return false;
    }
    this.config = c;
    this.metrics = new TagMetrics(c);
    this.view = new RequestView(); // sized for the sources this configuration interned
    const outs = new Array<TagOut>();
    for (let i = 0; i < c.tags.length; i++) outs.push(new TagOut(c.tags[i], c.baggageKey));
    this.outs = outs;
    this.ruleTag = new StaticArray<i32>(c.rules.length);
    this.matchers = new StaticArray<Condition>(c.rules.length);
    for (let i = 0; i < c.rules.length; i++) {
      this.ruleTag[i] = c.tags.indexOf(c.rules[i].tag);
      this.matchers[i] = c.rules[i].match;
    }
    this.weightTag = new StaticArray<i32>(c.weights.length);
    for (let i = 0; i < c.weights.length; i++) this.weightTag[i] = c.tags.indexOf(c.weights[i].tag);
    this.defaultTag = c.defaultTag.length ? c.tags.indexOf(c.defaultTag) : -1;
    this.headerRaw = new RawName(c.header);
    return true;
  }

  createContext(id: u32): Context { return new Tagging(id, this); }

  /** The tag this request gets from rules, weights or the default (its index in outs; -1: none), counting the outcome. */
  decide(): i32 {
    const c = this.config;
    const m = this.metrics!;
    const view = this.view;
    view.reset();
    const matchers = this.matchers;
    for (let i = 0, n = matchers.length; i < n; i++) {
      if (unchecked(matchers[i]).matches(view)) {
        m.assigned.increment();
        unchecked(m.byRule[i]).increment();
        return unchecked(this.ruleTag[i]);
      }
    }
    const weights = c.weights;
    if (weights.length) {
      let bucket: u32 = BUCKETS; // no key value: no weighted tag
      const key = c.weightKey;
      if (key === null) bucket = <u32>randomBelow(BUCKETS);
      else {
        if (view.fetch(key)) bucket = stickyBucketBytes(view.ptr, view.len, c.weightSaltHash);
      }
      for (let i = 0; i < weights.length; i++) {
        const w = unchecked(weights[i]);
        if (bucket >= w.from && bucket < w.to) {
          m.assigned.increment();
          unchecked(m.byWeight[i]).increment();
          return unchecked(this.weightTag[i]);
        }
      }
    }
    if (c.defaultTag.length) {
      m.defaulted.increment();
      m.byDefault!.increment();
      return this.defaultTag;
    }
    m.untagged.increment();
    return -1;
  }
}

class Tagging extends Context {
  private tag: string | null = null;

  constructor(id: u32, private root: TaggingRoot) { super(id, root); }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root;
    if (root.metrics === null) return FilterHeadersStatusValues.Continue;
    const c = root.config;
    const req = stream_context.headers.request;

    // An incoming tag: the routing header first (it is what routing sees), else baggage.
    const headerValue = readHeader(root.headerRaw, root.raw);
    const headerTag = headerValue !== null && isValidTag(headerValue) ? headerValue : null;
    const baggage = c.baggageKey.length ? readHeader(BAGGAGE_RAW, root.raw) : null;
    let baggageTag: string | null = baggage !== null ? baggageGet(baggage, c.baggageKey) : null;
    if (baggageTag !== null && !isValidTag(baggageTag)) baggageTag = null;
    const incoming = headerTag !== null ? headerTag : baggageTag;

    let tag: string | null = null;
    let out: TagOut | null = null; // a configured tag: written from its pre-encoded bytes
    if (incoming !== null && !c.overrideIncoming) {
      tag = incoming;
      root.metrics!.countPreserved(incoming);
    } else {
      const k = root.decide();
      if (k >= 0) { out = unchecked(root.outs[k]); tag = out.tag; }
    }

    let routeChanged = false;
    if (tag !== null) {
      if (headerValue === null || headerValue != tag) {
        if (out !== null) replaceHeaderRaw(REQ, root.headerRaw, changetype<usize>(out.bytes), out.bytes.byteLength);
        else req.replace(c.header, tag);
        routeChanged = true;
      }
      if (c.baggageKey.length && (baggageTag === null || baggageTag != tag)) {
        if (baggage === null && out !== null) replaceHeaderRaw(REQ, BAGGAGE_RAW, changetype<usize>(out.member), out.member.byteLength);
        else req.replace(BAGGAGE, baggageSet(baggage, c.baggageKey, tag, c.baggageMaxBytes, c.baggageMaxMembers));
      }
    } else if (c.overrideIncoming) {
      // The edge decides alone: a client-supplied lane it did not confirm is removed.
      if (headerValue !== null) { req.remove(c.header); routeChanged = true; }
      if (baggage !== null && baggageTag !== null) {
        const rest = baggageRemove(baggage, c.baggageKey);
        if (rest.length) req.replace(BAGGAGE, rest); else req.remove(BAGGAGE);
      }
    }
    // Envoy picked the route before this filter ran and no longer re-picks it on header edits.
    if (routeChanged && c.clearRouteCache) {
      if (callForeignRaw(CLEAR_ROUTE_CACHE, NO_ARGS, 0) == WasmResultValues.Ok) root.metrics!.routeCleared.increment();
      else root.metrics!.routeClearFailed.increment();
    }
    if (c.responseHeader.length) this.tag = tag;
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const tag = this.tag;
    if (tag !== null) stream_context.headers.response.replace(this.root.config.responseHeader, tag);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((id: u32) => new TaggingRoot(id), "tagging");
