// Where a condition (or a rate-limit key part) takes its value from: a header, cookie, query
// parameter, the path, method, authority, the downstream IP, or an Envoy property. Sources are
// interned: the same source configured twice is one object with one cache slot per request.
import { ConfigObject, asciiLower, isHeaderName, quoteExcerpt } from "../../sdk/config";
import { hexVal, JsonObject, JsonNumber } from "../../sdk/json";
import { RawName } from "../../sdk/rawheaders";
import { RequestView, Cached, slotCount } from "./request-view";

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

export class Source extends Cached {
  /** What the provider is asked for: a header name (":method" for method) or a property path ("source\0address"). */
  private readonly hostName: string;
  /** hostName encoded once, for string-free host reads. */
  private readonly hostRaw: RawName;
  /** The cookie header: its lines join with "; " (RFC 9113 §8.2.3), other headers' with ",". */
  private readonly cookie: bool;

  constructor(
    public readonly kind: SourceKind,
    /** Header name (lower-case), cookie or query parameter name, or property path ("source.port"). */
    public readonly name: string,
    propPath: string,
    private readonly propType: PropType,
  ) {
    super();
    const host = kind == SourceKind.Header ? name : kind == SourceKind.Method ? ":method" :
      kind == SourceKind.Authority ? ":authority" : kind == SourceKind.SourceIp ? "source\0address" : propPath;
    this.hostName = host;
    this.hostRaw = new RawName(host);
    this.cookie = kind == SourceKind.Header && name == "cookie";
  }

  /** The value for this request, or null when absent. Decodes a string: hot paths use view.fetch(). */
  read(view: RequestView): string | null { return view.value(this); }

  /** A label for messages: `header "x-user"`, `path`. */
  describe(): string {
    const k = SOURCE_NAMES[<i32>this.kind];
    return this.name.length ? k + " \"" + this.name + "\"" : k;
  }

  private readProperty(view: RequestView): bool {
    return view.direct ? view.putHostProperty(this.hostRaw) : view.provider.readProperty(view, this.hostName, this.hostRaw);
  }

  /** Computes the value into the view (view.result; uncached: use view.fetch()). False when absent. */
  compute(view: RequestView): bool {
    const provider = view.provider;
    switch (this.kind) {
      case SourceKind.Header:
      case SourceKind.Method:
      case SourceKind.Authority:
        return view.direct ? view.putHostHeader(this.hostRaw, this.cookie) : provider.readHeader(view, this.hostName, this.hostRaw, this.cookie);
      case SourceKind.Cookie: return view.fetch(COOKIE_HEADER) && cookieRange(view, this.name);
      case SourceKind.Query: return view.fetch(RAW_PATH) && queryRange(view, this.name);
      case SourceKind.Path: {
        if (!view.fetch(RAW_PATH)) return false;
        const q = indexOfByte(view.ptr, 0, view.len, 0x3f);
        return view.result(view.off, q < 0 ? view.len : q);
      }
      case SourceKind.SourceIp: {
        if (!this.readProperty(view)) return false;
        return hostRange(view, view.resOff, view.resLen);
      }
      default: {
        if (!this.readProperty(view)) return false;
        const p = view.at(view.resOff);
        const n = view.resLen;
        if (this.propType == PropType.Int && n == 8) putDecimal(view, load<i64>(p));
        else if (this.propType == PropType.Bool && n == 1) view.putString(load<u8>(p) ? "true" : "false");
        return true;
      }
    }
  }
}

// ---------------------------------------------------------------- byte helpers (values are UTF-8 bytes)

/** Index of byte `c` in p[from, end), or -1. */
export function indexOfByte(p: usize, from: i32, end: i32, c: i32): i32 {
  for (let i = from; i < end; i++) if (<i32>load<u8>(p + <usize>i) == c) return i;
  return -1;
}

// @ts-ignore: decorator
@inline function byteAt(p: usize, i: i32): i32 { return <i32>load<u8>(p + <usize>i); }

function putDecimal(view: RequestView, v: i64): void {
  const neg = v < 0;
  let u: u64 = neg ? <u64>(-v) : <u64>v; // i64.MIN_VALUE: -v wraps to itself, which as u64 is right
  let digits = 1;
  for (let x = u; x >= 10; x /= 10) digits++;
  const n = digits + (neg ? 1 : 0);
  const dst = view.reserve(<usize>n);
  if (neg) store<u8>(dst, 0x2d);
  for (let i = n - 1; i >= (neg ? 1 : 0); i--) { store<u8>(dst + <usize>i, <u8>(0x30 + u % 10)); u /= 10; }
  view.commit(n);
}

/** "ip:port" / "[v6]:port" at the view's resOff/resLen → the host part, as in addressHost(). */
function hostRange(view: RequestView, off: i32, n: i32): bool {
  const p = view.at(off);
  if (n > 0 && byteAt(p, 0) == 0x5b) {
    const end = indexOfByte(p, 0, n, 0x5d);
    return end > 0 ? view.result(off + 1, end - 1) : view.result(off, n);
  }
  const colon = indexOfByte(p, 0, n, 0x3a);
  if (colon < 0) return view.result(off, n); // bare IPv4
  if (indexOfByte(p, colon + 1, n, 0x3a) >= 0) return view.result(off, n); // bare IPv6
  return view.result(off, colon);
}

function matchesBytesAt(p: usize, at: i32, word: string): bool {
  // Cookie and parameter names are compared as written in the configuration: ASCII in practice;
  // a non-ASCII name never matches a byte (as its UTF-16 unit exceeds 0xff) unless equal byte-wise.
  for (let k = 0; k < word.length; k++) if (byteAt(p, at + k) != word.charCodeAt(k)) return false;
  return true;
}

/** The cookie `name` within the fetched Cookie header, as cookieValue() finds it. */
function cookieRange(view: RequestView, name: string): bool {
  const base = view.off;
  const p = view.ptr;
  const n = view.len;
  let i = 0;
  while (i < n) {
    while (i < n && (byteAt(p, i) == 0x20 || byteAt(p, i) == 0x09)) i++;
    let end = indexOfByte(p, i, n, 0x3b);
    if (end < 0) end = n;
    const eq = indexOfByte(p, i, end, 0x3d); // within this cookie only: the whole scan stays linear
    if (eq >= 0) {
      let ke = eq;
      while (ke > i && byteAt(p, ke - 1) == 0x20) ke--;
      if (ke - i == name.length && matchesBytesAt(p, i, name)) {
        let vs = eq + 1, ve = end;
        while (vs < ve && byteAt(p, vs) == 0x20) vs++;
        while (ve > vs && byteAt(p, ve - 1) == 0x20) ve--;
        if (ve - vs >= 2 && byteAt(p, vs) == 0x22 && byteAt(p, ve - 1) == 0x22) { vs++; ve--; }
        return view.result(base + vs, ve - vs);
      }
    }
    i = end + 1;
  }
  return false;
}

/** Query parameter `name` within the fetched :path, percent-decoded, as queryValue() finds it. */
function queryRange(view: RequestView, name: string): bool {
  const base = view.off;
  const p = view.ptr;
  const n = view.len;
  const q = indexOfByte(p, 0, n, 0x3f);
  if (q < 0) return false;
  let i = q + 1;
  while (i < n) {
    let end = indexOfByte(p, i, n, 0x26);
    if (end < 0) end = n;
    let eq = indexOfByte(p, i, end, 0x3d); // within this parameter only: the whole scan stays linear
    if (eq < 0) eq = end;
    if (eq - i == name.length && matchesBytesAt(p, i, name)) {
      return eq >= end ? view.result(base + end, 0) : decodeRange(view, base + eq + 1, base + end);
    }
    i = end + 1;
  }
  return false;
}

/** percentDecode (form style) of arena bytes [start, end) as the view's result: the range itself when plain. */
function decodeRange(view: RequestView, start: i32, end: i32): bool {
  let p = view.at(0);
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = byteAt(p, i);
    if (c == 0x25 || c == 0x2b) { plain = false; break; }
    if (c > 0x7f) return view.result(start, end - start); // not a raw URL: leave it alone
  }
  if (plain) return view.result(start, end - start);
  for (let i = start; i < end; i++) {
    if (byteAt(p, i) > 0x7f) return view.result(start, end - start);
  }
  const dst = view.reserve(<usize>(end - start)); // decoding only shrinks
  p = view.at(0); // the arena may have moved
  let o: usize = 0;
  for (let i = start; i < end; i++) {
    const c = byteAt(p, i);
    if (c == 0x2b) { store<u8>(dst + o++, 0x20); continue; }
    if (c == 0x25 && i + 2 < end && hexVal(byteAt(p, i + 1)) >= 0 && hexVal(byteAt(p, i + 2)) >= 0) {
      store<u8>(dst + o++, <u8>((hexVal(byteAt(p, i + 1)) << 4) | hexVal(byteAt(p, i + 2))));
      i += 2;
      continue;
    }
    store<u8>(dst + o++, <u8>c);
  }
  view.commit(<i32>o);
  return true;
}

// Configure-time only. Found through the SDK's JSON object index (hashed beyond a few entries), so a
// configuration naming 20,000 headers interns them in linear time — a scan per source took 14 s.
const interned = new Array<Source>();
const internIndex = new JsonObject();

/** Number of distinct sources so far (the size of a RequestView's cache). */
export function sourceCount(): i32 { return slotCount(); }

/** The one Source for (kind, name), created on first use. */
export function internSource(kind: SourceKind, name: string): Source {
  const key = String.fromCharCode(0x30 + <i32>kind) + name;
  const known = internIndex.get(key);
  if (known !== null) return interned[<i32>(<JsonNumber>known).value];
  let propType = PropType.Text;
  if (kind == SourceKind.Property) {
    if (INT_PROPERTIES.includes(name)) propType = PropType.Int;
    else if (BOOL_PROPERTIES.includes(name)) propType = PropType.Bool;
  }
  const src = new Source(kind, name, kind == SourceKind.Property ? dotsToNul(name) : "", propType);
  interned.push(src);
  internIndex.set(key, new JsonNumber(<f64>(interned.length - 1), true));
  return src;
}

// "source.port" → "source\0port" (the ABI's path form); String#replaceAll links more code.
function dotsToNul(name: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) == 0x2e) { out += name.substring(from, i) + "\0"; from = i + 1; }
  }
  return out + name.substring(from);
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
  const before = cfg.errorCount();
  const kindName = cfg.oneOf("source", "header", SOURCE_NAMES);
  if (cfg.errorCount() != before) return null;
  const kind = <SourceKind>SOURCE_NAMES.indexOf(kindName);
  const needsName = kind == SourceKind.Header || kind == SourceKind.Cookie || kind == SourceKind.Query ||
    kind == SourceKind.Property;
  if (!needsName) {
    if (cfg.has("name")) { cfg.raw("name"); cfg.fail("name", "is not used by source \"" + kindName + "\""); return null; }
    return internSource(kind, "");
  }
  let name = cfg.requiredStr("name");
  if (cfg.errorCount() != before) return null;
  if (kind == SourceKind.Header) {
    name = asciiLower(name);
    if (!isHeaderOrPseudo(name)) { cfg.fail("name", quoteExcerpt(name) + " is not a valid header name"); return null; }
  } else if (kind == SourceKind.Cookie) {
    if (!isHeaderName(name)) { cfg.fail("name", quoteExcerpt(name) + " is not a valid cookie name (an RFC 6265 token)"); return null; }
  } else if (kind == SourceKind.Query) {
    if (!isPlainText(name, "&=#")) { cfg.fail("name", quoteExcerpt(name) + " is not a query parameter name (no spaces, controls, '&', '=' or '#')"); return null; }
  } else if (kind == SourceKind.Property) {
    if (!isPlainText(name, "") || name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
      cfg.fail("name", quoteExcerpt(name) + " is not a property path such as \"source.port\""); return null;
    }
  }
  return internSource(kind, name);
}

/** No spaces, control characters nor any of `reserved` (names taken from a request or passed to the host). */
function isPlainText(s: string, reserved: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c == 0x7f || reserved.includes(String.fromCharCode(c))) return false;
  }
  return true;
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
    const eq = charIn(header, i, end, 0x3d);
    if (eq >= 0) {
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
    let eq = charIn(path, i, end, 0x3d);
    if (eq < 0) eq = end;
    if (eq - i == name.length && matchesAt(path, i, name)) {
      return eq >= end ? "" : percentDecode(path, eq + 1, end);
    }
    i = end + 1;
  }
  return null;
}

/** Index of char `c` in s[from, end), or -1 (bounded, unlike indexOf: scans stay linear). */
function charIn(s: string, from: i32, end: i32, c: i32): i32 {
  for (let i = from; i < end; i++) if (s.charCodeAt(i) == c) return i;
  return -1;
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
    if (c == 0x25 && i + 2 < end && hexVal(s.charCodeAt(i + 1)) >= 0 && hexVal(s.charCodeAt(i + 2)) >= 0) {
      buf[o++] = <u8>((hexVal(s.charCodeAt(i + 1)) << 4) | hexVal(s.charCodeAt(i + 2)));
      i += 2;
      continue;
    }
    if (c > 0x7f) return s.substring(start, end); // not a raw URL: leave it alone
    buf[o++] = <u8>c;
  }
  return String.UTF8.decodeUnsafe(buf.dataStart, o);
}

