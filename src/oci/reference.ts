// Image references: `[oci://]registry[:port]/repository[:tag][@sha256:…]`, as Istio's `url` field
// and docker/skopeo write them. The registry part is required (no implicit docker.io): a Wasm
// module is pushed to a registry the user names.
export interface Reference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseReference(text: string): Reference {
  const bad = (why: string): never => {
    throw new Error(`image reference "${text}": ${why} (write it as registry.example.com[:port]/path/name:tag)`);
  };
  let s = text.replace(/^oci:\/\//, "");
  if (/^[a-z]+:\/\//.test(s)) bad("only oci:// or no scheme");
  let digest: string | undefined;
  const at = s.indexOf("@");
  if (at >= 0) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
    if (!DIGEST.test(digest)) bad(`digest "${digest}" is not sha256: followed by 64 lowercase hex digits`);
  }
  const slash = s.indexOf("/");
  if (slash < 0) bad("no registry host");
  const registry = s.slice(0, slash);
  let repository = s.slice(slash + 1);
  if (!/[.:]/.test(registry) && registry !== "localhost") bad(`"${registry}" is not a registry host (needs a dot or a port)`);
  let tag: string | undefined;
  const colon = repository.lastIndexOf(":");
  if (colon >= 0) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
    if (!TAG.test(tag)) bad(`tag "${tag}" is not valid (letters, digits, _ . -; at most 128)`);
  }
  if (!REPO.test(repository)) bad(`repository "${repository}" is not valid (lowercase path components)`);
  if (!tag && !digest) tag = "latest";
  return { registry, repository, tag, digest };
}

export function formatReference(r: Reference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** Loopback registries are reached over plain HTTP by default, like Docker and Istio's agent do. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
