// The native ceiling: an Envoy dynamic module (envoy.extensions.filters.http.dynamic_modules) doing
// add-header's work. See bench/envoy/README.md for why it is not built here.
import type { PeerBuild } from "./peers.js";

const ABOUT = "add-header as an Envoy dynamic module (native shared object)";

export function buildDynamicModule(_dir: string, _log: (m: string) => void): PeerBuild {
  return { ok: false, about: ABOUT, reason: "not attempted yet" };
}
