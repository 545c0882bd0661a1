// A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) started on a
// free 127.0.0.1 port with its own config file and storage, anonymous or with auth (htpasswd Basic,
// or Bearer tokens from a token service this harness runs), plain HTTP or TLS. stop() ends it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from "node:crypto";
import { createServer, request } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";

export interface RegistryHarness {
  /** host:port */
  host: string;
  url: string;
  /** The TLS certificate (PEM) when started with tls. */
  ca?: Buffer;
  log(): string;
  stop(): Promise<void>;
}

export interface RegistryConfig {
  auth?: { kind: "basic" | "bearer"; username: string; password: string };
  tls?: boolean;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A self-signed P-256 certificate for 127.0.0.1 (openssl). */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert, key };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/**
 * A token service as distribution's `auth: token` expects one: checks Basic credentials, answers
 * {token} with an ES256 JWT carrying the certificate in x5c (verified against rootcertbundle).
 */
async function startTokenService(o: { username: string; password: string; certPem: string; keyPem: string; issuer: string; service: string }) {
  const der = new X509Certificate(o.certPem).raw;
  const key = createPrivateKey(o.keyPem);
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const auth = req.headers.authorization ?? "";
    const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
    if (!auth.startsWith("Basic ") || user !== o.username || pass !== o.password) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
      return;
    }
    const access = u.searchParams.getAll("scope").map((s) => {
      const [type, name, actions] = s.split(":");
      return { type, name, actions: actions.split(",") };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [der.toString("base64")] };
    const claims = { iss: o.issuer, sub: user, aud: u.searchParams.get("service") ?? o.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `${input}.${b64url(sig)}` }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, close: () => new Promise((r) => server.close(r)) };
}

function probe(url: string, ca?: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = (url.startsWith("https") ? httpsRequest : request)(url, { ca, timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on("error", () => resolve(0));
    req.on("timeout", () => { req.destroy(); resolve(0); });
    req.end();
  });
}

export async function startRegistry(o: RegistryConfig = {}): Promise<RegistryHarness> {
  const dir = mkdtempSync(join(tmpdir(), "registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let ca: Buffer | undefined;
  let tokenService: Awaited<ReturnType<typeof startTokenService>> | undefined;
  const lines = [
    "version: 0.1",
    "log: {level: info, accesslog: {disabled: true}}",
    `storage: {filesystem: {rootdirectory: ${join(dir, "data")}}, delete: {enabled: true}}`,
    `http: {addr: "${host}", secret: ${randomBytes(8).toString("hex")}, headers: {X-Content-Type-Options: [nosniff]}}`,
  ];
  if (o.tls || o.auth?.kind === "bearer") {
    const { cert, key } = selfSigned(dir);
    ca = readFileSync(cert);
    if (o.tls) lines[3] = lines[3].replace(/}$/, `, tls: {certificate: ${cert}, key: ${key}}}`);
    if (o.auth?.kind === "bearer") {
      tokenService = await startTokenService({ ...o.auth, certPem: ca.toString(), keyPem: readFileSync(key, "utf8"), issuer: "test-issuer", service: "test-registry" });
      lines.push(`auth: {token: {realm: "${tokenService.url}", service: test-registry, issuer: test-issuer, rootcertbundle: ${cert}}}`);
    }
  }
  if (o.auth?.kind === "basic") {
    writeFileSync(join(dir, "htpasswd"), `${o.auth.username}:${bcrypt.hashSync(o.auth.password, 10)}\n`);
    lines.push(`auth: {htpasswd: {realm: test-realm, path: ${join(dir, "htpasswd")}}}`);
  }
  writeFileSync(join(dir, "config.yml"), lines.join("\n") + "\n");

  let log = "";
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (c) => (log += c));
  child.stderr!.on("data", (c) => (log += c));
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      await new Promise<void>((r) => { const t = setTimeout(() => { child.kill("SIGKILL"); r(); }, 3000); child.once("exit", () => { clearTimeout(t); r(); }); });
    }
    await tokenService?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => { if (!exited) child.kill("SIGKILL"); });
  const url = `${o.tls ? "https" : "http"}://${host}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await probe(`${url}/v2/`, ca);
    if (status === 200 || status === 401) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on ${host}:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, url, ca, log: () => log, stop };
}

/** sha256 of a file, "sha256:…". */
export const fileDigest = (path: string) => `sha256:${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
