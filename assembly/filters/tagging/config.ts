// The tagging filter's configuration: parsed and checked once; every error names the field.
import { ConfigObject, parseConfig, isHeaderName, fmt } from "../../sdk/config";
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
    cfg.fail(key, "\"" + tag + "\" is not a valid tag (1–64 characters: letters, digits, '-', '_', '.', '~')");
  }
  return tag;
}

export function parseTaggingConfig(text: string): TaggingConfig {
  const out = new TaggingConfig();
  const cfg = parseConfig(text);
  if (!cfg.ok()) { out.error = cfg.error(); return out; }

  out.header = cfg.headerName("header", "x-mesh-tag");
  if (out.header.length == 0 && cfg.ok()) cfg.fail("header", "must not be empty");
  if (out.header == "baggage") cfg.fail("header", "must not be the baggage header");
  out.baggageKey = cfg.str("baggageKey", "mesh-tag");
  if (out.baggageKey.length && !isHeaderName(out.baggageKey)) {
    cfg.fail("baggageKey", "\"" + out.baggageKey + "\" is not a valid baggage key (an RFC 9110 token)");
  }
  out.overrideIncoming = cfg.bool("override", false);
  out.clearRouteCache = cfg.bool("clearRouteCache", true);
  out.responseHeader = cfg.headerName("responseHeader", "");
  out.defaultTag = readTag(cfg, "defaultTag", false);
  if (out.defaultTag.length) out.noteTag(out.defaultTag);
  out.baggageMaxBytes = <i32>cfg.int("baggageMaxBytes", DEFAULT_MAX_BYTES, 256, 65536);
  out.baggageMaxMembers = <i32>cfg.int("baggageMaxMembers", DEFAULT_MAX_MEMBERS, 64, 1024);
  if (!cfg.ok()) { out.error = cfg.error(); return out; }

  const rules = cfg.arr("rules");
  if (rules !== null) {
    for (let i = 0; i < rules.length && cfg.ok(); i++) {
      const r = rules.obj(i);
      if (r === null) break;
      const name = r.str("name", "rule" + i.toString());
      if (name.length == 0) { r.fail("name", "must not be empty"); break; }
      if (name == "weights" || name == "defaultTag") { r.fail("name", "\"" + name + "\" is reserved (metrics use it)"); break; }
      const tag = readTag(r, "tag", true);
      if (!cfg.ok()) break;
      if (!r.has("match")) { r.fail("match", "is required (a condition; use defaultTag for a catch-all)"); break; }
      const m = r.obj("match");
      if (m === null) break;
      const cond = parseCondition(m);
      if (cond === null || !r.rejectUnknown()) break;
      for (let k = 0; k < out.rules.length; k++) {
        if (out.rules[k].name == name) { r.fail("name", "\"" + name + "\" is already used by rules[" + k.toString() + "]"); break; }
      }
      out.rules.push(new Rule(name, tag, cond));
      out.noteTag(tag);
    }
  }
  if (!cfg.ok()) { out.error = cfg.error(); return out; }

  const weights = cfg.arr("weights");
  if (weights !== null) {
    let total: u32 = 0;
    let sum: f64 = 0;
    for (let i = 0; i < weights.length && cfg.ok(); i++) {
      const w = weights.obj(i);
      if (w === null) break;
      const tag = readTag(w, "tag", true);
      if (!w.has("percent") && cfg.ok()) { w.fail("percent", "is required"); break; }
      const percent = w.num("percent", 0, 0, 100);
      if (!cfg.ok() || !w.rejectUnknown()) break;
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
  if (key !== null && cfg.ok()) {
    out.weightKey = parseSource(key);
    out.weightSalt = key.str("salt", "");
    out.weightSaltHash = fnv1a64(out.weightSalt);
    if (cfg.ok()) key.rejectUnknown();
    if (cfg.ok() && out.weights.length == 0) cfg.fail("weightKey", "is only used with weights");
  }
  if (cfg.ok()) cfg.rejectUnknown();
  out.error = cfg.error();
  return out;
}

function fmtPercent(n: f64): string { return fmt(Math.round(n * 100) / 100); }
