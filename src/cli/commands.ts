// The command table: `proxy-wasm-as <name> …` runs commands[name].
import type { Command } from "./command.js";
import { command as pkg } from "./commands/package.js";
import { command as pull } from "./commands/pull.js";
import { command as push } from "./commands/push.js";
import { command as validate } from "./commands/validate.js";

export const commands: Record<string, Command> = {
  package: pkg,
  push,
  pull,
  validate,
};
