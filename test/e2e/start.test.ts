// `npm start` as a user runs it: the demo comes up, prints a URL and curl lines that work, and a
// Ctrl-C stops everything. Without Envoy it falls back to the dev proxy and says so.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot, request } from "./lib/index.js";

/** Runs scripts/start.mjs --no-build until it prints `ready`, then hands its output to `use` and stops it with SIGINT. */
async function withStart(env: Record<string, string>, use: (out: string) => Promise<void>, args: string[] = []) {
  const child = spawn(process.execPath, [join(projectRoot, "scripts", "start.mjs"), "--no-build", ...args], {
    cwd: projectRoot, env: { ...process.env, PORT: "0", ADMIN_PORT: "0", CONCURRENCY: "1", ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => { out += c; });
  child.stderr.on("data", (c) => { out += c; });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!/Ctrl-C stops/.test(out)) {
      if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`npm start not ready after 60 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await use(out);
  } finally {
    if (child.exitCode === null) child.kill("SIGINT");
  }
  const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(r, 10_000, "timeout").unref())]);
  if (code === "timeout") { child.kill("SIGKILL"); assert.fail(`npm start did not stop on SIGINT:\n${out}`); }
  return { code, out };
}

const listener = (out: string) => /listener\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? assert.fail(`no listener URL in:\n${out}`);

describe("npm start", () => {
  test("serves the demo in Envoy, every printed check passes, Ctrl-C stops Envoy", async () => {
    let envoyPid = 0;
    const { code, out } = await withStart({}, async (out) => {
      assert.match(out, /Envoy 1\.40\.0 \(V8 Wasm runtime\) is serving the demo/);
      assert.doesNotMatch(out, /✗/);
      assert.ok((out.match(/✓/g) ?? []).length >= 4);
      const url = listener(out);
      const res = await request(url, "/admin/x");
      assert.equal(res.status, 403);
      assert.equal(res.headers["server"], "envoy");
      envoyPid = Number(/log\s+\S+envoy\.log\s+\(Envoy pid (\d+)\)/.exec(out)?.[1]);
      process.kill(envoyPid, 0); // running now
    });
    assert.equal(code, 0, out);
    assert.match(out, /SIGINT: stopping Envoy and the demo upstreams/);
    assert.ok(envoyPid > 0);
    assert.throws(() => process.kill(envoyPid, 0), /ESRCH/, "Envoy is gone");
  });

  test("without Envoy: says why and falls back to the dev proxy", async () => {
    const { code, out } = await withStart({ ENVOY: "/nonexistent/envoy" }, async (out) => {
      assert.match(out, /No usable Envoy: Envoy binary not found or not executable: \/nonexistent\/envoy/);
      assert.match(out, /DEVELOPMENT HOST/);
      const res = await request(listener(out), "/admin/x");
      assert.equal(res.status, 403);
      assert.notEqual(res.headers["server"], "envoy");
    });
    assert.equal(code, 0, out);
  });

  test("--lanes: prints the path of a gray and a baseline user through A → B → C, each checked; Ctrl-C stops every Envoy", async () => {
    let admins: string[] = [];
    const { code, out } = await withStart({ LANES_PORT: "0" }, async (out) => {
      assert.match(out, /✓ a gray user \(user-id % 100 == 20\): a-gray → b-baseline → c-gray/);
      assert.match(out, /✓ a baseline user: a-baseline → b-baseline → c-baseline/);
      assert.match(out, /✓ users 1–1000 through the gateway: \d+ gray/);
      assert.match(out, /✓ with C-gray down \(its app stopped\), the gray user: a-gray → b-baseline → c-baseline/);
      assert.match(out, /C-gray is back: a-gray → b-baseline → c-gray/);
      assert.doesNotMatch(out, /✗/);
      const gateway = /gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? assert.fail(out);
      const res = await request(gateway, "/", { headers: { "user-id": "120" } });
      assert.deepEqual(JSON.parse(res.body).hops.map((h: { version: string }) => h.version), ["gray", "baseline", "gray"]);
      admins = [...out.matchAll(/admin (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1]);
      assert.equal(admins.length, 6, "a gateway and five sidecars");
      for (const a of admins) assert.equal((await request(a, "/ready")).status, 200);
    }, ["--lanes"]);
    assert.equal(code, 0, out);
    assert.match(out, /SIGINT: stopping the Envoys and the lane apps/);
    for (const a of admins) await assert.rejects(request(a, "/ready", { timeoutMs: 2000 }), /ECONNREFUSED/, `${a} still answers`);
  });
});
