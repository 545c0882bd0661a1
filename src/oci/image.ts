// A proxy-wasm module as an OCI image in the "compat" variant that Istio's agent and Envoy's OCI
// users accept (solo-io/wasm spec-compat): one tar+gzip layer holding `plugin.wasm`, an OCI image
// config, and a manifest annotated `module.wasm.image/variant=compat`. Everything is
// content-addressed and reproducible: fixed tar header fields (mtime 0, uid/gid 0, mode 0644, no
// user names), a gzip header without a timestamp, and no `created` date, so the same module always
// gives the same digest.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export const VARIANT_ANNOTATION = "module.wasm.image/variant";
/** The file name the compat variant requires inside the layer. */
export const PLUGIN_FILE = "plugin.wasm";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Blob { descriptor: Descriptor; bytes: Buffer }

/** A built image: every blob by digest, and the manifest (itself a blob). */
export interface Image {
  manifest: Blob;
  config: Blob;
  layer: Blob;
  /** sha256:… of the manifest: what a registry, Istio's `sha256` field (hex part) and `@sha256:` pin. */
  digest: string;
}

export const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export function blob(mediaType: string, bytes: Buffer, annotations?: Record<string, string>): Blob {
  return { bytes, descriptor: { mediaType, digest: sha256(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) } };
}

/** A tar archive with the one file, header fields fixed so the bytes depend on the content only. */
export async function reproducibleTar(name: string, content: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => { pack.on("end", resolve); pack.on("error", reject); });
  await new Promise<void>((resolve, reject) => pack.entry({
    name, size: content.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "", type: "file",
  }, content, (err) => (err ? reject(err) : resolve())));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * gzip with a header that does not depend on the machine: zlib writes mtime 0 already; the OS byte
 * is set to 3 (Unix) so the bytes are the same whichever platform zlib was built for.
 */
export function reproducibleGzip(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 9 });
  gz[9] = 3;
  return gz;
}

export interface ImageOptions {
  /** Extra manifest annotations (e.g. org.opencontainers.image.source). */
  annotations?: Record<string, string>;
}

/** Builds the compat image of a module. */
export async function buildWasmImage(wasm: Buffer, o: ImageOptions = {}): Promise<Image> {
  if (wasm.length < 8 || wasm.readUInt32BE(0) !== 0x0061736d) {
    throw new Error("not a WebAssembly module (no \\0asm header): build the filter first (npm run build)");
  }
  const tarBytes = await reproducibleTar(PLUGIN_FILE, wasm);
  const layer = blob(MEDIA.layer, reproducibleGzip(tarBytes));
  // The OCI image config: platform as GOOS/GOARCH for WASI (wasip1/wasm), the layer's diff id.
  const config = blob(MEDIA.config, Buffer.from(JSON.stringify({
    architecture: "wasm",
    os: "wasip1",
    config: {},
    rootfs: { type: "layers", diff_ids: [sha256(tarBytes)] },
  })));
  const manifest = blob(MEDIA.manifest, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: config.descriptor,
    layers: [layer.descriptor],
    annotations: { [VARIANT_ANNOTATION]: "compat", ...o.annotations },
  })));
  return { manifest, config, layer, digest: manifest.descriptor.digest };
}

export interface ParsedManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export function parseManifest(bytes: Buffer): ParsedManifest {
  const m = JSON.parse(bytes.toString("utf8"));
  if (m?.schemaVersion !== 2 || !m.config || !Array.isArray(m.layers)) {
    throw new Error("not an OCI/Docker image manifest (schemaVersion 2 with config and layers)");
  }
  return m;
}

/** The plugin.wasm inside a compat layer (gzip'd tar), as Istio's agent extracts it. */
export async function extractPlugin(layerBytes: Buffer): Promise<Buffer> {
  const { gunzipSync } = await import("node:zlib");
  const extract = tar.extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        if ((header.name.split("/").pop() ?? "") === PLUGIN_FILE) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(gunzipSync(layerBytes));
  await done;
  if (!found) throw new Error(`${PLUGIN_FILE} not found in the image layer (not a compat-variant Wasm image)`);
  return found;
}
