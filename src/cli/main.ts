#!/usr/bin/env node
// proxy-wasm-as: the command line of the SDK — a project from a template, build, test, run in Envoy,
// configuration checks, the dev proxy. `proxy-wasm-as --help` lists the commands.
import { readFileSync } from "node:fs";
import { CliError, type Command } from "./command.js";
import { commands } from "./commands.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export function helpText(table: Record<string, Command> = commands): string {
  const width = Math.max(...Object.keys(table).map((n) => n.length));
  return [
    `proxy-wasm-as ${version} — Envoy filters in AssemblyScript (proxy-wasm ABI 0.2.1)`,
    "",
    "usage: proxy-wasm-as <command> [options]",
    "",
    "commands:",
    ...Object.entries(table).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "`proxy-wasm-as <command> --help` shows a command's options.",
    "Start here: `npx proxy-wasm-as new my-filter`.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const target = name === "help" ? rest[0] : undefined;
    if (target && commands[target]) console.log(commands[target].usage);
    else console.log(helpText());
    return 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(version);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`proxy-wasm-as: unknown command "${name}"\n  fix: one of ${Object.keys(commands).join(", ")} (\`proxy-wasm-as --help\`)`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`proxy-wasm-as ${name}: ${e.message}${e.fix ? `\n  fix: ${e.fix}` : ""}`);
      return e.exitCode;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(`proxy-wasm-as: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
