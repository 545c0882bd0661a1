// push/pull against a real registry (Debian docker-registry = CNCF distribution) on 127.0.0.1,
// checked by a client nobody here wrote (skopeo): anonymous over plain HTTP, Basic auth (htpasswd),
// Bearer tokens (distribution's token auth), and TLS.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packageModule, readLayout, type Packaged } from "../../src/oci/index.js";
import { cli } from "./lib/cli.js";
import { startRegistry, type RegistryHarness } from "./lib/registry.js";

const execFileP = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "oci-registry-"));
const FILTERS = ["trace-id", "tagging", "rate-limit"];
const images: Record<string, Packaged> = {};
before(async () => {
  for (const m of FILTERS) images[m] = await packageModule(`build/${m}.wasm`, { outDir: join(tmp, "oci"), tag: "0.1.0" });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** skopeo, asynchronously: the token service of the bearer test runs in this process. */
async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await execFileP("skopeo", args, { timeout: 60_000 }).catch((e) => {
    throw new Error(`skopeo ${args.join(" ")}: ${e.stderr ?? e.message}`);
  });
  return stdout;
}
const skopeoDigest = async (...args: string[]) => JSON.parse(await skopeo("inspect", ...args)).Digest;

describe("registry, anonymous, plain HTTP on loopback", () => {
  let reg: RegistryHarness;
  before(async () => { reg = await startRegistry(); });
  after(() => reg?.stop());

  test("push each filter; skopeo and our pull read back the same digest and the same module", async () => {
    for (const m of FILTERS) {
      const ref = `${reg.host}/wasm/${m}:0.1.0`;
      const r = await cli(["push", images[m].dir, ref]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `${ref}@${images[m].digest}`);
      assert.match(r.err, /layer +sha256:[0-9a-f]{12}.*100%/, "progress lines");
      assert.match(r.err, /manifest .* pushed as/);
      assert.equal(await skopeoDigest("--tls-verify=false", `docker://${ref}`), images[m].digest, `skopeo inspect ${m}`);
      const wasmOut = join(tmp, `pulled-${m}.wasm`);
      const p = await cli(["pull", ref, "--wasm", wasmOut, "--out", join(tmp, "pulled")]);
      assert.equal(p.code, 0, p.err);
      assert.match(p.out, new RegExp(`^${images[m].digest} `));
      assert.deepEqual(readFileSync(wasmOut), readFileSync(`build/${m}.wasm`));
      assert.equal((await readLayout(join(tmp, "pulled", m))).image.digest, images[m].digest);
    }
  });

  test("skopeo copies our image out (to an OCI layout) and in (from our .tar); digests agree both ways", async () => {
    const ref = `${reg.host}/wasm/tagging:0.1.0`;
    await cli(["push", images.tagging.tar, ref]);
    await skopeo("copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${join(tmp, "skopeo-out")}:0.1.0`);
    assert.equal((await readLayout(join(tmp, "skopeo-out"), "0.1.0")).image.digest, images.tagging.digest);
    const other = `${reg.host}/mirror/tagging:copied`;
    await skopeo("copy", "--dest-tls-verify=false", `oci-archive:${images.tagging.tar}:0.1.0`, `docker://${other}`);
    const p = await cli(["pull", other]);
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, new RegExp(`^${images.tagging.digest} `));
  });

  test("a second push finds the blobs there; pull by digest; pull of a missing tag says so", async () => {
    const ref = `${reg.host}/wasm/trace-id:0.1.0`;
    await cli(["push", images["trace-id"].dir, ref]);
    const again = await cli(["push", images["trace-id"].dir, `${reg.host}/wasm/trace-id:0.1.1`]);
    assert.match(again.err, /layer .* already there/);
    const byDigest = await cli(["pull", `${reg.host}/wasm/trace-id@${images["trace-id"].digest}`]);
    assert.equal(byDigest.code, 0, byDigest.err);
    const missing = await cli(["pull", `${reg.host}/wasm/trace-id:9.9.9`]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /trace-id:9\.9\.9 not found \(push it first/);
    const pinnedWrong = await cli(["push", images.tagging.dir, `${reg.host}/wasm/tagging@${images["trace-id"].digest}`]);
    assert.equal(pinnedWrong.code, 1);
    assert.match(pinnedWrong.err, /pins sha256:.* but the image is sha256:/);
  });

  test("push of a module name packages it on the fly (same digest as package)", async () => {
    const r = await cli(["push", "rate-limit", `${reg.host}/wasm/rate-limit:direct`, "-q"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    assert.ok(r.out.endsWith(images["rate-limit"].digest));
  });
});

describe("registry with Basic auth (htpasswd)", () => {
  let reg: RegistryHarness;
  before(async () => { reg = await startRegistry({ auth: { kind: "basic", username: "ci", password: "s3cret-pw" } }); });
  after(() => reg?.stop());

  test("without credentials the push fails and says how to give them", async () => {
    const r = await cli(["push", images["trace-id"].dir, `${reg.host}/wasm/trace-id:0.1.0`], { REGISTRY_USERNAME: undefined });
    assert.equal(r.code, 1);
    assert.match(r.err, /asks for a user name and password \(Basic auth\): pass --username and --password-stdin/);
  });

  test("--username with --password-stdin (a real process) pushes; skopeo --creds reads the same digest", async () => {
    const ref = `${reg.host}/wasm/trace-id:0.1.0`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "push", images["trace-id"].dir, ref, "--username", "ci", "--password-stdin"],
      { input: "s3cret-pw\n", encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${ref}@${images["trace-id"].digest}`);
    assert.equal(await skopeoDigest("--tls-verify=false", "--creds", "ci:s3cret-pw", `docker://${ref}`), images["trace-id"].digest);
  });

  test("a wrong password is refused with a message naming the fix", async () => {
    const r = await cli(["pull", `${reg.host}/wasm/trace-id:0.1.0`], { REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "wrong" });
    assert.equal(r.code, 1);
    assert.match(r.err, /authentication refused for repository:wasm\/trace-id:pull \(check the user name and password\)/);
  });
});

describe("registry with Bearer tokens (distribution token auth)", () => {
  let reg: RegistryHarness;
  before(async () => { reg = await startRegistry({ auth: { kind: "bearer", username: "robot", password: "tok-pw" } }); });
  after(() => reg?.stop());

  test("push and pull through the token service; skopeo agrees on the digest", async () => {
    const ref = `${reg.host}/wasm/rate-limit:0.1.0`;
    const env = { REGISTRY_USERNAME: "robot", REGISTRY_PASSWORD: "tok-pw" };
    const r = await cli(["push", images["rate-limit"].tar, ref], env);
    assert.equal(r.code, 0, r.err + reg.log().slice(-1500));
    const p = await cli(["pull", ref], env);
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, new RegExp(`^${images["rate-limit"].digest} `));
    assert.equal(await skopeoDigest("--tls-verify=false", "--creds", "robot:tok-pw", `docker://${ref}`), images["rate-limit"].digest);
    const anon = await cli(["pull", ref], { REGISTRY_USERNAME: undefined });
    assert.equal(anon.code, 1);
    assert.match(anon.err, /token service .* refused repository:wasm\/rate-limit:pull: HTTP 401 \(pass --username/);
  });
});

describe("registry over TLS", () => {
  let reg: RegistryHarness;
  before(async () => { reg = await startRegistry({ tls: true }); });
  after(() => reg?.stop());

  test("an unknown CA is refused (the message names --ca-file); --ca-file and --insecure work; skopeo agrees", async () => {
    const ref = `${reg.host}/wasm/tagging:0.1.0`;
    const bad = await cli(["push", images.tagging.dir, ref]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--ca-file/);
    const caFile = join(tmp, "ca.pem");
    (await import("node:fs")).writeFileSync(caFile, reg.ca!);
    const ok = await cli(["push", images.tagging.dir, ref, "--ca-file", caFile]);
    assert.equal(ok.code, 0, ok.err);
    const insecure = await cli(["pull", ref, "--insecure"]);
    assert.equal(insecure.code, 0, insecure.err);
    assert.match(insecure.out, new RegExp(`^${images.tagging.digest} `));
    assert.equal(await skopeoDigest("--tls-verify=false", `docker://${ref}`), images.tagging.digest);
  });
});
