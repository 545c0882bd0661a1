// The end-to-end harness: everything lives in src/envoy (shared with `npm start`); see ../README.md.
export * from "../../../src/envoy/index.js";
