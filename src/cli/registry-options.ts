// The registry options push and pull share: credentials, TLS, progress.
import { readFileSync } from "node:fs";
import { storedCredentials, parseReference, type RegistryOptions } from "../oci/index.js";
import { CliError } from "./command.js";

export const REGISTRY_FLAGS = {
  username: { type: "string" },
  "password-stdin": { type: "boolean" },
  "plain-http": { type: "boolean" },
  "ca-file": { type: "string" },
  insecure: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

export const REGISTRY_USAGE = `registry options:
  --username USER       user for Basic auth or the token service (with --password-stdin);
                        else $REGISTRY_USERNAME/$REGISTRY_PASSWORD, else the auth file of
                        docker/podman login ($REGISTRY_AUTH_FILE, $DOCKER_CONFIG, ~/.docker)
  --password-stdin      read the password (or token) from standard input
  --plain-http          HTTP instead of HTTPS (loopback registries fall back to it by themselves)
  --ca-file FILE        trust this CA (PEM) for the registry's certificate
  --insecure            do not verify the registry's TLS certificate
  -q, --quiet           no progress lines`;

type Values = { username?: string; "password-stdin"?: boolean; "plain-http"?: boolean; "ca-file"?: string; insecure?: boolean; quiet?: boolean };

export function registryOptions(ref: string, v: Values): RegistryOptions {
  const { registry } = parseReference(ref);
  let credentials = storedCredentials(registry);
  const user = v.username ?? process.env.REGISTRY_USERNAME;
  if (user) {
    const password = v["password-stdin"] ? readFileSync(0, "utf8").replace(/\r?\n$/, "") : process.env.REGISTRY_PASSWORD;
    if (!password) throw new CliError(`--username ${user} needs a password`, "pipe it into --password-stdin (or set REGISTRY_PASSWORD)", 2);
    credentials = { username: user, password };
  } else if (v["password-stdin"]) {
    throw new CliError("--password-stdin needs --username", "add --username USER", 2);
  }
  let ca: Buffer | undefined;
  if (v["ca-file"]) {
    try { ca = readFileSync(v["ca-file"]); } catch (e: any) { throw new CliError(`--ca-file: ${e.message}`, "give the PEM file of the CA that signed the registry's certificate", 2); }
  }
  return {
    credentials, ca, plainHttp: v["plain-http"], insecureSkipVerify: v.insecure,
    progress: v.quiet ? undefined : (line) => console.error(`  ${line}`),
  };
}
