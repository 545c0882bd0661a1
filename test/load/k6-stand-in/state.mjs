// The stand-in's run state: the samples metrics receive and the execution context of the iteration
// that is running (scenario, VU, iteration), read by k6/execution and used as sample tags.
/**
 * @type {{
 *   samples: { metric: string, value: number, tags: Record<string, string> }[],
 *   scenario: { name: string, executor: string } | null,
 *   iteration: number, vu: number, responseCallback: unknown,
 * }}
 */
export const state = {
  /** { metric, value, tags } */
  samples: [],
  /** null outside a scenario (init, setup, teardown) */
  scenario: null,
  iteration: 0,
  vu: 1,
  responseCallback: null,
};

export function emit(metric, value, tags) {
  const t = { ...tags };
  if (state.scenario) t.scenario = state.scenario.name;
  state.samples.push({ metric, value, tags: t });
}
