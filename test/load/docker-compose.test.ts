// docker-compose.yaml for real: a Docker daemon (started here when none runs, and stopped again),
// the Envoy image it names built locally from the official image's binary (no registry), the stack
// up with host networking on free loopback ports, the native runner's smoke scenario through it,
// then everything torn down. k6 is not run (AGPL): the vegeta smoke run stands in for it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { projectRoot, request } from "../../src/envoy/index.js";
import { PORTS, SMOKE } from "../../load/scenarios.js";
import { composeConfigs } from "../../load/topology.js";
import { ensureDaemon, ensureEnvoyImage, type Daemon } from "../../load/docker.js";
import { runScenario } from "../../load/run.js";

/**
 * Free loopback ports below Linux's ephemeral range (32768+), so no port an Envoy or a client picks
 * for itself in the meantime can take them before the containers bind them.
 */
async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (out.includes(port)) continue;
    const s = createServer();
    const ok = await new Promise<boolean>((r) => { s.once("error", () => r(false)); s.listen(port, "127.0.0.1", () => r(true)); });
    if (ok) { out.push(port); await new Promise((r) => s.close(r)); }
  }
  return out;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("docker-compose.yaml: the stack in Docker, driven by the smoke scenario", { timeout: 900_000 }, () => {
  let daemon: Daemon | undefined;
  let configDir = "";
  let env: Record<string, string> = {};
  const project = `pwa-load-${process.pid}`;
  const started = Date.now();
  const compose = (...args: string[]) => {
    const r = spawnSync("docker-compose", ["-p", project, "-f", join(projectRoot, "docker-compose.yaml"), ...args], {
      cwd: projectRoot, encoding: "utf8", env: { ...process.env, ...env }, timeout: 300_000,
    });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  };
  let ports: typeof PORTS;

  before(async () => {
    const log = (m: string) => console.log(`# docker: ${m}`);
    daemon = await ensureDaemon(log);
    const image = await ensureEnvoyImage(daemon.env, log);
    log(`${image.built ? "built" : "reused"} ${image.tag} → envoyproxy/envoy:v1.40.0 (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const [envoy, admin, stable, gray, stableAdmin, grayAdmin] = await freePorts(6);
    ports = { envoy, admin, stable, gray, stableAdmin, grayAdmin };
    configDir = mkdtempSync(join(tmpdir(), "load-compose-"));
    for (const [name, text] of Object.entries(composeConfigs(ports))) writeFileSync(join(configDir, name), text);
    env = { ...daemon.env, LOAD_CONFIG_DIR: configDir, LOAD_SCENARIO: SMOKE.scenario, LOAD_ENVOY_PORT: String(ports.envoy) };
    const up = compose("up", "-d", "upstream-stable", "upstream-gray", "envoy");
    assert.equal(up.code, 0, `docker-compose up failed:\n${up.out}`);
  });

  after(async () => {
    if (env.LOAD_CONFIG_DIR) {
      const logs = compose("logs", "--no-color", "--tail", "20");
      const down = compose("down", "-t", "5");
      if (down.code !== 0) console.log(`# docker-compose down failed:\n${down.out}\n${logs.out}`);
    }
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    await daemon?.stop();
    console.log(`# docker: whole test ${((Date.now() - started) / 1000).toFixed(1)} s${daemon?.started ? " (dockerd started and stopped here)" : ""}`);
  });

  test("the containers serve both lanes, and the smoke scenario passes through them", async () => {
    const url = `http://127.0.0.1:${ports.envoy}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const gray = await request(url, "/", { headers: { "x-mesh-tag": "gray" }, timeoutMs: 2000 }).catch(() => null);
      const stable = await request(url, "/", { timeoutMs: 2000 }).catch(() => null);
      if (gray?.headers["x-upstream"] === "gray" && stable?.headers["x-upstream"] === "stable") break;
      if (Date.now() > deadline) assert.fail(`the stack did not answer on both lanes in 60 s:\n${compose("logs", "--no-color", "--tail", "30").out}`);
      await delay(250);
    }
    // The answers come from the containers (docker-compose reports the three services running).
    const ps = compose("ps", "--services", "--filter", "status=running");
    assert.deepEqual(ps.out.trim().split("\n").sort(), ["envoy", "upstream-gray", "upstream-stable"], ps.out);
    const summary = await runScenario({ url, scenario: SMOKE.scenario, rate: SMOKE.rate, duration: SMOKE.duration, log: (l) => console.log(l.replace(/^/gm, "# ")), progress: () => {} });
    assert.ok(summary.ok, "the smoke scenario failed through docker-compose (summary above)");
    assert.ok(summary.classes.every((c) => c.requests > 0 && c.passed === c.requests));
  });
});
