// Library errors (registry refused, layout corrupted, …) already say what went wrong and what to do;
// the commands turn them into CliErrors so the user sees that message, not a stack trace.
import { CliError } from "./command.js";

export async function asCliErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message);
  }
}
