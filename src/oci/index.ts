// Wasm modules as OCI images: package (image layout dir + .tar), push and pull over the OCI
// distribution API. See README.md.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { buildWasmImage, extractPlugin, MEDIA, parseManifest, VARIANT_ANNOTATION, type Image } from "./image.js";
import { layoutTar, readLayout, writeLayoutDir } from "./layout.js";
import { formatReference, parseReference } from "./reference.js";
import { RegistryClient, type RegistryOptions } from "./registry.js";

export * from "./image.js";
export * from "./layout.js";
export * from "./reference.js";
export * from "./registry.js";
export { storedCredentials } from "./credentials.js";

export interface Packaged { name: string; digest: string; dir: string; tar: string; image: Image }

/** The module's image, written as `<outDir>/<name>/` (OCI layout) and `<outDir>/<name>.tar`. */
export async function packageModule(wasmPath: string, o: { outDir: string; tag: string; name?: string }): Promise<Packaged> {
  const name = o.name ?? basename(wasmPath).replace(/\.wasm$/, "");
  const image = await buildWasmImage(readFileSync(wasmPath));
  const dir = join(o.outDir, name);
  const tar = join(o.outDir, `${name}.tar`);
  mkdirSync(o.outDir, { recursive: true });
  writeLayoutDir(dir, image, o.tag);
  writeFileSync(tar, await layoutTar(image, o.tag));
  return { name, digest: image.digest, dir, tar, image };
}

/** The image of a module file, or of an image layout (directory or .tar). */
export async function loadImage(source: string, tag?: string): Promise<Image> {
  if (source.endsWith(".wasm")) return buildWasmImage(readFileSync(source));
  return (await readLayout(source, tag)).image;
}

/** Pushes the image's blobs, then its manifest under the reference's tag (or digest). */
export async function pushImage(image: Image, ref: string, o: RegistryOptions = {}): Promise<{ digest: string; reference: string }> {
  const r = parseReference(ref);
  if (r.digest && r.digest !== image.digest) {
    throw new Error(`${ref} pins ${r.digest} but the image is ${image.digest}: drop the @sha256 part or push the matching image`);
  }
  const client = new RegistryClient(r.registry, o);
  await client.pushBlob(r.repository, image.layer, "layer   ");
  await client.pushBlob(r.repository, image.config, "config  ");
  await client.pushManifest(r.repository, r.tag ?? image.digest, image.manifest);
  o.progress?.(`manifest ${image.digest.slice(0, 19)}  pushed as ${formatReference({ ...r, digest: undefined })}`);
  return { digest: image.digest, reference: `${formatReference({ ...r, digest: undefined, tag: r.tag })}@${image.digest}` };
}

export interface Pulled { image: Image; wasm: Buffer; compat: boolean }

/** Pulls an image by tag or digest, checks every digest, and extracts plugin.wasm. */
export async function pullImage(ref: string, o: RegistryOptions = {}): Promise<Pulled> {
  const r = parseReference(ref);
  const client = new RegistryClient(r.registry, o);
  const manifest = await client.getManifest(r.repository, r.digest ?? r.tag!);
  if (r.digest && manifest.descriptor.digest !== r.digest) throw new Error(`${ref}: registry returned ${manifest.descriptor.digest}`);
  const m = parseManifest(manifest.bytes);
  if (m.layers.length !== 1 || ![MEDIA.layer, MEDIA.dockerLayer].includes(m.layers[0].mediaType as any)) {
    throw new Error(`${ref}: not a compat Wasm image (want one ${MEDIA.layer} layer, got ${m.layers.map((l) => l.mediaType).join(", ") || "none"})`);
  }
  const config = await client.getBlob(r.repository, m.config, "config  ");
  const layer = await client.getBlob(r.repository, m.layers[0], "layer   ");
  const wasm = await extractPlugin(layer.bytes);
  return {
    image: { manifest, config, layer, digest: manifest.descriptor.digest },
    wasm,
    compat: m.annotations?.[VARIANT_ANNOTATION] === "compat",
  };
}
