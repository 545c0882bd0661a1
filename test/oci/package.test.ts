// `package`: the compat-variant image of a module, its OCI layout (directory and .tar), and
// reproducibility (the same module → the same digest, byte for byte).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  buildWasmImage, extractPlugin, layoutTar, MEDIA, packageModule, parseManifest, readLayout, sha256, VARIANT_ANNOTATION,
} from "../../src/oci/index.js";
import { cli } from "./lib/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "oci-package-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const wasm = (m: string) => readFileSync(`build/${m}.wasm`);

describe("package: the compat image", () => {
  test("one tar+gzip layer holding plugin.wasm, the compat annotation, an OCI config", async () => {
    const img = await buildWasmImage(wasm("trace-id"));
    const m = parseManifest(img.manifest.bytes);
    assert.equal(m.mediaType, MEDIA.manifest);
    assert.equal(m.annotations?.[VARIANT_ANNOTATION], "compat");
    assert.equal(m.layers.length, 1);
    assert.equal(m.layers[0].mediaType, MEDIA.layer);
    assert.equal(m.layers[0].digest, sha256(img.layer.bytes));
    assert.equal(m.layers[0].size, img.layer.bytes.length);
    assert.equal(m.config.mediaType, MEDIA.config);
    assert.equal(m.config.digest, sha256(img.config.bytes));
    assert.equal(img.digest, sha256(img.manifest.bytes));
    assert.deepEqual(await extractPlugin(img.layer.bytes), wasm("trace-id"));
    const config = JSON.parse(img.config.bytes.toString());
    assert.deepEqual(config.rootfs, { type: "layers", diff_ids: [sha256(gunzipSync(img.layer.bytes))] });
  });

  test("fixed gzip and tar headers: no timestamp, Unix OS byte, uid/gid 0, mode 0644", async () => {
    const img = await buildWasmImage(wasm("tagging"));
    const gz = img.layer.bytes;
    assert.equal(gz.readUInt32LE(4), 0, "gzip mtime");
    assert.equal(gz[9], 3, "gzip OS byte");
    const tarHeader = gunzipSync(gz).subarray(0, 512);
    const field = (off: number, len: number) => tarHeader.subarray(off, off + len).toString().replace(/\0.*$/s, "").trim();
    assert.equal(field(0, 100), "plugin.wasm");
    assert.equal(parseInt(field(100, 8), 8), 0o644);
    assert.equal(parseInt(field(108, 8), 8), 0);
    assert.equal(parseInt(field(116, 8), 8), 0);
    assert.equal(parseInt(field(136, 12), 8), 0, "tar mtime");
  });

  test("reproducible: the same module gives the same digest and the same layout .tar bytes", async () => {
    const a = await packageModule("build/rate-limit.wasm", { outDir: join(tmp, "a"), tag: "1.0.0" });
    const b = await packageModule("build/rate-limit.wasm", { outDir: join(tmp, "b"), tag: "1.0.0" });
    assert.equal(a.digest, b.digest);
    assert.deepEqual(readFileSync(a.tar), readFileSync(b.tar));
    // A copy of the module elsewhere is the same module.
    writeFileSync(join(tmp, "copy.wasm"), wasm("rate-limit"));
    assert.equal((await buildWasmImage(readFileSync(join(tmp, "copy.wasm")))).digest, a.digest);
  });

  test("different modules, different digests; one changed byte, another digest", async () => {
    const digests = await Promise.all(["trace-id", "tagging", "rate-limit"].map(async (m) => (await buildWasmImage(wasm(m))).digest));
    assert.equal(new Set(digests).size, 3);
    const changed = Buffer.from(wasm("trace-id"));
    changed[changed.length - 1] ^= 1;
    assert.notEqual((await buildWasmImage(changed)).digest, digests[0]);
  });

  test("refuses a file that is not a Wasm module, saying what to do", async () => {
    await assert.rejects(buildWasmImage(Buffer.from("hello world")), /not a WebAssembly module.*npm run build/);
  });
});

describe("package: the OCI image layout", () => {
  test("directory and .tar read back to the same image; a corrupted blob is caught", async () => {
    const p = await packageModule("build/trace-id.wasm", { outDir: join(tmp, "layout"), tag: "0.1.0" });
    for (const src of [p.dir, p.tar]) {
      const { image, tag } = await readLayout(src);
      assert.equal(image.digest, p.digest);
      assert.equal(tag, "0.1.0");
    }
    const index = JSON.parse(readFileSync(join(p.dir, "index.json"), "utf8"));
    assert.equal(index.manifests[0].digest, p.digest);
    assert.deepEqual(JSON.parse(readFileSync(join(p.dir, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
    const layerPath = join(p.dir, "blobs/sha256", p.image.layer.descriptor.digest.slice(7));
    writeFileSync(layerPath, Buffer.concat([readFileSync(layerPath), Buffer.from("x")]));
    await assert.rejects(readLayout(p.dir), /does not match its digest/);
    await assert.rejects(readLayout(p.dir, "9.9.9"), /no image tagged "9.9.9"/);
  });

  test("skopeo (an OCI tool nobody here wrote) reads the layout and the .tar and agrees on the digest", async () => {
    const p = await packageModule("build/tagging.wasm", { outDir: join(tmp, "skopeo"), tag: "0.1.0" });
    for (const ref of [`oci:${p.dir}:0.1.0`, `oci-archive:${p.tar}:0.1.0`]) {
      const r = spawnSync("skopeo", ["inspect", ref], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const info = JSON.parse(r.stdout);
      assert.equal(info.Digest, p.digest, ref);
      assert.deepEqual(info.Layers, [p.image.layer.descriptor.digest]);
    }
    assert.deepEqual(await layoutTar(p.image, "0.1.0"), readFileSync(p.tar));
  });
});

describe("package: the command", () => {
  test("writes the three filters' and the chain module's layouts and prints their digests; a missing module says to build", async () => {
    const out = join(tmp, "cli");
    const r = await cli(["package", "--out", out, "--tag", "2.0.0"]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split("\n");
    assert.equal(lines.length, 4);
    for (const [i, m] of ["trace-id", "tagging", "rate-limit", "chain"].entries()) {
      assert.match(lines[i], new RegExp(`^${m} +sha256:[0-9a-f]{64} `));
      const { image } = await readLayout(join(out, `${m}.tar`), "2.0.0");
      assert.ok(lines[i].includes(image.digest));
    }
    const missing = await cli(["package", "no-such-filter", "--out", out]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no-such-filter\.wasm does not exist\n  fix: run `npm run build` first/);
    const usage = await cli(["package", "--istio", join(out, "istio")]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--istio needs --registry\n  fix: add --registry REGISTRY/);
  });
});
