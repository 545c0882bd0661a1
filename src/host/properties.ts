// Properties (proxy_get_property / proxy_set_property). Paths are segments joined by "\0"; values
// are encoded as Envoy encodes them: strings as raw bytes, integers as 8-byte little-endian,
// booleans as one byte, maps (request.headers) in the ABI's pair format.
import { int64Bytes, toBytes } from "./bytes.js";
import type { HeaderMap } from "./header-map.js";

export type PropertyValue = string | number | bigint | boolean | Uint8Array;
export type PropertyInit = Record<string, PropertyValue>;

/** "source.address" or "source\0address" → "source\0address". Use "\0" when a segment contains a dot. */
export function normalizePath(key: string): string {
  return key.includes("\0") ? key : key.split(".").join("\0");
}

export function encodeProperty(v: PropertyValue): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return toBytes(v);
  if (typeof v === "boolean") return Uint8Array.of(v ? 1 : 0);
  if (typeof v === "bigint") return int64Bytes(v);
  if (Number.isInteger(v)) return int64Bytes(v);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, v, true);
  return out;
}

export function encodeAll(init: PropertyInit | undefined): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(init ?? {})) m.set(normalizePath(k), encodeProperty(v));
  return m;
}

/** What a stream contributes to the well-known properties. */
export interface StreamFacts {
  requestHeaders: HeaderMap | null;
  responseHeaders: HeaderMap | null;
  responseTrailers: HeaderMap | null;
  startNs: bigint;
  connectionId: number;
  responseCodeDetails: string | null;
  requestBodySize: number;
  responseBodySize: number;
}

export interface PluginFacts {
  pluginName: string;
  rootId: string;
  vmId: string;
}

function mapProperty(map: HeaderMap | null, rest: string[]): Uint8Array | undefined {
  if (!map) return undefined;
  if (rest.length === 0) return map.serialize();
  if (rest.length !== 1) return undefined;
  const v = map.get(rest[0]);
  return v === undefined ? undefined : toBytes(v);
}

/** A header's value as property bytes, or undefined. */
function hdr(rh: HeaderMap | null, name: string): Uint8Array | undefined {
  const v = rh?.get(name);
  return v === undefined ? undefined : toBytes(v);
}

/**
 * Envoy's derived attributes (request.*, response.*, plugin_*); undefined when not known. The stream's
 * facts are only gathered for paths that need them.
 */
export function wellKnown(path: string, plugin: PluginFacts, stream: { facts(): StreamFacts } | null): Uint8Array | undefined {
  const seg = path.split("\0");
  switch (seg[0]) {
    case "plugin_name": return seg.length === 1 ? toBytes(plugin.pluginName) : undefined;
    case "plugin_root_id": return seg.length === 1 ? toBytes(plugin.rootId) : undefined;
    case "plugin_vm_id": return seg.length === 1 ? toBytes(plugin.vmId) : undefined;
    case "request": case "response": case "connection": break;
    default: return undefined;
  }
  if (!stream) return undefined;
  const s = stream.facts();
  const rh = s.requestHeaders;
  if (seg[0] === "request") {
    if (seg[1] === "headers") return mapProperty(rh, seg.slice(2));
    if (seg.length !== 2) return undefined;
    const path = rh?.get(":path");
    switch (seg[1]) {
      case "path": return hdr(rh, ":path");
      case "url_path": return path === undefined ? undefined : toBytes(path.split("?")[0]);
      case "query": return path === undefined ? undefined : toBytes(path.includes("?") ? path.slice(path.indexOf("?") + 1) : "");
      case "host": return hdr(rh, ":authority");
      case "scheme": return hdr(rh, ":scheme");
      case "method": return hdr(rh, ":method");
      case "referer": return hdr(rh, "referer");
      case "useragent": return hdr(rh, "user-agent");
      case "id": return hdr(rh, "x-request-id");
      case "protocol": return toBytes("HTTP/1.1");
      case "time": return int64Bytes(s.startNs);
      case "size": return int64Bytes(s.requestBodySize);
    }
    return undefined;
  }
  if (seg[0] === "response") {
    if (seg[1] === "headers") return mapProperty(s.responseHeaders, seg.slice(2));
    if (seg[1] === "trailers") return mapProperty(s.responseTrailers, seg.slice(2));
    if (seg.length !== 2) return undefined;
    switch (seg[1]) {
      case "code": {
        const st = s.responseHeaders?.get(":status");
        return st === undefined ? undefined : int64Bytes(Number(st));
      }
      case "code_details": return s.responseCodeDetails === null ? undefined : toBytes(s.responseCodeDetails);
      case "size": return s.responseHeaders ? int64Bytes(s.responseBodySize) : undefined;
    }
    return undefined;
  }
  if (seg[0] === "connection" && seg[1] === "id" && seg.length === 2) return int64Bytes(s.connectionId);
  return undefined;
}

/** Defaults a stream gets unless the test sets them (a plain-text HTTP/1.1 connection on loopback). */
export const DEFAULT_STREAM_PROPERTIES: PropertyInit = {
  "source.address": "127.0.0.1:40000",
  "source.port": 40000,
  "destination.address": "127.0.0.1:10000",
  "destination.port": 10000,
  "connection.mtls": false,
};
