// Redis (Debian's redis-server) on a free loopback port, without persistence: the counter store of
// the rate-limit service in tests and benchmarks. Queries go through redis-cli (same package).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { launch, waitUntil } from "./process.js";

export interface Redis {
  port: number;
  /** host:port, the form REDIS_URL takes. */
  address: string;
  pid: number;
  /** Runs one command (redis-cli argument list) and returns its raw output lines. */
  command(...args: string[]): string[];
  /** Every key matching `pattern` with its integer value (the service's counters). */
  counters(pattern?: string): Record<string, number>;
  flush(): void;
  stop(): Promise<void>;
}

function which(cmd: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} not found: run \`node scripts/setup-ratelimit.mjs\` (installs Debian's redis-server)`);
  return r.stdout.trim();
}

/** Starts Redis; a port taken between choosing and binding it (other processes start servers too) is retried. */
export async function startRedis(attempts = 3): Promise<Redis> {
  for (let i = 1; ; i++) {
    try {
      return await startRedisOnce();
    } catch (e) {
      if (i >= attempts || !/in use|exited during start-up/i.test(String(e))) throw e;
    }
  }
}

async function startRedisOnce(): Promise<Redis> {
  const server = which("redis-server");
  const cli = which("redis-cli");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "redis-"));
  const svc = launch(server, [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
    "--protected-mode", "yes", "--daemonize", "no",
  ], {}, join(dir, "redis.log"));
  const command = (...args: string[]) => {
    const r = spawnSync(cli, ["-h", "127.0.0.1", "-p", String(port), "--raw", ...args], { encoding: "utf8", timeout: 5000 });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
    return r.stdout.split("\n").filter((l) => l.length);
  };
  try {
    await waitUntil("redis-server", svc, async () => command("PING")[0] === "PONG");
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    pid: svc.pid,
    command,
    counters(pattern = "*") {
      const out: Record<string, number> = {};
      for (const key of command("--scan", "--pattern", pattern)) out[key] = Number(command("GET", key)[0] ?? 0);
      return out;
    },
    flush() { command("FLUSHALL"); },
    async stop() { await svc.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}
