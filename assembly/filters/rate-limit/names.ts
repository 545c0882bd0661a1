// Rule names go into shared-data keys and metric names: keep them plain.
import { quoteExcerpt } from "../../sdk/config";

/** 1–64 letters, digits, `_` or `-`. */
export function isName(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x5f || c == 0x2d)) return false;
  }
  return true;
}

export function nameRule(s: string): string {
  return quoteExcerpt(s) + " must be 1–64 letters, digits, _ or -";
}
