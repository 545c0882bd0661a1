// Running a tool with its output shown as it comes and kept for parsing.
import { spawn } from "node:child_process";

export function runTee(cmd: string, args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; text: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  // Set when we run inside someone's node --test: a child `node --test` would then skip every file.
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (c) => { text += c; process.stdout.write(c); });
    child.stderr.on("data", (c) => { text += c; process.stderr.write(c); });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, text }));
  });
}

export const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
