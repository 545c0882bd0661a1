// k6 load test: the "trace-id" scenario of ../scenarios.js (see ./lib.js for the environment variables).
//   docker compose up          (runs chain.js; K6_SCRIPT=trace-id.js docker compose up for this one)
//   k6 run load/k6/trace-id.js       (against a stack on 127.0.0.1:10000)
import { optionsFor } from "./lib.js";
export { setup, iteration } from "./lib.js";

export const options = optionsFor(["trace-id"]);
