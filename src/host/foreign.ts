// Foreign functions (proxy_call_foreign_function): Envoy's built-ins the filters here rely on, and
// the test's own registry.
import { Status } from "./abi.js";
import { toText } from "./bytes.js";
import type { HttpStream } from "./stream.js";

export interface ForeignCall {
  name: string;
  args: Uint8Array;
  argsText: string;
  vm: number;
  contextId: number;
  stream: HttpStream | null;
  status: number;
}

export interface ForeignContext {
  vm: number;
  stream: HttpStream | null;
}

/** A test-supplied foreign function: return bytes/text as the result, a number as the status, or nothing (Ok). */
export type ForeignFunction = (args: Uint8Array, ctx: ForeignContext) => Uint8Array | string | number | void;

/** Decodes SetEnvoyFilterStateArguments { string path = 1; string value = 2; LifeSpan span = 3; }. */
export function decodeFilterStateArgs(b: Uint8Array): { path: string; value: string; span: number } | null {
  let p = 0;
  const out = { path: "", value: "", span: 0 };
  const varint = (): number => {
    let n = 0, shift = 0;
    for (;;) {
      if (p >= b.length || shift > 28) throw new Error("truncated varint");
      const byte = b[p++];
      n |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) return n >>> 0;
      shift += 7;
    }
  };
  try {
    while (p < b.length) {
      const tag = varint();
      const field = tag >>> 3, wire = tag & 7;
      if (wire === 2) {
        const len = varint();
        if (p + len > b.length) return null;
        const s = toText(b.subarray(p, p + len));
        p += len;
        if (field === 1) out.path = s;
        else if (field === 2) out.value = s;
      } else if (wire === 0) {
        const v = varint();
        if (field === 3) out.span = v;
      } else return null;
    }
  } catch {
    return null;
  }
  return out;
}

/** Envoy's clear_route_cache and set_envoy_filter_state, applied to the calling stream. */
export function builtinForeign(name: string, args: Uint8Array, stream: HttpStream | null): { status: number } | null {
  if (name === "clear_route_cache") {
    if (stream) stream.routeCacheCleared++;
    return { status: Status.Ok };
  }
  if (name === "set_envoy_filter_state") {
    const a = decodeFilterStateArgs(args);
    if (!a) return { status: Status.BadArgument };
    if (!stream) return { status: Status.NotFound };
    stream.filterState.set(a.path, a.value);
    return { status: Status.Ok };
  }
  if (name === "declare_property") return { status: Status.Ok };
  return null;
}
