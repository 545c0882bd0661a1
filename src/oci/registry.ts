// A client for the OCI distribution API (distribution-spec v1.1), enough to push and pull one image:
// blob existence checks, monolithic blob uploads, manifests by tag or digest. Authentication as
// registries ask for it in `WWW-Authenticate`: anonymous, Basic, and Bearer tokens from the named
// realm (with the user's credentials when given). HTTPS by default; a loopback registry that answers
// TLS with plain HTTP is reached over plain HTTP (as Docker and Istio's agent do), and `plainHttp`
// forces it. Every blob and manifest read back is checked against its digest.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { MEDIA, sha256, type Blob, type Descriptor } from "./image.js";
import { isLoopbackHost } from "./reference.js";

export interface Credentials { username: string; password: string }

export interface RegistryOptions {
  /** Plain HTTP instead of HTTPS (default: HTTPS, falling back to HTTP for loopback registries only). */
  plainHttp?: boolean;
  /** Extra CA certificates (PEM) to trust for the registry's TLS certificate. */
  ca?: Buffer;
  /** Accept any TLS certificate (like skopeo's --tls-verify=false). */
  insecureSkipVerify?: boolean;
  credentials?: Credentials;
  /** Progress lines ("pushing layer …"), one call per event. */
  progress?: (line: string) => void;
}

interface Response { status: number; headers: IncomingHttpHeaders; body: Buffer }

export class RegistryError extends Error {}

const CHUNK = 64 * 1024;
const short = (digest: string) => digest.slice(0, 19);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header) ?? ["", "", ""];
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3];
  return { scheme: m[1].toLowerCase(), params };
}

export class RegistryClient {
  private base: string;
  private auth = new Map<string, string>(); // scope → Authorization header value

  constructor(readonly registry: string, private o: RegistryOptions = {}) {
    this.base = `${o.plainHttp ? "http" : "https"}://${registry}`;
  }

  private log(line: string) { this.o.progress?.(line); }

  private send(method: string, url: string, headers: Record<string, string>, body?: Buffer, onSent?: (n: number) => void): Promise<Response> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, {
        method, headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
        ca: this.o.ca, rejectUnauthorized: !this.o.insecureSkipVerify, timeout: 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new RegistryError(`${method} ${url}: no answer in 30 s`)));
      req.on("error", reject);
      if (!body) return void req.end();
      // Written in chunks so progress can follow big layers.
      let sent = 0;
      const pump = () => {
        while (sent < body.length) {
          const end = Math.min(sent + CHUNK, body.length);
          const ok = req.write(body.subarray(sent, end));
          sent = end;
          onSent?.(sent);
          if (!ok) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
  }

  /** One request with authentication: on 401 it answers the challenge once and retries. */
  private async call(method: string, path: string, scope: string, headers: Record<string, string> = {}, body?: Buffer, onSent?: (n: number) => void): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.base}${path}`;
    const attempt = () => {
      const auth = this.auth.get(scope);
      return this.send(method, url, { ...headers, ...(auth ? { authorization: auth } : {}) }, body, onSent);
    };
    let res: Response;
    try {
      res = await attempt();
    } catch (e: any) {
      if (!this.o.plainHttp && url.startsWith("https:") && isLoopbackHost(this.registry) && /EPROTO|wrong version number|packet length too long/i.test(`${e.code} ${e.message}`)) {
        this.log(`${this.registry} speaks plain HTTP (loopback): using http://`);
        this.base = `http://${this.registry}`;
        return this.call(method, path.startsWith("http") ? path.replace(/^https:/, "http:") : path, scope, headers, body, onSent);
      }
      throw new RegistryError(`${method} ${url}: ${e.message}${/self.signed|certificate|CERT/i.test(e.message) ? " (pass --ca-file with the registry's CA, or --insecure to skip verification)" : ""}`);
    }
    if (res.status === 401 && !this.auth.has(scope)) {
      await this.authenticate(res, scope);
      res = await attempt();
    }
    if (res.status === 401) {
      throw new RegistryError(`${this.registry}: authentication refused for ${scope} (${this.o.credentials ? "check the user name and password" : "the registry needs credentials: pass --username and --password-stdin, or log in with docker/podman"})`);
    }
    return res;
  }

  private async authenticate(res: Response, scope: string): Promise<void> {
    const header = res.headers["www-authenticate"];
    const { scheme, params } = parseChallenge(Array.isArray(header) ? header[0] : header ?? "");
    const creds = this.o.credentials;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` : undefined;
    if (scheme === "basic") {
      if (!basic) throw new RegistryError(`${this.registry} asks for a user name and password (Basic auth): pass --username and --password-stdin`);
      this.auth.set(scope, basic);
      return;
    }
    if (scheme !== "bearer" || !params.realm) throw new RegistryError(`${this.registry}: unsupported authentication challenge "${header}"`);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set("service", params.service);
    u.searchParams.set("scope", scope);
    const t = await this.send("GET", u.toString(), basic ? { authorization: basic } : {});
    if (t.status !== 200) {
      throw new RegistryError(`token service ${u.origin}${u.pathname} refused ${scope}: HTTP ${t.status}${creds ? " (check the user name and password)" : " (pass --username and --password-stdin)"}`);
    }
    const json = JSON.parse(t.body.toString("utf8"));
    const token = json.token ?? json.access_token;
    if (typeof token !== "string") throw new RegistryError(`token service ${u.origin} answered without a token`);
    this.auth.set(scope, `Bearer ${token}`);
  }

  private fail(what: string, res: Response): never {
    let detail = res.body.toString("utf8").slice(0, 300);
    try { detail = JSON.parse(detail).errors.map((e: any) => `${e.code}: ${e.message}`).join("; "); } catch { /* keep the text */ }
    throw new RegistryError(`${what}: HTTP ${res.status} ${detail}`.trim());
  }

  /** Uploads a blob unless the registry has it already. Returns true when it was uploaded. */
  async pushBlob(repo: string, blob: Blob, label: string): Promise<boolean> {
    const scope = `repository:${repo}:pull,push`;
    const d = blob.descriptor.digest;
    const head = await this.call("HEAD", `/v2/${repo}/blobs/${d}`, scope);
    if (head.status === 200) {
      this.log(`${label} ${short(d)}  ${kib(blob.bytes.length)}  already there`);
      return false;
    }
    const start = await this.call("POST", `/v2/${repo}/blobs/uploads/`, scope, { "content-length": "0" });
    if (start.status !== 202 || !start.headers.location) this.fail(`starting the upload of ${d} to ${repo}`, start);
    const loc = new URL(start.headers.location, `${this.base}/`);
    loc.searchParams.set("digest", d);
    let shown = 0;
    const put = await this.call("PUT", loc.toString(), scope, { "content-type": "application/octet-stream" }, blob.bytes, (n) => {
      const pct = Math.floor((n / blob.bytes.length) * 100);
      if (pct >= shown + 25 || n === blob.bytes.length) { shown = pct; this.log(`${label} ${short(d)}  ${kib(n)}/${kib(blob.bytes.length)}  ${pct}%`); }
    });
    if (put.status !== 201) this.fail(`uploading ${d} to ${repo}`, put);
    return true;
  }

  /** Puts the manifest under a tag (or its digest); returns the digest the registry reports. */
  async pushManifest(repo: string, reference: string, manifest: Blob): Promise<string> {
    const res = await this.call("PUT", `/v2/${repo}/manifests/${reference}`, `repository:${repo}:pull,push`,
      { "content-type": manifest.descriptor.mediaType }, manifest.bytes);
    if (res.status !== 201) this.fail(`putting the manifest ${repo}:${reference}`, res);
    const got = res.headers["docker-content-digest"];
    if (typeof got === "string" && got !== manifest.descriptor.digest) {
      throw new RegistryError(`${this.registry} stored the manifest as ${got}, not ${manifest.descriptor.digest}`);
    }
    return manifest.descriptor.digest;
  }

  async getManifest(repo: string, reference: string): Promise<Blob> {
    const res = await this.call("GET", `/v2/${repo}/manifests/${reference}`, `repository:${repo}:pull`,
      { accept: [MEDIA.manifest, MEDIA.dockerManifest, MEDIA.index].join(", ") });
    if (res.status === 404) throw new RegistryError(`${this.registry}/${repo}:${reference} not found (push it first, or check the name and tag)`);
    if (res.status !== 200) this.fail(`getting the manifest ${repo}:${reference}`, res);
    const mediaType = String(res.headers["content-type"] ?? "").split(";")[0];
    if (mediaType === MEDIA.index) throw new RegistryError(`${repo}:${reference} is an image index (several platforms), not a Wasm module image`);
    const digest = sha256(res.body);
    const claimed = res.headers["docker-content-digest"];
    if (reference.startsWith("sha256:") && digest !== reference) throw new RegistryError(`manifest ${reference} arrived with digest ${digest}`);
    if (typeof claimed === "string" && claimed !== digest) throw new RegistryError(`manifest ${repo}:${reference}: registry says ${claimed}, content is ${digest}`);
    return { bytes: res.body, descriptor: { mediaType, digest, size: res.body.length } };
  }

  async getBlob(repo: string, d: Descriptor, label: string): Promise<Blob> {
    const res = await this.call("GET", `/v2/${repo}/blobs/${d.digest}`, `repository:${repo}:pull`);
    let r = res;
    // Registries may redirect blob downloads to storage; follow without credentials.
    for (let hops = 0; r.status >= 300 && r.status < 400 && r.headers.location && hops < 3; hops++) {
      r = await this.send("GET", new URL(r.headers.location, `${this.base}/`).toString(), {});
    }
    if (r.status !== 200) this.fail(`getting blob ${d.digest} of ${repo}`, r);
    if (sha256(r.body) !== d.digest) throw new RegistryError(`blob ${d.digest} of ${repo} arrived with digest ${sha256(r.body)}`);
    this.log(`${label} ${short(d.digest)}  ${kib(r.body.length)}  pulled`);
    return { bytes: r.body, descriptor: d };
  }
}
