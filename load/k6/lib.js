// The k6 driver shared by the scripts in this folder: k6 scenarios at a constant arrival rate over
// the scenario definitions of ../scenarios.js (the same mix, requests and expected outcomes as the
// native runner), a check on every response, and thresholds that fail the run on any failed check,
// any unexpected status, or a blown latency budget.
//
// Environment (k6 -e NAME=value, or the docker-compose environment):
//   BASE_URL   the front Envoy (default http://127.0.0.1:10000)
//   RATE       requests per second, per scenario (default: the scenario's rate)
//   DURATION   seconds per scenario (default: the scenario's duration)
//   P95_MS, P99_MS   latency budgets of admitted requests (default 100 and 250)
import http from "k6/http";
import { check, sleep } from "k6";
import exec from "k6/execution";
import { CLIENT_PARTS, PORTS, checkResponse, mixSequence, partsOf, requestFor, scenarioNamed } from "../scenarios.js";

const BASE_URL = (__ENV.BASE_URL || `http://127.0.0.1:${PORTS.envoy}`).replace(/\/$/, "");
const num = (name, fallback) => (__ENV[name] ? Number(__ENV[name]) : fallback);

/** k6 options running the named scenarios one after another. */
export function optionsFor(names) {
  const scenarios = {};
  const thresholds = {};
  let start = 0;
  for (const name of names) {
    const s = scenarioNamed(name);
    const rate = num("RATE", s.rate);
    const duration = num("DURATION", s.duration);
    scenarios[name] = {
      executor: "constant-arrival-rate",
      exec: "iteration",
      rate,
      timeUnit: "1s",
      duration: `${duration}s`,
      startTime: `${start}s`,
      preAllocatedVUs: Math.max(5, Math.ceil(rate / 20)),
      maxVUs: Math.max(50, rate),
      gracefulStop: "5s",
    };
    start += duration + 5;
    // Every response as its class expects; no unexpected status; latency within budget.
    thresholds[`checks{scenario:${name}}`] = ["rate==1"];
    thresholds[`http_req_failed{scenario:${name}}`] = ["rate==0"];
    thresholds[`http_req_duration{scenario:${name},expected_response:true}`] = [`p(95)<${num("P95_MS", 100)}`, `p(99)<${num("P99_MS", 250)}`];
  }
  return { scenarios, thresholds, setupTimeout: "90s", summaryTrendStats: ["avg", "med", "p(90)", "p(95)", "p(99)", "max"] };
}

/** Waits until the stack answers on both lanes (docker compose starts everything at once). */
export function setup() {
  const deadline = Date.now() + 60000;
  for (;;) {
    const stable = http.get(`${BASE_URL}/`, { tags: { name: "setup" } });
    const gray = http.get(`${BASE_URL}/`, { headers: { "x-mesh-tag": "gray" }, tags: { name: "setup" } });
    if (stable.status === 200 && gray.status === 200 && header(stable, "x-upstream") === "stable" && header(gray, "x-upstream") === "gray") break;
    if (Date.now() > deadline) throw new Error(`the stack at ${BASE_URL} is not ready after 60 s (last statuses ${stable.status}, ${gray.status})`);
    sleep(1);
  }
  return { run: `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}` };
}

function header(res, name) {
  for (const k in res.headers) if (k.toLowerCase() === name) return res.headers[k];
  return undefined;
}

const mixes = {};
/** The class of an iteration: the scenario's mix, in the same order as the native runner's. */
function classOf(name, s, i) {
  if (!mixes[name]) mixes[name] = mixSequence(s, s.classes.reduce((t, c) => t + c.weight, 0));
  const mix = mixes[name];
  return mix[i % mix.length];
}

/** One request of the running scenario, checked against its class's expected outcome. */
export function iteration(data) {
  const name = exec.scenario.name;
  const s = scenarioNamed(name);
  const i = exec.scenario.iterationInTest;
  const cls = classOf(name, s, i);
  const req = requestFor(name, cls, i, data.run);
  const limited = s.filters.includes("rate-limit") && CLIENT_PARTS[partsOf(cls).client].limited;
  const res = http.request(req.method, `${BASE_URL}${req.path}`, null, {
    headers: req.headers,
    tags: { name: `${name}/${cls.name}`, class: cls.name },
    // A 429 is an expected answer only for a client over its limit.
    responseCallback: limited ? http.expectedStatuses(200, 429) : http.expectedStatuses(200),
  });
  const headers = {};
  for (const k in res.headers) headers[k.toLowerCase()] = res.headers[k];
  const results = checkResponse(s, cls, req, { status: res.status, headers });
  const sets = {};
  for (const [checkName, ok] of results) sets[checkName] = () => ok;
  check(res, sets, { class: cls.name });
}
