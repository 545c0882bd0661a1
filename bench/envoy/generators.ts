// The two load generators, each run pinned to the generator's core:
//   wrk (Debian, Apache-2.0): closed loop — N connections each send the next request when the last
//     answer arrives, so the rate is the most Envoy serves (max throughput);
//   vegeta (MIT, built into .tools/bin by the load-test setup): open loop — requests leave at a fixed
//     arrival rate whether or not earlier ones were answered, so latency is not hidden by the
//     generator slowing down (no coordinated omission).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ClosedLoopResult { requests: number; seconds: number; rps: number; non2xx: number; socketErrors: number }
export interface OpenLoopResult {
  rate: number;
  requests: number;
  /** Share of responses with status 2xx. */
  success: number;
  /** Latency percentiles, µs. */
  p50: number; p90: number; p99: number; p999: number; max: number;
}

function run(cmd: string, args: string[], input?: string, timeoutMs = 120_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout!.on("data", (c) => { out += c; });
    child.stderr!.on("data", (c) => { err += c; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(new Error(`${cmd}: ${e.message}`)); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code: code ?? -1, out, err }); });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const pinned = (cpu: string | undefined, cmd: string, args: string[]): [string, string[]] => (cpu ? ["taskset", ["-c", cpu, cmd, ...args]] : [cmd, args]);

export interface ClosedLoopOptions { url: string; headers: Record<string, string>; seconds: number; connections: number; cpu?: string; wrk?: string }

/** wrk, one thread: `connections` keep-alive connections for `seconds`. */
export async function closedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  if (!Number.isInteger(o.seconds) || o.seconds < 1) throw new Error(`wrk runs for whole seconds (got ${o.seconds})`);
  const args = ["-t1", `-c${o.connections}`, `-d${o.seconds}s`, "--timeout", "5s"];
  for (const [k, v] of Object.entries(o.headers)) args.push("-H", `${k}: ${v}`);
  args.push(o.url);
  const [cmd, full] = pinned(o.cpu, o.wrk ?? "wrk", args);
  const r = await run(cmd, full, undefined, (o.seconds + 30) * 1000);
  if (r.code !== 0) throw new Error(`wrk exited with ${r.code}: ${(r.err || r.out).trim().split("\n").slice(-3).join(" | ")}`);
  return parseWrk(r.out);
}

export function parseWrk(out: string): ClosedLoopResult {
  const m = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(out);
  if (!m) throw new Error(`wrk: no "N requests in T" line in its output:\n${out}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[m[3] as "us" | "ms" | "s" | "m"];
  const requests = Number(m[1]), seconds = Number(m[2]) * unit;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requests, seconds, rps: requests / seconds, non2xx, socketErrors };
}

export interface OpenLoopOptions { url: string; headers: Record<string, string>; rate: number; seconds: number; cpu?: string; vegeta: string }

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** vegeta attack at a constant rate; percentiles computed here from every result (vegeta's report stops at p99). */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-vegeta-"));
  try {
    const targets = [`GET ${o.url}`, ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`)].join("\n") + "\n";
    const targetsFile = join(dir, "targets.txt"), results = join(dir, "results.bin");
    writeFileSync(targetsFile, targets);
    const [cmd, args] = pinned(o.cpu, o.vegeta, ["attack", `-rate=${o.rate}/1s`, `-duration=${o.seconds}s`, `-targets=${targetsFile}`,
      "-timeout=5s", "-keepalive=true", `-output=${results}`]);
    const a = await run(cmd, args, undefined, (o.seconds + 30) * 1000);
    if (a.code !== 0) throw new Error(`vegeta attack exited with ${a.code}: ${a.err.trim()}`);
    const e = await run(o.vegeta, ["encode", "--to", "json", results]);
    if (e.code !== 0) throw new Error(`vegeta encode exited with ${e.code}: ${e.err.trim()}`);
    const lat: number[] = [];
    let ok = 0;
    for (const line of e.out.split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line) as { code: number; latency: number };
      lat.push(r.latency / 1000);
      if (r.code >= 200 && r.code < 300) ok++;
    }
    lat.sort((x, y) => x - y);
    return { rate: o.rate, requests: lat.length, success: lat.length ? ok / lat.length : 0,
      p50: quantile(lat, 0.5), p90: quantile(lat, 0.9), p99: quantile(lat, 0.99), p999: quantile(lat, 0.999), max: lat[lat.length - 1] ?? NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when the command runs and exits 0 (a clear error before a long run). */
export async function toolRuns(cmd: string, args: string[]): Promise<boolean> {
  try { return (await run(cmd, args, undefined, 10_000)).code === 0; } catch { return false; }
}
