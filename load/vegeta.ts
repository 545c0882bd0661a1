// Drives vegeta (open loop: a constant arrival rate) with a scenario's request mix and streams its
// per-response results back: `vegeta attack` → `vegeta encode --to json`, one JSON line per response
// with status, latency, timestamp and response headers.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { toolPath } from "../scripts/lib/setup-tools.mjs";
import { mixSequence, requestFor, scenarioNamed } from "./scenarios.js";

export interface Sent { method: string; path: string; headers: Record<string, string> }

/** One vegeta result, with what was sent. */
export interface Result {
  seq: number;
  /** 0 when there was no response (error says why). */
  code: number;
  /** Start of the request, ms since the epoch. */
  startMs: number;
  latencyMs: number;
  error: string;
  /** Lower-cased names, values joined with ", ". */
  headers: Record<string, string>;
  url: string;
}

export interface AttackOptions {
  /** Base URL of the front Envoy, e.g. http://127.0.0.1:10000 */
  url: string;
  scenario: string;
  /** Requests per second (constant arrival rate). */
  rate: number;
  /** Seconds. */
  duration: number;
  /** Makes rate-limit keys unique to this run. */
  run: string;
  /** Called about once a second with the results so far. */
  onProgress?: (done: number, total: number, elapsedS: number) => void;
  /** Called with each result as it arrives. */
  onResult?: (r: Result) => void;
  vegeta?: string;
}

/** The requests of a run, in order: rate × duration of them, in the scenario's mix. */
export function plannedRequests(scenario: string, count: number, run: string): { cls: string; req: Sent }[] {
  const s = scenarioNamed(scenario);
  return mixSequence(s, count).map((cls: { name: string }, n: number) => ({ cls: cls.name, req: requestFor(scenario, cls, n, run) }));
}

/** vegeta's JSON target format: one target per line. */
export function targetsJson(base: string, reqs: { req: Sent }[]): string {
  return reqs.map(({ req }) => JSON.stringify({
    method: req.method,
    url: new URL(req.path, base).href,
    header: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, [v]])),
  })).join("\n") + "\n";
}

interface VegetaLine {
  seq: number; code: number; timestamp: string; latency: number; error: string; url: string;
  headers: Record<string, string[]> | null;
}

/** Runs one attack and resolves with every result (in arrival order). */
export async function attack(o: AttackOptions): Promise<Result[]> {
  const total = Math.max(1, Math.round(o.rate * o.duration));
  const dir = mkdtempSync(join(tmpdir(), "loadtest-"));
  const targets = join(dir, "targets.json");
  writeFileSync(targets, targetsJson(o.url, plannedRequests(o.scenario, total, o.run)));
  const vegeta = o.vegeta ?? toolPath("vegeta");
  const args = [
    "attack", "-targets", targets, "-format", "json", "-name", o.scenario,
    "-rate", `${o.rate}/1s`, "-duration", `${total / o.rate}s`, "-timeout", "10s",
  ];
  const atk = spawn(vegeta, args, { stdio: ["ignore", "pipe", "pipe"] });
  const enc = spawn(vegeta, ["encode", "--to", "json"], { stdio: ["pipe", "pipe", "pipe"] });
  atk.stdout.pipe(enc.stdin);
  let stderr = "";
  atk.stderr.on("data", (c) => { stderr += c; });
  enc.stderr.on("data", (c) => { stderr += c; });
  const results: Result[] = [];
  const started = Date.now();
  const timer = o.onProgress ? setInterval(() => o.onProgress!(results.length, total, (Date.now() - started) / 1000), 1000) : null;
  const failed = (p: ChildProcess, name: string) => new Promise<void>((resolve, reject) => {
    p.once("error", (e) => reject(new Error(`${name}: ${e.message} (run \`node scripts/setup-load.mjs\` to build vegeta)`)));
    p.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}: ${stderr.trim().slice(-500)}`))));
  });
  try {
    const lines = createInterface({ input: enc.stdout });
    const done = Promise.all([failed(atk, "vegeta attack"), failed(enc, "vegeta encode")]);
    for await (const line of lines) {
      if (!line) continue;
      const r = JSON.parse(line) as VegetaLine;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v.join(", ");
      const result: Result = { seq: r.seq, code: r.code, startMs: Date.parse(r.timestamp), latencyMs: r.latency / 1e6, error: r.error, headers, url: r.url };
      results.push(result);
      o.onResult?.(result);
    }
    await done;
  } finally {
    if (timer) clearInterval(timer);
    atk.kill(); enc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  o.onProgress?.(results.length, total, (Date.now() - started) / 1000);
  return results;
}
