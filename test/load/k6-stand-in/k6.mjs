// Stand-in for k6's `k6` module: check() and sleep(), as documented.
import { emit } from "./state.mjs";

/** Runs each check on val; emits one `checks` Rate sample per check; true when all passed. */
export function check(val, sets, tags = {}) {
  let all = true;
  for (const [name, test] of Object.entries(sets)) {
    const ok = Boolean(typeof test === "function" ? test(val) : test);
    emit("checks", ok ? 1 : 0, { ...tags, check: name });
    all &&= ok;
  }
  return all;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks for `seconds` (k6's sleep is synchronous in the VU). */
export function sleep(seconds) {
  Atomics.wait(sleeper, 0, 0, Math.max(0, seconds * 1000));
}

export default { check, sleep };
