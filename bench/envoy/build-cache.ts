// A build step redone only when its sources change: the output sits beside a stamp naming the
// source tree's hash. Used for the peers of bench:envoy, built into .tools/peers.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface PeerBuild { ok: boolean; path?: string; reason?: string; about: string }

/** A hash of a source tree (names and contents), so a build is redone only when its sources change. */
export function treeHash(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === "target" || name.endsWith(".md")) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(name).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

/** Runs build() unless out exists with the same stamp; returns out. */
export function stamped(out: string, want: string, build: () => void): string {
  const stamp = `${out}.stamp`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return out;
  build();
  writeFileSync(stamp, want);
  return out;
}

