// Argument parsing for the commands: node:util parseArgs, with its errors turned into usage errors.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
export type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>;

export function parse<T extends Options>(args: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e: any) {
    throw new UsageError(e.message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}
