// Helpers for driving build/abi-probe.wasm (examples/abi-probe) from node:test.
import { ProxyHost, type ProxyHostOptions } from "../../src/host/index.js";

export const PROBE = "build/abi-probe.wasm";

export const GET = { ":method": "GET", ":path": "/p/q?x=1", ":authority": "example.com", ":scheme": "http", "x-a": "1" };

export function probeHost(opts: Partial<ProxyHostOptions> = {}): Promise<ProxyHost> {
  return ProxyHost.create({ wasm: PROBE, rootId: "abi_probe", ...opts });
}

/** Request headers that make the probe run `ops` in each named phase (request-headers, log, …). */
export function withOps(phases: Record<string, string>, base: Record<string, string> = GET): Record<string, string> {
  const h: Record<string, string> = { ...base };
  for (const [phase, ops] of Object.entries(phases)) h[`x-probe-on-${phase}`] = ops;
  return h;
}

/** Every result the probe reported for `op`, in order. */
export function results(host: ProxyHost, op: string): string[] {
  const prefix = `probe ${op} `;
  return host.logs.filter((l) => l.message.startsWith(prefix)).map((l) => l.message.slice(prefix.length));
}

/** The latest result for `op` (throws if the probe never reported it, so a test cannot pass vacuously). */
export function last(host: ProxyHost, op: string): string {
  const r = results(host, op);
  if (!r.length) throw new Error(`the probe reported no "${op}" result; logs:\n${host.logs.map((l) => l.message).join("\n")}`);
  return r[r.length - 1];
}

/** Names of probe reports in order (to check callback order). */
export function sequence(host: ProxyHost): string[] {
  return host.logs.filter((l) => l.message.startsWith("probe ")).map((l) => l.message.split(" ")[1]);
}
