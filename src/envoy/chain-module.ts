// The chain module (assembly/filters/chain): the filter modules it holds, in chain order, and the
// section of its configuration each one reads. The demo, the Istio plan and the benchmark build the
// chain's configuration from the separate filters' configurations with chainConfig().
export const CHAIN_MODULE = "chain";

export const CHAIN_MEMBERS: readonly { module: string; section: string }[] = [
  { module: "trace-id", section: "traceId" },
  { module: "tagging", section: "tagging" },
  { module: "rate-limit", section: "rateLimit" },
];

/** The chain module's configuration: each member's configuration (by its module name) under its section. */
export function chainConfig(configOf: (module: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(CHAIN_MEMBERS.map((m) => [m.section, configOf(m.module)]));
}
