// The shape of a CLI command: `proxy-wasm-as <name> …` looks it up in commands.ts and calls run().
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface Command {
  /** One line for `proxy-wasm-as --help`. */
  summary: string;
  /** The full help text of `proxy-wasm-as <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** An error the user can fix: printed as `proxy-wasm-as <cmd>: <message>` plus what to do, exit code 1 (2 for usage). */
export class CliError extends Error {
  constructor(message: string, readonly fix?: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

export function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with its errors turned into a usage error that points at --help. */
export function parse(command: string, args: string[], options: Options, positionals = true): {
  /** Strings for `type: "string"` options, booleans for flags, undefined when absent. */
  values: Record<string, any>;
  positionals: string[];
} {
  try {
    const r = parseArgs({ args, options, allowPositionals: positionals, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    throw new CliError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ""), `see \`proxy-wasm-as ${command} --help\``, 2);
  }
}
