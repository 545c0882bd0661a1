#!/usr/bin/env node
// Compiles every filter (assembly/filters/<name>/index.ts) and example (examples/<name>/assembly/index.ts)
// to build/<name>.wasm with the release flags, then prints each module's size.
// Discovery is by convention, so adding a filter never means editing this file.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "build");

/** Release flags: see README "Build". `abort` goes to the SDK so a failed assertion logs and exits cleanly. */
export const RELEASE_FLAGS = [
  "--runtime", "incremental",
  "--exportStart", "_initialize",
  "--use", "abort=assembly/sdk/abort/proxy_abort",
  "-O3", "--noAssert",
  "--enable", "bulk-memory", "--enable", "sign-extension",
];

export function targets() {
  const found = [];
  const add = (name, entry) => existsSync(entry) && found.push({ name, entry });
  for (const dir of ["assembly/filters", "examples"]) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (!statSync(join(base, name)).isDirectory() || name === "common") continue;
      add(name, dir === "examples" ? join(base, name, "assembly", "index.ts") : join(base, name, "index.ts"));
    }
  }
  return found;
}

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

export async function build(only = []) {
  mkdirSync(outDir, { recursive: true });
  const list = targets().filter((t) => only.length === 0 || only.includes(t.name));
  if (only.length && list.length !== only.length) {
    const known = targets().map((t) => t.name).join(", ");
    throw new Error(`unknown build target in [${only.join(", ")}]; known targets: ${known}`);
  }
  const asc = join(root, "node_modules", ".bin", "asc");
  const rows = [];
  let failed = 0;
  for (const [i, t] of list.entries()) {
    const out = join(outDir, `${t.name}.wasm`);
    process.stdout.write(`[${i + 1}/${list.length}] ${t.name} … `);
    const code = await run(asc, [relative(root, t.entry), "-o", relative(root, out), ...RELEASE_FLAGS]);
    if (code !== 0) { failed++; console.log("FAILED"); continue; }
    const size = statSync(out).size;
    rows.push({ module: `build/${t.name}.wasm`, bytes: size });
    console.log(`${(size / 1024).toFixed(1)} KiB`);
  }
  if (rows.length) console.table(rows);
  if (failed) throw new Error(`${failed} module(s) failed to compile`);
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  build(process.argv.slice(2)).catch((e) => { console.error(`build: ${e.message}`); process.exit(1); });
}
