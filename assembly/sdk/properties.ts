// Properties: paths are segments joined by NUL (["source", "address"]). Envoy encodes strings as
// raw bytes and integers as 8-byte little-endian; these helpers decode the well-known ones.
import { getPropertyBytes, getPropertyString, setProperty, propertyPath } from "./hostcalls";

export { propertyPath };

/** A property by segments, as a string (null when the host has none). */
export function getProperty(segments: string[]): string | null { return getPropertyString(segments.join("\0")); }
export function getPropertyRaw(segments: string[]): ArrayBuffer | null { return getPropertyBytes(segments.join("\0")); }
export function setPropertyValue(segments: string[], value: string): u32 {
  return setProperty(segments.join("\0"), String.UTF8.encode(value));
}

/** An integer property (8-byte little-endian), or -1. */
export function getPropertyInt(segments: string[]): i64 {
  const b = getPropertyBytes(segments.join("\0"));
  if (b === null || b.byteLength < 8) return -1;
  return load<i64>(changetype<usize>(b));
}

function str(path: string): string { const v = getPropertyString(path); return v === null ? "" : v; }

/** Downstream peer "ip:port". */
export function getSourceAddress(): string { return str("source\0address"); }
export function getSourcePort(): i64 { return getPropertyInt(["source", "port"]); }
export function getDestinationAddress(): string { return str("destination\0address"); }
export function getRequestPath(): string { return str("request\0path"); }
export function getRequestMethod(): string { return str("request\0method"); }
export function getRequestHost(): string { return str("request\0host"); }
export function getRequestProtocol(): string { return str("request\0protocol"); }
export function getRouteName(): string { return str("route_name"); }
export function getClusterName(): string { return str("cluster_name"); }
export function getPluginName(): string { return str("plugin_name"); }
export function getPluginRootId(): string { return str("plugin_root_id"); }
export function getPluginVmId(): string { return str("plugin_vm_id"); }
export function getConnectionId(): i64 { return getPropertyInt(["connection", "id"]); }
export function getUpstreamAddress(): string { return str("upstream\0address"); }
export function getResponseCode(): i64 { return getPropertyInt(["response", "code"]); }

/** Strips the port from "ip:port" / "[v6]:port". */
export function addressHost(address: string): string {
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = address.lastIndexOf(":");
  if (colon < 0 || address.indexOf(":") != colon) return address; // bare IPv4 or bare IPv6
  return address.substring(0, colon);
}
