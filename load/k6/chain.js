// k6 load test: the "chain" scenario of ../scenarios.js (see ./lib.js for the environment variables).
//   docker compose up          (runs chain.js; K6_SCRIPT=chain.js docker compose up for this one)
//   k6 run load/k6/chain.js       (against a stack on 127.0.0.1:10000)
import { optionsFor } from "./lib.js";
export { setup, iteration } from "./lib.js";

export const options = optionsFor(["chain"]);
