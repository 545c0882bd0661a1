// Envoy provides no env.abort: asc routes abort here (--use abort=assembly/sdk/abort/proxy_abort).
// Log at critical level, then exit through WASI so the host sees a clean VM failure (failure_policy
// applies). Self-contained on purpose: it may run while globals are still being initialised.
import { proxy_log, wasi_proc_exit } from "./imports";

export function proxy_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = "abort: " + (message === null ? "" : message) + " at " + (fileName === null ? "?" : fileName) +
    ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(5, changetype<usize>(bytes), <usize>bytes.byteLength);
  wasi_proc_exit(255);
  unreachable();
}
