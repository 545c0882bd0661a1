// The command table of `proxy-wasm-as`: one module per command in commands/, all of the Command shape.
import type { Command } from "./command.js";
import { command as build } from "./commands/build.js";
import { command as config } from "./commands/config.js";
import { command as devProxy } from "./commands/dev-proxy.js";
import { command as create } from "./commands/new.js";
import { command as run } from "./commands/run.js";
import { command as test } from "./commands/test.js";

export const commands: Record<string, Command> = {
  new: create,
  build,
  test,
  run,
  config,
  "dev-proxy": devProxy,
};
