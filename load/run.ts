// `npm run loadtest`: the load-test topology without Docker — for each scenario, Envoy with the
// scenario's filters in front of two echoing upstreams (load/topology.ts), driven by vegeta at a
// constant arrival rate, with a progress line and a summary per scenario. Exits 1 if any response
// missed its expected outcome.
//
//   npm run loadtest                                   every scenario at its full rate and duration
//   npm run loadtest -- --smoke                        the few-second smoke run npm test does
//   npm run loadtest -- --scenario chain --rate 500 --duration 30
//   npm run loadtest -- --url http://127.0.0.1:10000   against a stack already running (docker compose)
//   npm run loadtest -- --json results.json            also write the summaries as JSON
//   npm run loadtest -- --write-configs                regenerate load/envoy/*.yaml for docker-compose
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { projectRoot } from "../src/envoy/index.js";
import { SCENARIOS, SMOKE, scenarioNamed } from "./scenarios.js";
import { composeConfigs, startTopology } from "./topology.js";
import { attack } from "./vegeta.js";
import { formatSummary, resultPassed, summarize, type Summary } from "./report.js";

export interface RunOptions {
  scenario: string;
  rate: number;
  duration: number;
  /** Drive this URL instead of starting the topology. */
  url?: string;
  concurrency?: number;
  log?: (line: string) => void;
  /** Progress output (default: a line per second on stderr). */
  progress?: (line: string) => void;
}

/** Runs one scenario and returns its summary (printing the progress and the summary). */
export async function runScenario(o: RunOptions): Promise<Summary> {
  const log = o.log ?? ((l: string) => console.log(l));
  const progress = o.progress ?? ((l: string) => process.stderr.write(process.stderr.isTTY ? `\r${l}\x1b[K` : `${l}\n`));
  const s = scenarioNamed(o.scenario);
  if (o.rate > s.maxRate) throw new Error(`--rate ${o.rate} is above scenario "${o.scenario}"'s maxRate ${s.maxRate}: its expected outcomes (hot key under its limit) would not hold`);
  const topology = o.url ? null : await startTopology(o.scenario, { concurrency: o.concurrency });
  const url = o.url ?? topology!.url;
  log(`== ${o.scenario}: ${s.about}\n   ${s.filters.join(" → ")} at ${url}, ${o.rate}/s for ${o.duration} s`);
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  let failed = 0;
  try {
    const results = await attack({
      url, scenario: o.scenario, rate: o.rate, duration: o.duration, run,
      onResult: (r) => { if (!resultPassed(o.scenario, run, r)) failed++; },
      onProgress: (done, total, t) => progress(`   ${o.scenario}: ${done}/${total} responses, ${failed} not as expected, ${t.toFixed(0)} s`),
    });
    if (process.stderr.isTTY && !o.progress) process.stderr.write("\n");
    const summary = summarize({ scenario: o.scenario, rate: o.rate, duration: o.duration, run, results });
    log(formatSummary(summary));
    return summary;
  } finally {
    await topology?.stop();
  }
}

const USAGE = `usage: npm run loadtest -- [--smoke] [--scenario NAME]... [--rate N] [--duration S] [--url URL]
                            [--concurrency N] [--json FILE] [--no-build] [--write-configs]
scenarios: ${Object.keys(SCENARIOS).join(", ")} (default: all; --smoke: ${SMOKE.scenario} at ${SMOKE.rate}/s for ${SMOKE.duration} s)`;

async function main() {
  if (process.argv.includes("--help") || process.argv.includes("-h")) { console.log(USAGE); return; }
  let parsed;
  try {
    parsed = parseArgs({
    options: {
      scenario: { type: "string", multiple: true },
      rate: { type: "string" },
      duration: { type: "string" },
      smoke: { type: "boolean" },
      url: { type: "string" },
      concurrency: { type: "string" },
      json: { type: "string" },
      "write-configs": { type: "boolean" },
      "no-build": { type: "boolean" },
    },
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values["write-configs"]) {
    const dir = join(projectRoot, "load", "envoy");
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(composeConfigs())) writeFileSync(join(dir, name), text);
    console.log(`wrote ${Object.keys(composeConfigs()).map((n) => `load/envoy/${n}`).join(", ")}`);
    return;
  }
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v.replace(/s$/, ""));
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name}: expected a positive whole number, got "${v}"`);
    return n;
  };
  const names = values.scenario ?? (values.smoke ? [SMOKE.scenario] : Object.keys(SCENARIOS));
  const plan = names.map((name) => {
    const s = scenarioNamed(name);
    const rate = num(values.rate, "rate") ?? (values.smoke ? SMOKE.rate : s.rate);
    if (rate > s.maxRate) throw new Error(`--rate ${rate} is above scenario "${name}"'s maxRate ${s.maxRate}: its expected outcomes (hot key under its limit) would not hold`);
    return { name, rate, duration: num(values.duration, "duration") ?? (values.smoke ? SMOKE.duration : s.duration) };
  });
  if (!values.url) {
    const { setupEnvoy } = await import("../scripts/setup-envoy.mjs");
    setupEnvoy({ quiet: true });
    if (!values["no-build"]) {
      const { build } = await import("../scripts/build.mjs");
      await build();
    }
  }
  const { ensureVegeta } = await import("../scripts/setup-load.mjs");
  ensureVegeta();
  const summaries: Summary[] = [];
  for (const { name, rate, duration } of plan) {
    summaries.push(await runScenario({
      scenario: name,
      rate,
      duration,
      url: values.url,
      concurrency: num(values.concurrency, "concurrency"),
    }));
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(summaries, null, 2) + "\n");
  const failed = summaries.filter((s) => !s.ok).map((s) => s.scenario);
  console.log(failed.length ? `\nloadtest: FAILED (${failed.join(", ")})` : `\nloadtest: ${summaries.length} scenario(s) passed`);
  process.exitCode = failed.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(`loadtest: ${e.message}`); process.exitCode = 1; });
}
