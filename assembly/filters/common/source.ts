// Where a condition (or a rate-limit key part) takes its value from: a header, cookie, query
// parameter, the path, method, authority, the downstream IP, or an Envoy property. Sources are
// interned: the same source configured twice is one object with one cache slot per request.
import { ConfigObject } from "../../sdk/config";
import { addressHost } from "../../sdk/properties";
import { RequestView } from "./request-view";

export const enum SourceKind { Header, Cookie, Query, Path, Method, Authority, SourceIp, Property }

export const SOURCE_NAMES: string[] = ["header", "cookie", "query", "path", "method", "authority", "sourceIp", "property"];

// Envoy serializes these properties as 8-byte little-endian integers (or a 1-byte bool); the rest as text.
const INT_PROPERTIES: string[] = [
  "source.port", "destination.port", "upstream.port", "connection.id", "request.size", "request.total_size",
  "request.duration", "request.time", "response.code", "response.size", "response.total_size", "response.flags",
  "response.grpc_status",
];
const BOOL_PROPERTIES: string[] = ["connection.mtls"];

const enum PropType { Text, Int, Bool }

export class Source {
  constructor(
    public readonly kind: SourceKind,
    /** Header name (lower-case), cookie or query parameter name, or property path ("source.port"). */
    public readonly name: string,
    /** This source's cache slot in a RequestView. */
    public readonly slot: i32,
    private readonly propPath: string,
    private readonly propType: PropType,
  ) {}

  /** The value for this request, or null when absent. */
  read(view: RequestView): string | null { return view.value(this); }

  /** A label for messages: `header "x-user"`, `path`. */
  describe(): string {
    const k = SOURCE_NAMES[<i32>this.kind];
    return this.name.length ? k + " \"" + this.name + "\"" : k;
  }

  /** Reads the value from the view's provider (uncached: use read()). */
  compute(view: RequestView): string | null {
    switch (this.kind) {
      case SourceKind.Header: return view.provider.header(this.name);
      case SourceKind.Method: return view.provider.header(":method");
      case SourceKind.Authority: return view.provider.header(":authority");
      case SourceKind.Cookie: {
        const c = view.value(COOKIE_HEADER);
        return c === null ? null : cookieValue(c, this.name);
      }
      case SourceKind.Query: {
        const p = view.value(RAW_PATH);
        return p === null ? null : queryValue(p, this.name);
      }
      case SourceKind.Path: {
        const p = view.value(RAW_PATH);
        if (p === null) return null;
        const q = p.indexOf("?");
        return q < 0 ? p : p.substring(0, q);
      }
      case SourceKind.SourceIp: {
        const b = view.provider.property("source\0address");
        return b === null ? null : addressHost(String.UTF8.decode(b));
      }
      default: {
        const b = view.provider.property(this.propPath);
        if (b === null) return null;
        if (this.propType == PropType.Int && b.byteLength == 8) return load<i64>(changetype<usize>(b)).toString();
        if (this.propType == PropType.Bool && b.byteLength == 1) return load<u8>(changetype<usize>(b)) ? "true" : "false";
        return String.UTF8.decode(b);
      }
    }
  }
}

// Configure-time only, and a few dozen entries at most: a linear scan links less code than a Map.
const interned = new Array<Source>();

/** Number of distinct sources so far (the size of a RequestView's cache). */
export function sourceCount(): i32 { return interned.length; }

/** The one Source for (kind, name), created on first use. */
export function internSource(kind: SourceKind, name: string): Source {
  for (let i = 0; i < interned.length; i++) {
    const s = interned[i];
    if (s.kind == kind && s.name == name) return s;
  }
  let propType = PropType.Text;
  if (kind == SourceKind.Property) {
    if (INT_PROPERTIES.includes(name)) propType = PropType.Int;
    else if (BOOL_PROPERTIES.includes(name)) propType = PropType.Bool;
  }
  const src = new Source(kind, name, interned.length, kind == SourceKind.Property ? name.replaceAll(".", "\0") : "", propType);
  interned.push(src);
  return src;
}

// Raw values that derived sources share: cookies come from one cookie header, path and query from one :path.
const COOKIE_HEADER = internSource(SourceKind.Header, "cookie");
const RAW_PATH = internSource(SourceKind.Header, ":path");

/**
 * Reads `source` (and `name` when the source needs one) from a condition or key-part object.
 * Errors are recorded on `cfg` with the field path; returns null then.
 */
export function parseSource(cfg: ConfigObject): Source | null {
  if (!cfg.has("source")) { cfg.fail("source", "is required"); return null; }
  const kindName = cfg.oneOf("source", "header", SOURCE_NAMES);
  if (!cfg.ok()) return null;
  const kind = <SourceKind>SOURCE_NAMES.indexOf(kindName);
  const needsName = kind == SourceKind.Header || kind == SourceKind.Cookie || kind == SourceKind.Query ||
    kind == SourceKind.Property;
  if (!needsName) {
    if (cfg.has("name")) { cfg.raw("name"); cfg.fail("name", "is not used by source \"" + kindName + "\""); return null; }
    return internSource(kind, "");
  }
  let name = cfg.requiredStr("name");
  if (!cfg.ok()) return null;
  if (kind == SourceKind.Header) {
    name = lowerAscii(name);
    if (!isHeaderOrPseudo(name)) { cfg.fail("name", "\"" + name + "\" is not a valid header name"); return null; }
  } else if (kind == SourceKind.Property) {
    if (name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
      cfg.fail("name", "\"" + name + "\" is not a property path such as \"source.port\""); return null;
    }
  }
  return internSource(kind, name);
}

// Header names are ASCII tokens; String#toLowerCase would link the Unicode case tables.
function lowerAscii(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      out += s.substring(from, i) + String.fromCharCode(c | 0x20);
      from = i + 1;
    }
  }
  return from == 0 ? s : out + s.substring(from);
}

function isHeaderOrPseudo(name: string): bool {
  const start = name.startsWith(":") ? 1 : 0;
  if (name.length <= start) return false;
  for (let i = start; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c == 0x21 || (c >= 0x23 && c <= 0x27) ||
      c == 0x2a || c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------- cookie and query extraction

/** The value of cookie `name` in a Cookie header ("a=1; b=2"), unquoted; null if absent. */
export function cookieValue(header: string, name: string): string | null {
  const n = header.length;
  let i = 0;
  while (i < n) {
    while (i < n && (header.charCodeAt(i) == 0x20 || header.charCodeAt(i) == 0x09)) i++;
    let end = header.indexOf(";", i);
    if (end < 0) end = n;
    const eq = header.indexOf("=", i);
    if (eq >= 0 && eq < end) {
      let ke = eq;
      while (ke > i && header.charCodeAt(ke - 1) == 0x20) ke--;
      if (ke - i == name.length && matchesAt(header, i, name)) {
        let vs = eq + 1, ve = end;
        while (vs < ve && header.charCodeAt(vs) == 0x20) vs++;
        while (ve > vs && header.charCodeAt(ve - 1) == 0x20) ve--;
        if (ve - vs >= 2 && header.charCodeAt(vs) == 0x22 && header.charCodeAt(ve - 1) == 0x22) { vs++; ve--; }
        return header.substring(vs, ve);
      }
    }
    i = end + 1;
  }
  return null;
}

/** The percent-decoded value of query parameter `name` in a request path; "" for `?flag`; null if absent. */
export function queryValue(path: string, name: string): string | null {
  const q = path.indexOf("?");
  if (q < 0) return null;
  const n = path.length;
  let i = q + 1;
  while (i < n) {
    let end = path.indexOf("&", i);
    if (end < 0) end = n;
    let eq = path.indexOf("=", i);
    if (eq < 0 || eq > end) eq = end;
    if (eq - i == name.length && matchesAt(path, i, name)) {
      return eq >= end ? "" : percentDecode(path, eq + 1, end);
    }
    i = end + 1;
  }
  return null;
}

function matchesAt(s: string, at: i32, word: string): bool {
  for (let k = 0; k < word.length; k++) if (s.charCodeAt(at + k) != word.charCodeAt(k)) return false;
  return true;
}

/**
 * URL-decodes s[start, end); `plusIsSpace` for form-encoded query strings (not for W3C baggage).
 * Invalid escapes are kept as they are.
 */
export function percentDecode(s: string, start: i32, end: i32, plusIsSpace: bool = true): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x25 || (c == 0x2b && plusIsSpace)) { plain = false; break; }
  }
  if (plain) return s.substring(start, end);
  const buf = new Uint8Array(end - start); // decoding only shrinks, and the input is ASCII
  let o = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2b && plusIsSpace) { buf[o++] = 0x20; continue; }
    if (c == 0x25 && i + 2 < end && hex(s.charCodeAt(i + 1)) >= 0 && hex(s.charCodeAt(i + 2)) >= 0) {
      buf[o++] = <u8>((hex(s.charCodeAt(i + 1)) << 4) | hex(s.charCodeAt(i + 2)));
      i += 2;
      continue;
    }
    if (c > 0x7f) return s.substring(start, end); // not a raw URL: leave it alone
    buf[o++] = <u8>c;
  }
  return String.UTF8.decodeUnsafe(buf.dataStart, o);
}

function hex(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}
