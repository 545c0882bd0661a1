// OCI image layout (image-spec layout.md): a directory with `oci-layout`, `index.json` and
// `blobs/sha256/<hex>`, and the same tree as a reproducible `.tar` (what `skopeo copy
// oci-archive:…`, `docker load`-era tools and registries' import tools read).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tar from "tar-stream";
import { MEDIA, parseManifest, sha256, type Blob, type Descriptor, type Image } from "./image.js";

export const REF_NAME = "org.opencontainers.image.ref.name";

const hex = (digest: string) => digest.replace(/^sha256:/, "");

/** The files of a layout holding one image tagged `tag`, path → bytes, in a fixed order. */
export function layoutFiles(image: Image, tag: string): [string, Buffer][] {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{ ...image.manifest.descriptor, annotations: { [REF_NAME]: tag } }],
  };
  const blobs = [image.config, image.layer, image.manifest]
    .map((b): [string, Buffer] => [`blobs/sha256/${hex(b.descriptor.digest)}`, b.bytes])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    ["oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }))],
    ["index.json", Buffer.from(JSON.stringify(index))],
    ...blobs,
  ];
}

export function writeLayoutDir(dir: string, image: Image, tag: string): void {
  for (const [path, bytes] of layoutFiles(image, tag)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
}

/** The layout as a tar: directories first, fixed header fields, so it is as reproducible as the image. */
export async function layoutTar(image: Image, tag: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => { pack.on("end", resolve); pack.on("error", reject); });
  const fixed = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" };
  const add = (header: Partial<tar.Header> & { name: string }, content: Buffer = Buffer.alloc(0)) =>
    new Promise<void>((resolve, reject) => pack.entry({ ...fixed, ...header } as tar.Header, content, (e) => (e ? reject(e) : resolve())));
  await add({ name: "blobs/", type: "directory", mode: 0o755 });
  await add({ name: "blobs/sha256/", type: "directory", mode: 0o755 });
  for (const [name, bytes] of layoutFiles(image, tag)) await add({ name, type: "file", mode: 0o644, size: bytes.length }, bytes);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Reads the files of a layout `.tar` into path → bytes. */
async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => { if (h.type === "file") files.set(h.name.replace(/^\.\//, ""), Buffer.concat(chunks)); next(); });
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(bytes);
  await done;
  return files;
}

/**
 * Reads an image back from a layout directory or `.tar`, checking every blob against its digest.
 * `tag` picks the manifest by ref name when the index holds several.
 */
export async function readLayout(path: string, tag?: string): Promise<{ image: Image; tag?: string }> {
  if (!existsSync(path)) throw new Error(`${path}: no such image layout (run \`package\` first)`);
  const files = path.endsWith(".tar")
    ? await untar(readFileSync(path))
    : { get: (p: string) => (existsSync(join(path, p)) ? readFileSync(join(path, p)) : undefined) };
  const read = (p: string) => {
    const b = files.get(p);
    if (!b) throw new Error(`${path}: missing ${p} (not an OCI image layout)`);
    return b;
  };
  const index = JSON.parse(read("index.json").toString("utf8"));
  const manifests: Descriptor[] = index.manifests ?? [];
  const pick = tag === undefined ? manifests : manifests.filter((m) => m.annotations?.[REF_NAME] === tag);
  if (pick.length !== 1) {
    const tags = manifests.map((m) => m.annotations?.[REF_NAME] ?? "(untagged)").join(", ");
    throw new Error(`${path}: ${pick.length ? "several images" : "no image"}${tag ? ` tagged "${tag}"` : ""} in index.json (tags: ${tags || "none"})`);
  }
  const blobOf = (d: Descriptor): Blob => {
    const bytes = read(`blobs/sha256/${hex(d.digest)}`);
    if (sha256(bytes) !== d.digest) throw new Error(`${path}: blob ${d.digest} does not match its digest (corrupted layout)`);
    return { descriptor: d, bytes };
  };
  const manifest = blobOf({ mediaType: pick[0].mediaType, digest: pick[0].digest, size: pick[0].size });
  const m = parseManifest(manifest.bytes);
  if (m.layers.length !== 1) throw new Error(`${path}: ${m.layers.length} layers; a compat Wasm image has exactly one`);
  return {
    image: { manifest, config: blobOf(m.config), layer: blobOf(m.layers[0]), digest: manifest.descriptor.digest },
    tag: pick[0].annotations?.[REF_NAME],
  };
}
