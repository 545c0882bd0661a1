// The command table of `proxy-wasm-as`: one module per command in commands/, all of the Command shape.
import type { Command } from "./command.js";
import { command as build } from "./commands/build.js";
import { command as config } from "./commands/config.js";
import { command as devProxy } from "./commands/dev-proxy.js";
import { command as create } from "./commands/new.js";
import { command as run } from "./commands/run.js";
import { command as test } from "./commands/test.js";
import { command as pkg } from "./commands/package.js";
import { command as pull } from "./commands/pull.js";
import { command as push } from "./commands/push.js";
import { command as validate } from "./commands/validate.js";

export const commands: Record<string, Command> = {
  new: create,
  build,
  test,
  run,
  config,
  "dev-proxy": devProxy,
  package: pkg,
  push,
  pull,
  validate,
};
