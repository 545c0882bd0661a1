// Stand-in for `k6/execution`: the properties the scripts read; anything else throws, so a script
// cannot rely on something the stand-in would silently answer with undefined.
import { state } from "./state.mjs";

function strict(name, props) {
  return new Proxy(props, {
    get(target, key) {
      if (typeof key !== "string") return undefined;
      if (!(key in target)) throw new Error(`k6/execution: ${name}.${key} is not implemented by the k6 stand-in`);
      return target[key]();
    },
  });
}

const inScenario = (what) => {
  if (!state.scenario) throw new Error(`k6/execution: ${what} is only available while a scenario runs (not in init, setup or teardown)`);
  return state.scenario;
};

const exec = {
  scenario: strict("scenario", {
    name: () => inScenario("scenario.name").name,
    executor: () => inScenario("scenario.executor").executor,
    iterationInTest: () => (inScenario("scenario.iterationInTest"), state.iteration),
    iterationInInstance: () => (inScenario("scenario.iterationInInstance"), state.iteration),
  }),
  vu: strict("vu", {
    idInTest: () => state.vu,
    idInInstance: () => state.vu,
    iterationInScenario: () => (inScenario("vu.iterationInScenario"), state.iteration),
  }),
};

export const scenario = exec.scenario;
export const vu = exec.vu;
export default exec;
