#!/usr/bin/env node
// `npm start`: build the modules, make sure Envoy is there, then run the demo — Envoy with every
// built filter and example chained in front of echoing demo upstreams — print the URL and a curl
// line per filter (each checked once), and stop everything on Ctrl-C.
//   PORT=10000 ADMIN_PORT=9901 CONCURRENCY=2 npm start
//   npm start -- --no-build       reuse build/ as it is
//   npm start -- --chain          the chain module (trace-id → tagging → rate-limit in one Wasm filter)
//                                 in the place of those three filters
//   npm start -- --lanes          the traffic-lane topology instead (gateway + sidecars + apps for
//                                 A → B → C; add --strict for strict mode; LANES_PORT=10100 first port, 0 = free ports)
// Without a usable Envoy it says why and falls back to the Node dev proxy (src/devproxy).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";
import { build } from "./build.mjs";
import { setupEnvoy, SetupError } from "./setup-envoy.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const num = (name, def) => (process.env[name] ? Number(process.env[name]) : def);

async function main() {
  if (process.argv.includes("--no-build")) console.log("== using build/ as it is (--no-build)");
  else {
    console.log("== building the modules");
    await build();
  }

  let envoy = null, problem = "";
  try { envoy = setupEnvoy({ quiet: true }); } catch (e) {
    if (!(e instanceof SetupError)) throw e;
    problem = e.message;
  }
  register(); // TypeScript for what follows (src/)
  if (!envoy) return devProxy(problem);

  if (process.argv.includes("--lanes")) return lanesDemo(envoy);
  const { startDemo, curlLine, checkTry } = await import("../src/envoy/index.ts");
  let demo = null;
  let stopping = false;
  // Registered before anything starts, so a Ctrl-C during start-up also stops cleanly.
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Envoy and the demo upstreams …`);
    await demo?.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  try {
    demo = await startDemo({ port: num("PORT", 10000), adminPort: num("ADMIN_PORT", 9901), concurrency: num("CONCURRENCY", 2), chain: process.argv.includes("--chain") });
  } catch (e) {
    // Envoy's own error lines say it best; the full log tail only when there are none.
    const lines = e.errors?.length ? e.errors.map((l) => l.replace(/^\[[^\]]*\]\[\d+\]/, "")).join("\n") : e.message;
    console.error(`\nEnvoy did not start:\n${lines}`);
    if (/Address already in use/.test(e.message)) console.error("\nA port is taken: set PORT=… (listener) or ADMIN_PORT=… (admin) and run again.");
    process.exit(1);
  }

  const ups = Object.values(demo.stack.upstreams).map((u) => `${u.name} :${u.port}`).join(", ");
  console.log(`\nEnvoy ${envoy.version} (${envoy.runtimeLine.includes("v8") ? "V8 Wasm runtime" : envoy.runtimeLine}) is serving the demo:\n`);
  console.log(`  listener   ${demo.url}`);
  console.log(`  admin      ${demo.adminUrl}   (stats: ${demo.adminUrl}/stats?filter=wasm)`);
  console.log(`  upstreams  ${ups}   (they answer with the request they saw)`);
  console.log(`  log        ${demo.stack.envoy.logPath}   (Envoy pid ${demo.stack.envoy.pid})`);
  console.log(`\nFilters in chain order, each with requests to paste (✓ = checked just now):`);
  for (const f of demo.filters) {
    console.log(`\n  ${f.module} — ${f.about}`);
    for (const t of f.tries) {
      const r = await checkTry(demo.url, t).catch((e) => ({ ok: false, got: e.message }));
      console.log(`    ${r.ok ? "✓" : "✗"} ${t.title}  (${r.got})`);
      console.log(`      ${curlLine(demo.url, t)}`);
    }
  }
  if (demo.missing.length) console.log(`\n  not built yet, so not in the chain: ${demo.missing.join(", ")}`);
  console.log(`\nCtrl-C stops Envoy and the upstreams.`);
}

/** The traffic-lane topology (src/lanes): a gray and a baseline user's paths through A → B → C. */
async function lanesDemo(envoy) {
  const { startLanesDemo } = await import("../src/lanes/demo.ts");
  const mode = process.argv.includes("--strict") ? "strict" : "permissive";
  let demo = null;
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the Envoys and the lane apps …`);
    await demo?.lanes.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  try {
    demo = await startLanesDemo({ mode, basePort: num("LANES_PORT", 10100) });
  } catch (e) {
    const lines = e.errors?.length ? e.errors.map((l) => l.replace(/^\[[^\]]*\]\[\d+\]/, "")).join("\n") : e.message;
    console.error(`\nThe lanes did not start:\n${lines}`);
    if (/Address already in use/.test(e.message)) console.error("\nA port is taken: set LANES_PORT=… (the first of 22 consecutive ports) and run again.");
    process.exit(1);
  }
  console.log(`\nEnvoy ${envoy.version}: 1 gateway + ${Object.keys(demo.lanes.envoys).length - 1} sidecars, ${Object.keys(demo.lanes.apps).length} apps.\n`);
  const { lines } = await demo.report();
  console.log(lines.join("\n"));
  console.log(`\nCtrl-C stops the Envoys and the apps.`);
}

async function devProxy(problem) {
  console.log(`\nNo usable Envoy: ${problem}`);
  const entry = `${root}src/devproxy/index.ts`;
  if (!existsSync(entry)) {
    console.log("The Node dev proxy (src/devproxy) is not available in this checkout either, so there is nothing to start.");
    console.log("Fix the Envoy problem above (or set ENVOY=/path/to/envoy) and run npm start again.");
    process.exit(1);
  }
  console.log("Falling back to the Node dev proxy (the test host; not Envoy).\n");
  const dev = await import(entry);
  if (typeof dev.main !== "function") {
    console.log("src/devproxy has no main(); run it directly as its README says.");
    process.exit(1);
  }
  await dev.main(process.argv.slice(2).filter((a) => a !== "--no-build"));
}

main().catch((e) => { console.error(e); process.exit(1); });
