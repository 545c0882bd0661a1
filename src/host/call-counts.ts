// How often a module crosses the ABI: host functions it calls, and its exports the host enters
// (stream callbacks, context creation, proxy_on_memory_allocate for every buffer the host hands over).
// In Envoy each crossing is a call through V8's C++ API, the floor of what a request costs, so these
// counts per request are the deterministic half of a filter's cost (bench:envoy measures the rest).
// Opt-in (`countCalls: true`): wrapping every function costs the test host time.

export class CallCounts {
  /** Host function name (ABI import) → calls. */
  readonly host = new Map<string, number>();
  /** Export name → calls by the host. */
  readonly module = new Map<string, number>();

  reset(): void {
    this.host.clear();
    this.module.clear();
  }

  /** The counts as plain objects, each divided by `per` (e.g. the number of requests). */
  snapshot(per = 1): { host: Record<string, number>; module: Record<string, number> } {
    const plain = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v / per]));
    return { host: plain(this.host), module: plain(this.module) };
  }

  /** `fns` with every function counted into `into` under its name (the same object shape). */
  wrap<T extends Record<string, unknown>>(fns: T, into: Map<string, number>): T {
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(fns)) {
      out[name] = typeof f !== "function" ? f : (...args: unknown[]) => {
        into.set(name, (into.get(name) ?? 0) + 1);
        return (f as (...a: unknown[]) => unknown)(...args);
      };
    }
    return out as T;
  }
}
