// Registry credentials the way container tools keep them: an auth file with
// `{"auths": {"registry:port": {"auth": base64("user:password")}}}` — $REGISTRY_AUTH_FILE (podman,
// skopeo), else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Credential helpers
// (`credsStore`) are not run: pass --username/--password-stdin for those registries.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "./registry.js";

export function authFiles(env = process.env): string[] {
  return [
    env.REGISTRY_AUTH_FILE,
    env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, "config.json") : undefined,
    join(homedir(), ".docker", "config.json"),
  ].filter((p): p is string => !!p);
}

/** Credentials for `registry` from the first auth file that has them. */
export function storedCredentials(registry: string, env = process.env): Credentials | undefined {
  for (const file of authFiles(env)) {
    if (!existsSync(file)) continue;
    let auths: Record<string, { auth?: string; username?: string; password?: string }> = {};
    try { auths = JSON.parse(readFileSync(file, "utf8")).auths ?? {}; } catch { continue; }
    const entry = auths[registry] ?? auths[`https://${registry}`] ?? auths[`http://${registry}`];
    if (!entry) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const text = Buffer.from(entry.auth, "base64").toString("utf8");
      const i = text.indexOf(":");
      if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
    }
  }
  return undefined;
}
