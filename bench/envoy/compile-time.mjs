// Child process of `npm run bench:modules` (module-cost-run.ts starts it once per set of V8 flags):
// times synchronous compiles, `new WebAssembly.Module(bytes)`, of each module given.
//   node [V8 flags] bench/envoy/compile-time.mjs <runs> <max ms per module> <file.wasm>...
// prints one JSON line: { execArgv, modules: { <file>: { wallMs: [...], cpuMs: [...] } } }.
//
// V8 keeps compiled modules in a cache keyed by their bytes (--wasm-native-module-cache-enabled):
// compiling the same bytes again takes ~0.1 ms. So every compile here gets bytes of its own — the
// module plus a custom section holding the run's number, which V8 ignores — and is a real compile.
// cpuMs is the whole process's CPU time over the compile: V8 compiles on background threads too.
import { readFileSync } from "node:fs";

const [runsArg, maxMsArg, ...files] = process.argv.slice(2);
const runs = Number(runsArg), maxMs = Number(maxMsArg);
if (!Number.isInteger(runs) || runs < 1 || !(maxMs > 0) || !files.length) {
  console.error("usage: node [flags] compile-time.mjs <runs> <max ms per module> <file.wasm>...");
  process.exit(2);
}

/** Unsigned LEB128. */
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
/** A custom section "bench-run" holding `tag`: appended, it makes the bytes unique and changes nothing else. */
function customSection(tag) {
  const name = Buffer.from("bench-run"), payload = Buffer.from(tag);
  const body = Buffer.concat([Buffer.from(leb(name.length)), name, payload]);
  return Buffer.concat([Buffer.from([0, ...leb(body.length)]), body]);
}

/** One compile of fresh bytes: wall and CPU ms. */
function compileOnce(bytes, tag) {
  const unique = Buffer.concat([bytes, customSection(tag)]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  new WebAssembly.Module(unique);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const modules = {};
let tag = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  compileOnce(bytes, `warm-up ${tag++}`); // V8's compilers paged in and warm
  const wallMs = [], cpuMs = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < runs && (i < 3 || performance.now() < deadline); i++) {
    const r = compileOnce(bytes, `run ${tag++}`);
    wallMs.push(r.wall);
    cpuMs.push(r.cpu);
  }
  modules[file] = { wallMs, cpuMs };
}
console.log(JSON.stringify({ execArgv: process.execArgv, modules }));
