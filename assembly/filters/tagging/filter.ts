// Traffic tagging (gray / canary lanes): assigns a tag by rules, weights or a default, writes it into a
// routing header and W3C baggage, makes Envoy re-pick the route, and carries an existing tag along the
// call chain (restoring the header from baggage on a sidecar's way out). Incoming headers are judged
// as bytes on every line they arrive on; see README.md ("Hostile input").
import {
  RootContext, Context, FilterHeadersStatusValues, stream_context, log, LogLevelValues,
  Counter, taggedName, randomBelow, WasmResultValues, HeaderMapTypeValues,
} from "../../index";
import { RawName, replaceHeaderRaw, removeHeaderRaw, callForeignRaw } from "../../sdk/rawheaders";
import { RequestView } from "../common/request-view";
import { Condition } from "../common/condition";
import { stickyBucketBytes, BUCKETS } from "../common/hash";
import { TaggingConfig, parseTaggingConfig, MAX_TAG_LENGTH } from "./config";
import { ByteOut, baggageFind, baggageWrite, percentDecodeInto, foundValueStart, foundValueEnd } from "./baggage";
import { isTagBytes } from "./tag";

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

export class TaggingRoot extends RootContext {
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
  baggageKeyRaw: RawName = new RawName("");
  // Per-request scratch, reused: several baggage lines joined, a decoded tag, a rewritten baggage.
  readonly joined: ByteOut = new ByteOut(1024);
  readonly decoded: ByteOut = new ByteOut(3 * MAX_TAG_LENGTH);
  readonly written: ByteOut = new ByteOut(1024);

  configure(configuration: string): bool {
    super.configure(configuration);
    const c = parseTaggingConfig(configuration);
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
    this.baggageKeyRaw = new RawName(c.baggageKey);
    return true;
  }

  /** Index in outs of the configured tag whose bytes are the `n` bytes at `p`, or -1. */
  outIndex(p: usize, n: i32): i32 {
    const outs = this.outs;
    for (let i = 0; i < outs.length; i++) {
      const b = unchecked(outs[i]).bytes;
      if (b.byteLength == n && memory.compare(changetype<usize>(b), p, <usize>n) == 0) return i;
    }
    return -1;
  }

  createContext(id: u32): Context { return new Tagging(id, this); }

  /** The tag this request gets from rules, weights or the default (its index in outs; -1: none), counting the outcome. */
  decide(): i32 {
    const c = this.config;
    const m = this.metrics!;
    const view = this.view; // reset by the caller, which has read the header lines into it
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
    const view = root.view;
    view.reset();
    // Every header line with one host call: the routing header and baggage are judged on all their
    // lines (Envoy's get returns only the first, while a route may match any), and the rules read the same map.
    const lines = view.headerLines();
    if (lines === null) return FilterHeadersStatusValues.Continue; // no request headers in this callback

    // The routing header: a tag only when it is one line holding a valid tag, compared as bytes.
    const hFirst = lines.find(root.headerRaw);
    const hLines = hFirst < 0 ? 0 : lines.find(root.headerRaw, hFirst + 1) < 0 ? 1 : 2;
    let headerTag: string | null = null;
    let headerOut = -1; // the configured tag the header holds (its index in outs), or -1
    if (hLines == 1) {
      const p = lines.valuePtr(hFirst), n = <i32>lines.valueLen(hFirst);
      if (isTagBytes(p, n)) {
        headerOut = root.outIndex(p, n);
        headerTag = headerOut >= 0 ? unchecked(root.outs[headerOut]).tag : String.UTF8.decodeUnsafe(p, <usize>n);
      }
    }

    // Baggage: every line, one list (W3C Baggage); our key must appear once and hold a valid tag.
    let bagPtr: usize = 0, bagLen = 0, bagLines = 0, ours = 0;
    let baggageTag: string | null = null;
    if (c.baggageKey.length) {
      const first = lines.find(BAGGAGE_RAW);
      if (first >= 0) {
        bagLines = 1;
        bagPtr = lines.valuePtr(first);
        bagLen = <i32>lines.valueLen(first);
        let next = lines.find(BAGGAGE_RAW, first + 1);
        if (next >= 0) { // several lines: joined with "," as one list
          const joined = root.joined;
          joined.reset();
          joined.append(bagPtr, bagLen);
          for (; next >= 0; next = lines.find(BAGGAGE_RAW, next + 1)) {
            joined.byte(0x2c);
            joined.append(lines.valuePtr(next), <i32>lines.valueLen(next));
            bagLines++;
          }
          bagPtr = joined.ptr;
          bagLen = joined.len;
        }
        const key = root.baggageKeyRaw;
        ours = baggageFind(bagPtr, bagLen, key.ptr, <i32>key.len);
        if (ours == 1 && foundValueEnd - foundValueStart <= 3 * MAX_TAG_LENGTH) {
          const dec = root.decoded;
          percentDecodeInto(bagPtr, foundValueStart, foundValueEnd, dec);
          if (isTagBytes(dec.ptr, dec.len)) {
            const k = root.outIndex(dec.ptr, dec.len);
            baggageTag = k >= 0 ? unchecked(root.outs[k]).tag : dec.toString();
          }
        }
      }
    }
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
      // The header ends up as exactly one line with the tag, so the route and this filter agree
      // (replace leaves one line of a repeated header: Envoy 1.40 and the test host both; the e2e test pins it).
      if (hLines != 1 || headerTag === null || headerTag != tag) {
        const bytes = out !== null ? out.bytes : String.UTF8.encode(tag);
        replaceHeaderRaw(REQ, root.headerRaw, changetype<usize>(bytes), bytes.byteLength);
        routeChanged = true;
      }
      if (c.baggageKey.length && (baggageTag === null || baggageTag != tag)) {
        const member = out !== null ? out.member : String.UTF8.encode(c.baggageKey + "=" + tag);
        if (bagLines == 0) {
          replaceHeaderRaw(REQ, BAGGAGE_RAW, changetype<usize>(member), member.byteLength);
        } else {
          const key = root.baggageKeyRaw;
          const w = root.written;
          baggageWrite(bagPtr, bagLen, key.ptr, <i32>key.len, changetype<usize>(member), member.byteLength,
            c.baggageMaxBytes, c.baggageMaxMembers, w);
          replaceHeaderRaw(REQ, BAGGAGE_RAW, w.ptr, <usize>w.len);
        }
      }
    } else {
      // No tag: a routing header this filter did not accept (repeated, or not a valid tag) goes, so
      // routing cannot act on it; with override, a client-supplied lane it did not confirm goes too.
      if (hLines > 0 && (c.overrideIncoming || headerTag === null)) {
        removeHeaderRaw(REQ, root.headerRaw);
        routeChanged = true;
      }
      if (c.overrideIncoming && ours > 0) {
        const key = root.baggageKeyRaw;
        const w = root.written;
        baggageWrite(bagPtr, bagLen, key.ptr, <i32>key.len, 0, 0, i32.MAX_VALUE, i32.MAX_VALUE, w);
        if (w.len) replaceHeaderRaw(REQ, BAGGAGE_RAW, w.ptr, <usize>w.len);
        else removeHeaderRaw(REQ, BAGGAGE_RAW);
      }
    }
    view.release();
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
