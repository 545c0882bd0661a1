// Traffic tagging (gray / canary lanes): assigns a tag by rules, weights or a default, writes it into a
// routing header and W3C baggage, makes Envoy re-pick the route, and carries an existing tag along the
// call chain (restoring the header from baggage on a sidecar's way out). See README.md.
export * from "../../proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, log, LogLevelValues,
  Counter, taggedName, clearRouteCache, randomBelow, WasmResultValues,
} from "../../index";
import { RequestView } from "../common/request-view";
import { stickyBucket, BUCKETS } from "../common/hash";
import { TaggingConfig, parseTaggingConfig, isValidTag } from "./config";
import { baggageGet, baggageSet, baggageRemove } from "./baggage";

const BAGGAGE = "baggage";

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
    return true;
  }

  createContext(id: u32): Context { return new Tagging(id, this); }

  /** The tag this request gets from rules, weights or the default (null: none), counting the outcome. */
  decide(): string | null {
    const c = this.config;
    const m = this.metrics!;
    const view = this.view;
    view.reset();
    const rules = c.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = unchecked(rules[i]);
      if (r.match.matches(view)) {
        m.assigned.increment();
        unchecked(m.byRule[i]).increment();
        return r.tag;
      }
    }
    const weights = c.weights;
    if (weights.length) {
      let bucket: u32 = BUCKETS; // no key value: no weighted tag
      const key = c.weightKey;
      if (key === null) bucket = <u32>randomBelow(BUCKETS);
      else {
        const v = key.read(view);
        if (v !== null) bucket = stickyBucket(v, c.weightSalt);
      }
      for (let i = 0; i < weights.length; i++) {
        const w = unchecked(weights[i]);
        if (bucket >= w.from && bucket < w.to) {
          m.assigned.increment();
          unchecked(m.byWeight[i]).increment();
          return w.tag;
        }
      }
    }
    if (c.defaultTag.length) {
      m.defaulted.increment();
      m.byDefault!.increment();
      return c.defaultTag;
    }
    m.untagged.increment();
    return null;
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
    const headerValue = req.getOrNull(c.header);
    const headerTag = headerValue !== null && isValidTag(headerValue) ? headerValue : null;
    const baggage = c.baggageKey.length ? req.getOrNull(BAGGAGE) : null;
    let baggageTag: string | null = baggage !== null ? baggageGet(baggage, c.baggageKey) : null;
    if (baggageTag !== null && !isValidTag(baggageTag)) baggageTag = null;
    const incoming = headerTag !== null ? headerTag : baggageTag;

    let tag: string | null;
    if (incoming !== null && !c.overrideIncoming) {
      tag = incoming;
      root.metrics!.countPreserved(tag);
    } else {
      tag = root.decide();
    }

    let routeChanged = false;
    if (tag !== null) {
      if (headerValue === null || headerValue != tag) { req.replace(c.header, tag); routeChanged = true; }
      if (c.baggageKey.length && (baggageTag === null || baggageTag != tag)) {
        req.replace(BAGGAGE, baggageSet(baggage, c.baggageKey, tag, c.baggageMaxBytes, c.baggageMaxMembers));
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
      if (clearRouteCache() == WasmResultValues.Ok) root.metrics!.routeCleared.increment();
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
