// Runs a CLI command in-process (from the command table, as src/cli/main.ts does) and captures
// what it prints; a CliError is printed as main prints it and gives its exit code.
import { CliError } from "../../../src/cli/command.js";
import { commands } from "../../../src/cli/commands.js";

export async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  for (const [k, v] of Object.entries(env)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  const [name, ...rest] = args;
  try {
    const code = await commands[name].run(rest);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    err.push(`proxy-wasm-as ${name}: ${e.message}${e.fix ? `\n  fix: ${e.fix}` : ""}`);
    return { code: e.exitCode, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
}
