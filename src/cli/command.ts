// One CLI command: a one-line summary, its usage text, and run(args) → exit status.
export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

/** A usage error: the message says what to do; main prints it with the command's usage. */
export class UsageError extends Error {}
