// `npm run bench:envoy:profile -- <variant id> [seconds]`: where Envoy's CPU goes for one variant.
// Starts the variant's Envoy (as bench:envoy does, --concurrency 1), drives /direct with wrk and
// samples the Envoy process with Debian's linux-perf, then prints the share of samples by where the
// code lives: the Envoy binary (C++: HTTP, the Wasm host side of the ABI, V8's runtime and API),
// JIT code (anonymous executable memory: V8's compiled Wasm module and its Wasm↔C++ wrappers, or
// LuaJIT's traces), libc/libstdc++, and the kernel (sockets, epoll). The Envoy binary is stripped,
// so the split stops at that level; same-run bench:envoy differences give the rest.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureApt } from "../../scripts/lib/setup-tools.mjs";
import { closedLoop } from "./generators.js";
import { cpuMicros } from "./proc.js";
import { startVariant } from "./run.js";
import { VARIANTS, REQUEST_HEADERS, DIRECT_PATH } from "./variants.js";

const [id, secondsArg] = process.argv.slice(2);
const v = VARIANTS.find((x) => x.id === id);
if (!v) {
  console.error(`usage: npm run bench:envoy:profile -- <variant> [seconds]\nvariants: ${VARIANTS.map((x) => x.id).join(", ")}`);
  process.exit(2);
}
const seconds = Number(secondsArg ?? 5);
ensureApt(["linux-perf", "wrk"], (m: string) => console.log(m));

const run = (cmd: string, args: string[]) => new Promise<string>((resolve, reject) => {
  const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  c.stdout.on("data", (d) => (out += d));
  c.stderr.on("data", (d) => (err += d));
  c.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`))));
});

const dir = mkdtempSync(join(tmpdir(), "bench-profile-"));
const data = join(dir, "perf.data");
const envoy = await startVariant(v, 1, null);
try {
  await closedLoop({ url: `http://127.0.0.1:${envoy.port}${DIRECT_PATH}`, headers: REQUEST_HEADERS, seconds: 1, connections: 32 }); // V8 tiers up
  console.log(`${v.id}: perf record for ${seconds}s under wrk …`);
  const cpu0 = cpuMicros(envoy.pid);
  const [load] = await Promise.all([
    closedLoop({ url: `http://127.0.0.1:${envoy.port}${DIRECT_PATH}`, headers: REQUEST_HEADERS, seconds, connections: 32 }),
    run("perf", ["record", "-F", "2999", "-g", "-o", data, "-p", String(envoy.pid), "--", "sleep", String(seconds)]),
  ]);
  const us = (cpuMicros(envoy.pid) - cpu0) / load.requests;
  const report = await run("perf", ["report", "-i", data, "--no-children", "--sort", "dso", "--stdio", "-g", "none", "--percent-limit", "0.5"]);
  const rows = report.split("\n").filter((l) => /^\s+[\d.]+%/.test(l)).map((l) => {
    const [, pct, dso] = l.match(/^\s+([\d.]+)%\s+(.*)$/)!;
    return { pct: Number(pct), dso: dso.trim() };
  });
  const group = (dso: string) => dso === "envoy" ? "Envoy binary (C++, the ABI's host side, V8 runtime)"
    : /^\[kernel|^\[vdso/.test(dso) ? "kernel (sockets, epoll, syscalls)"
    : /^(\[unknown\]|\[JIT\]|perf-\d+\.map|\/memfd:|\/\/anon)/.test(dso) ? "JIT code (V8: the Wasm module + trampolines; LuaJIT for Lua)"
    : /libc|libstdc|libm|ld-linux|libpthread/.test(dso) ? "libc / libstdc++" : `other (${dso})`;
  const byGroup = new Map<string, number>();
  for (const r of rows) byGroup.set(group(r.dso), (byGroup.get(group(r.dso)) ?? 0) + r.pct);
  console.log(`\n${v.label}: ${load.requests} requests, ${us.toFixed(1)} µs Envoy CPU per request (perf sampling included)\n`);
  console.log("| where | share of samples | µs/request |\n|---|---:|---:|");
  for (const [g, pct] of [...byGroup].sort((a, b) => b[1] - a[1])) console.log(`| ${g} | ${pct.toFixed(1)} % | ${(us * pct / 100).toFixed(1)} |`);
  console.log("\nby dso:\n" + rows.map((r) => `  ${r.pct.toFixed(2)}%  ${r.dso}`).join("\n"));
} finally {
  await envoy.stop();
  rmSync(dir, { recursive: true, force: true });
}
