// The tagging filter's configuration: parsed and checked once; every error names the field.
import { ConfigObject, parseConfig, isHeaderName, quoteExcerpt, fmt } from "../../sdk/config";
import { Condition, parseCondition } from "../common/condition";
import { Source, parseSource } from "../common/source";
import { percentToBuckets, fnv1a64, BUCKETS } from "../common/hash";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS } from "./baggage";

export const MAX_TAG_LENGTH = 64;

export class Rule {
  constructor(public name: string, public tag: string, public match: Condition) {}
}

export class Weight {
  /** Buckets [from, to) of 10000 go to `tag`. */
  constructor(public tag: string, public from: u32, public to: u32) {}
}

export class TaggingConfig {
  header: string = "x-mesh-tag";
  baggageKey: string = "mesh-tag";
  overrideIncoming: bool = false;
  clearRouteCache: bool = true;
  responseHeader: string = "";
  defaultTag: string = "";
  rules: Rule[] = [];
  weights: Weight[] = [];
  weightKey: Source | null = null;
  weightSalt: string = "";
  /** fnv1a64(weightSalt), for sticky buckets over the key's bytes. */
  weightSaltHash: u64 = fnv1a64("");
  baggageMaxBytes: i32 = DEFAULT_MAX_BYTES;
  baggageMaxMembers: i32 = DEFAULT_MAX_MEMBERS;
  /** Every tag the configuration can assign (metrics are defined for these). */
  tags: string[] = [];
  /** Empty when the configuration is valid. */
  error: string = "";

  noteTag(tag: string): void { if (!this.tags.includes(tag)) this.tags.push(tag); }
}

/** Tags are 1–64 RFC 3986 unreserved characters: safe in headers, baggage values and stat names unchanged. */
export function isValidTag(s: string): bool {
  const n = s.length;
  if (n == 0 || n > MAX_TAG_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
      c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
    if (!ok) return false;
  }
  return true;
}

function readTag(cfg: ConfigObject, key: string, required: bool): string {
  const tag = required ? cfg.requiredStr(key) : cfg.str(key, "");
  if (tag.length && !isValidTag(tag)) {
    cfg.fail(key, quoteExcerpt(tag) + " is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~')");
  }
  return tag;
}

/** Most rules (evaluated in order per request; names are checked pairwise at configure time). */
export const MAX_RULES: i32 = 1000;
/** Most weighted splits. */
export const MAX_WEIGHTS: i32 = 100;

const FIELDS: string[] = [
  "header", "baggageKey", "override", "clearRouteCache", "responseHeader", "defaultTag", "baggageMaxBytes",
  "baggageMaxMembers", "rules", "weights", "weightKey",
];
const RULE_FIELDS: string[] = ["name", "tag", "match"];
const WEIGHT_FIELDS: string[] = ["tag", "percent"];
const WEIGHT_KEY_FIELDS: string[] = ["source", "name", "salt"];

/**
 * Reads and checks the whole configuration. Every problem is reported (up to the SDK's bound), each
 * with its field path; `error` is empty when the configuration is valid.
 */
export function parseTaggingConfig(text: string): TaggingConfig {
  const out = new TaggingConfig();
  const cfg = parseConfig(text);
  if (!cfg.ok()) { out.error = cfg.error(); return out; }
  cfg.allowOnly(FIELDS);

  out.header = cfg.headerName("header", "x-mesh-tag");
  if (out.header.length == 0) cfg.fail("header", "must not be empty");
  if (out.header == "baggage") cfg.fail("header", "must not be the baggage header");
  out.baggageKey = cfg.str("baggageKey", "mesh-tag");
  if (out.baggageKey.length && !isHeaderName(out.baggageKey)) {
    cfg.fail("baggageKey", quoteExcerpt(out.baggageKey) + " is not a valid baggage key (an RFC 9110 token)");
  }
  out.overrideIncoming = cfg.bool("override", false);
  out.clearRouteCache = cfg.bool("clearRouteCache", true);
  out.responseHeader = cfg.headerName("responseHeader", "");
  out.defaultTag = readTag(cfg, "defaultTag", false);
  if (out.defaultTag.length) out.noteTag(out.defaultTag);
  out.baggageMaxBytes = <i32>cfg.int("baggageMaxBytes", DEFAULT_MAX_BYTES, 256, 65536);
  out.baggageMaxMembers = <i32>cfg.int("baggageMaxMembers", DEFAULT_MAX_MEMBERS, 64, 1024);

  const rules = cfg.arr("rules", MAX_RULES);
  if (rules !== null) {
    for (let i = 0; i < rules.length; i++) {
      const r = rules.obj(i);
      if (r === null) continue; // recorded; go on to the next rule's problems
      r.allowOnly(RULE_FIELDS);
      const name = r.str("name", "rule" + i.toString());
      if (name.length == 0) r.fail("name", "must not be empty");
      if (name == "weights" || name == "defaultTag") r.fail("name", "\"" + name + "\" is reserved (metrics use it)");
      for (let k = 0; k < out.rules.length; k++) {
        if (out.rules[k].name == name) { r.fail("name", quoteExcerpt(name) + " is already used by rules[" + k.toString() + "]"); break; }
      }
      const tag = readTag(r, "tag", true);
      if (!r.has("match")) { r.fail("match", "is required (a condition; use defaultTag for a catch-all)"); continue; }
      const m = r.obj("match"); // null (or another non-object) is refused by the reader, naming the rule
      if (m === null) continue;
      const cond = parseCondition(m);
      if (cond === null || !r.ok()) continue;
      out.rules.push(new Rule(name, tag, cond));
      out.noteTag(tag);
    }
  }

  const weights = cfg.arr("weights", MAX_WEIGHTS);
  if (weights !== null) {
    let total: u32 = 0;
    let sum: f64 = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights.obj(i);
      if (w === null) continue;
      w.allowOnly(WEIGHT_FIELDS);
      const tag = readTag(w, "tag", true);
      if (!w.has("percent")) { w.fail("percent", "is required"); continue; }
      const percent = w.num("percent", 0, 0, 100);
      if (!w.ok()) continue;
      sum += percent;
      const width = percentToBuckets(percent);
      if (total + width > BUCKETS) {
        weights.fail(i, "percent values add up to " + fmtPercent(sum) + " (must be at most 100)");
        break;
      }
      out.weights.push(new Weight(tag, total, total + width));
      total += width;
      out.noteTag(tag);
    }
  }
  const key = cfg.obj("weightKey");
  if (key !== null) {
    key.allowOnly(WEIGHT_KEY_FIELDS);
    out.weightKey = parseSource(key);
    out.weightSalt = key.str("salt", "");
    out.weightSaltHash = fnv1a64(out.weightSalt);
    if (!cfg.has("weights") || (weights !== null && weights.length == 0)) cfg.fail("weightKey", "is only used with weights");
  }
  out.error = cfg.error();
  if (out.error.length == 0 && !cfg.ok()) out.error = "invalid configuration";
  return out;
}

function fmtPercent(n: f64): string { return fmt(Math.round(n * 100) / 100); }
