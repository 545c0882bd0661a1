// Runs a real Envoy: renders the bootstrap, starts it on free loopback ports, waits on the admin
// /ready endpoint (never a fixed sleep), captures its log to a file, and always stops it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envoyPath } from "./binary.js";
import { bootstrap, isWasmFilter, modulePath, type BootstrapOptions, type ClusterTarget } from "./bootstrap.js";
import { toYaml } from "./yaml.js";
import { request } from "./http.js";

export interface EnvoyOptions extends Omit<BootstrapOptions, "clusters"> {
  /** Upstream clusters by name: anything with a port (a started Upstream works). */
  upstreams?: Record<string, ClusterTarget>;
  /** Worker threads (default 1). Each worker has its own Wasm VM. */
  concurrency?: number;
  /** Envoy's log level (default "info"); plugin logs go to the "wasm" component. */
  logLevel?: string;
  /** e.g. "wasm:debug" (default "wasm:info"). */
  componentLogLevel?: string;
  /** How long to wait for /ready (default 20 s). */
  startTimeoutMs?: number;
  /** Keep the work directory (config + log) after stop() for inspection. */
  keepWorkDir?: boolean;
}

export interface Envoy {
  /** http://127.0.0.1:<listener port> */
  url: string;
  port: number;
  adminUrl: string;
  workDir: string;
  configPath: string;
  logPath: string;
  pid: number;
  /** Envoy's log so far. */
  log(): string;
  /** Resolves with the log once `pattern` appears in it; rejects after timeoutMs (default 5 s). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Counter/gauge values from the admin /stats endpoint whose names contain `filter`. */
  stats(filter?: string): Promise<Record<string, number>>;
  /** Stops Envoy (SIGTERM, then SIGKILL after 5 s); safe to call twice. Resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Envoy processes started here that are still running: killed if this Node process exits first. */
const live = new Set<ChildProcess>();
const killAll = () => { for (const c of live) c.kill("SIGKILL"); };
process.once("exit", killAll);
let signalsHooked = false;
/** A Ctrl-C or kill of a process that has no signal handlers of its own must not leave Envoy behind. */
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    if (process.listenerCount(sig) === 0) process.once(sig, () => { killAll(); process.exit(code); });
  }
}

/** Envoy's [error] and [critical] lines, the first few. */
export function errorLines(log: string, max = 10): string[] {
  return log.split("\n").filter((l) => /\]\[(critical|error)\]\[/.test(l)).slice(0, max);
}

/** The log's error lines, then its last lines (minus the long start-up list of extensions). */
function tail(text: string, lines = 15): string {
  const all = text.trimEnd().split("\n").filter((l) => !l.includes("server.cc:467]"));
  const errors = errorLines(text);
  return [...errors, ...(errors.length ? ["..."] : []), ...all.slice(-lines)].join("\n");
}

/** Envoy did not become ready; `errors` holds its error lines (the message has more of the log). */
export class EnvoyStartError extends Error {
  constructor(message: string, readonly errors: string[]) { super(message); this.name = "EnvoyStartError"; }
}

function launch(opts: EnvoyOptions) {
  for (const f of opts.filters.filter(isWasmFilter)) {
    const path = modulePath(f.module);
    if (!existsSync(path)) throw new Error(`${path} not found: run \`npm run build\` first`);
  }
  const workDir = mkdtempSync(join(tmpdir(), "envoy-e2e-"));
  const configPath = join(workDir, "envoy.yaml");
  const logPath = join(workDir, "envoy.log");
  const adminAddressPath = join(workDir, "admin-address");
  writeFileSync(configPath, toYaml(bootstrap({ ...opts, clusters: opts.upstreams ?? {} })));
  const fd = openSync(logPath, "a");
  const args = [
    "-c", configPath,
    "--concurrency", String(opts.concurrency ?? 1),
    "--disable-hot-restart",
    "--admin-address-path", adminAddressPath,
    "-l", opts.logLevel ?? "info",
    "--component-log-level", opts.componentLogLevel ?? "wasm:info",
    "--drain-time-s", "0",
    "--parent-shutdown-time-s", "1",
  ];
  hookSignals();
  const child = spawn(envoyPath(), args, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => { live.delete(child); resolve({ code, signal }); });
    child.once("error", () => { live.delete(child); resolve({ code: -1, signal: null }); });
  });
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  return { child, exited, workDir, configPath, logPath, adminAddressPath, log };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves with `p`'s value, or null after ms; the timer never keeps the process alive. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<null>((r) => setTimeout(r, ms, null).unref())]);

// Admin calls use a fresh connection each (fetch's pooled sockets would keep the test process alive).
const getText = (url: string, timeoutMs = 2000) => request(url, "", { timeoutMs });

/** Starts Envoy and resolves once it is ready to serve; rejects (with the log tail) if it is not. */
export async function startEnvoy(opts: EnvoyOptions): Promise<Envoy> {
  const p = launch(opts);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  p.exited.then((e) => { exit = e; });
  let stopped: Promise<number | null> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      if (!exit) {
        p.child.kill("SIGTERM");
        const done = await within(p.exited, 5000);
        if (!done) { p.child.kill("SIGKILL"); await p.exited; }
      }
      if (!opts.keepWorkDir) rmSync(p.workDir, { recursive: true, force: true });
      return (await p.exited).code;
    })();
    return stopped;
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  let adminUrl = "";
  let port = 0;
  try {
    // The admin address file appears once the admin listener is bound; then poll /ready.
    for (;;) {
      if (exit) throw new Error(`Envoy exited during start-up (code ${(exit as { code: number | null }).code})`);
      if (Date.now() > deadline) throw new Error(`Envoy not ready after ${opts.startTimeoutMs ?? 20_000} ms`);
      if (!adminUrl && existsSync(p.adminAddressPath)) {
        const addr = readFileSync(p.adminAddressPath, "utf8").trim();
        if (addr) adminUrl = `http://${addr}`;
      }
      if (adminUrl) {
        const ready = await getText(`${adminUrl}/ready`).catch(() => null);
        if (ready?.status === 200) break;
      }
      await delay(25);
    }
    const listeners = JSON.parse((await getText(`${adminUrl}/listeners?format=json`)).body);
    port = listeners.listener_statuses?.[0]?.local_address?.socket_address?.port_value ?? 0;
    if (!port) throw new Error("Envoy is ready but reported no listener port");
  } catch (e) {
    const log = p.log();
    await stop();
    throw new EnvoyStartError(`${(e as Error).message}\n--- envoy log (last lines) ---\n${tail(log)}`, errorLines(log));
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl,
    workDir: p.workDir,
    configPath: p.configPath,
    logPath: p.logPath,
    pid: p.child.pid ?? 0,
    log: p.log,
    async waitForLog(pattern, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const text = p.log();
        if (pattern.test(text)) return text;
        if (Date.now() > end) throw new Error(`no ${pattern} in Envoy's log after ${timeoutMs} ms\n${tail(text)}`);
        await delay(25);
      }
    },
    async stats(filter = "") {
      const { body } = await getText(`${adminUrl}/stats?format=json&filter=${encodeURIComponent(filter)}`);
      const out: Record<string, number> = {};
      for (const s of JSON.parse(body).stats ?? []) if (typeof s.value === "number") out[s.name] = s.value;
      return out;
    },
    stop,
  };
}

/**
 * Starts Envoy with a config it is expected to refuse and returns its exit code and log. Throws if
 * Envoy becomes ready instead (stopping it first).
 */
export async function expectEnvoyToFail(opts: EnvoyOptions, timeoutMs = 20_000): Promise<{ code: number | null; log: string }> {
  const p = launch(opts);
  let exit: { code: number | null } | null = null;
  p.exited.then((e) => { exit = e; });
  const deadline = Date.now() + timeoutMs;
  let problem = "";
  while (!exit) {
    if (Date.now() > deadline) { problem = `Envoy neither exited nor became ready in ${timeoutMs} ms`; break; }
    const addr = existsSync(p.adminAddressPath) ? readFileSync(p.adminAddressPath, "utf8").trim() : "";
    if (addr && (await getText(`http://${addr}/ready`).catch(() => null))?.status === 200) {
      problem = "Envoy accepted the config and became ready; expected it to refuse";
      break;
    }
    await delay(25);
  }
  if (problem) { p.child.kill("SIGKILL"); }
  const { code } = await p.exited;
  const log = p.log();
  rmSync(p.workDir, { recursive: true, force: true });
  if (problem) throw new Error(`${problem}\n${tail(log)}`);
  return { code, log };
}
