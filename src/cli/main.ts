#!/usr/bin/env node
// proxy-wasm-as: the project's command line. `proxy-wasm-as help` lists the commands.
import { UsageError } from "./command.js";
import { commands } from "./commands.js";

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return ["usage: proxy-wasm-as <command> [options]", "", "commands:",
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    "", "proxy-wasm-as <command> --help shows a command's options."].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") { console.log(help()); return name ? 0 : 2; }
  const cmd = commands[name];
  if (!cmd) { console.error(`proxy-wasm-as: unknown command "${name}"\n\n${help()}`); return 2; }
  if (args.includes("--help") || args.includes("-h")) { console.log(cmd.usage); return 0; }
  try {
    return await cmd.run(args);
  } catch (e: any) {
    if (e instanceof UsageError) { console.error(`proxy-wasm-as ${name}: ${e.message}\n\n${cmd.usage}`); return 2; }
    console.error(`proxy-wasm-as ${name}: ${e?.message ?? e}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
