// A child process for a test service: its output goes to a log file, it is killed if this Node process
// exits first, and stop() ends it by its own PID (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";

const live = new Set<ChildProcess>();
process.once("exit", () => { for (const c of live) c.kill("SIGKILL"); });

export interface Service {
  pid: number;
  log(): string;
  /** True once the process has exited. */
  exited(): boolean;
  stop(): Promise<void>;
}

export function launch(cmd: string, args: string[], env: Record<string, string>, logPath: string): Service {
  const fd = openSync(logPath, "a");
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  live.add(child);
  let done = false;
  const exit = new Promise<void>((resolve) => {
    const end = () => { done = true; live.delete(child); resolve(); };
    child.once("exit", end);
    child.once("error", end);
  });
  return {
    pid: child.pid ?? 0,
    log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
    exited: () => done,
    async stop() {
      if (done) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** Polls `ready` every 25 ms until it resolves true; throws with `what` and the log tail after timeoutMs. */
export async function waitUntil(what: string, svc: Service, ready: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (svc.exited()) throw new Error(`${what} exited during start-up:\n${svc.log().trim().split("\n").slice(-10).join("\n")}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > end) {
      await svc.stop();
      throw new Error(`${what} not ready after ${timeoutMs} ms:\n${svc.log().trim().split("\n").slice(-10).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
