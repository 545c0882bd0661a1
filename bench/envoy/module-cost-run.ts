// What a module's size costs: its shape (bytes, functions, sections), V8 compile time in Node
// (compile-time.mjs in child processes, one per set of V8 flags), and in a real Envoy the time to
// ready and the memory per Wasm VM. Used by module-cost.ts (the `bench:modules` command) and the test.
//
// Per Wasm VM: Envoy gives every worker its own VM (plus one on the main thread and the one the module
// is first loaded in), so going from --concurrency 1 to 4 adds three VMs and three workers:
// (RSS@4 − RSS@1) / 3 is what one worker with its VM costs; minus the same for Envoy with no filter
// (in the same round) it is what one VM of the module costs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { modulePath, projectRoot, request, startEnvoy, type Envoy, type WasmFilter } from "../../src/envoy/index.js";
import { linearMemories, memoryBreakdown, type MemoryBreakdown } from "./proc.js";
import { roundOrder } from "./run.js";
import { spread, type Spread } from "./summary.js";
import { addHeader, BENCH_HCM, chainModule, rateLimit, REQUEST_HEADERS, tagging, traceId } from "./variants.js";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The three filters in one module and one VM (assembly/filters/chain): the bench's configurations as its sections. */
export const chain: WasmFilter = chainModule(traceId, tagging, rateLimit);

export interface ModuleVariant {
  id: string;
  /** null: Envoy with no filter, the baseline. */
  filter: WasmFilter | null;
}

/** The baseline, then the modules from smallest to largest (as built on this branch). */
export const MODULE_VARIANTS: ModuleVariant[] = [
  { id: "none", filter: null },
  { id: "add-header", filter: addHeader },
  { id: "trace-id", filter: traceId },
  { id: "tagging", filter: tagging },
  { id: "rate-limit", filter: rateLimit },
  { id: "chain", filter: chain },
];

// ---------------------------------------------------------------------------------------------
// The module's shape.

export interface ModuleShape {
  /** As given (measureModuleCost gives it relative to the project). */
  file: string;
  bytes: number;
  /** First 12 hex digits of the module's SHA-256: which build was measured. */
  sha256: string;
  /** Functions defined in the module (the code section's count). */
  functions: number;
  importedFunctions: number;
  exports: string[];
  /** Initial linear memory, 64 KiB pages. */
  memoryPages: number;
  dataSegments: number;
  /** The largest function body and the largest data segment, bytes: is one of them most of the module? */
  largestFunctionBytes: number;
  largestDataSegmentBytes: number;
  /** Bytes per section (custom sections as "custom:<name>"), headers included. */
  sections: Record<string, number>;
}

const SECTION_NAMES = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"];

/** Reads a module's sections (a small reader: ids, sizes, the counts that matter); validates it with V8 too. */
export function moduleShape(file: string): ModuleShape {
  const b = readFileSync(isAbsolute(file) ? file : join(projectRoot, file));
  if (b.readUInt32LE(0) !== 0x6d736100 || b.readUInt32LE(4) !== 1) throw new Error(`${file}: not a Wasm module (version 1)`);
  let p = 8;
  const leb = () => {
    let r = 0, shift = 0, x = 0;
    do { x = b[p++]; r += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80 && shift < 35);
    return r;
  };
  const shape: ModuleShape = { file, bytes: b.length, sha256: createHash("sha256").update(b).digest("hex").slice(0, 12), functions: 0, importedFunctions: 0, exports: [], memoryPages: 0, dataSegments: 0, largestFunctionBytes: 0, largestDataSegmentBytes: 0, sections: {} };
  /** An offset expression: (i32.const N | global.get I) end. */
  const skipConstExpr = () => {
    const op = b[p++];
    if (op !== 0x41 && op !== 0x23) throw new Error(`${file}: unexpected data segment offset opcode 0x${op.toString(16)}`);
    leb(); // N or I: the LEB's bytes either way
    if (b[p++] !== 0x0b) throw new Error(`${file}: data segment offset expression without end`);
  };
  while (p < b.length) {
    const start = p;
    const id = b[p++];
    const len = leb();
    const body = p;
    let name = SECTION_NAMES[id] ?? `unknown-${id}`;
    if (id === 0) { const n = leb(); name = `custom:${b.subarray(p, p + n).toString("utf8")}`; }
    else if (id === 5) { leb(); const flags = leb(); void flags; shape.memoryPages = leb(); }
    else if (id === 10) {
      shape.functions = leb();
      for (let i = 0; i < shape.functions; i++) { const n = leb(); shape.largestFunctionBytes = Math.max(shape.largestFunctionBytes, n); p += n; }
    } else if (id === 11) {
      shape.dataSegments = leb();
      for (let i = 0; i < shape.dataSegments; i++) {
        const kind = leb();
        if (kind === 2) leb(); // memory index
        if (kind !== 1) skipConstExpr(); // active: offset expression
        const n = leb();
        shape.largestDataSegmentBytes = Math.max(shape.largestDataSegmentBytes, n);
        p += n;
      }
    }
    shape.sections[name] = (shape.sections[name] ?? 0) + (body + len - start);
    p = body + len;
  }
  const m = new WebAssembly.Module(b);
  shape.importedFunctions = WebAssembly.Module.imports(m).filter((i) => i.kind === "function").length;
  shape.exports = WebAssembly.Module.exports(m).map((e) => e.name);
  return shape;
}

// ---------------------------------------------------------------------------------------------
// V8 compile time in Node.

export interface CompileMode { id: "lazy" | "liftoff" | "turbofan"; label: string; flags: string[] }

/**
 * Node 20's V8 compiles lazily by default (a function is compiled on its first call), so its
 * `new WebAssembly.Module` only decodes and validates; the other two compile every function up front,
 * with the baseline compiler (Liftoff) or with the optimising one only (TurboFan).
 */
export const COMPILE_MODES: CompileMode[] = [
  { id: "lazy", label: "Node's default (lazy: decode + validate)", flags: [] },
  { id: "liftoff", label: "Liftoff, every function", flags: ["--no-wasm-lazy-compilation"] },
  { id: "turbofan", label: "TurboFan only (--no-liftoff), every function", flags: ["--no-liftoff", "--no-wasm-lazy-compilation"] },
];

export interface CompileTimes { wallMs: number[]; cpuMs: number[] }

/** Times `runs` synchronous compiles of each module (a path absolute or relative to the project) in a child `node <flags>` (bounded by maxMsPerModule). */
export function nodeCompileTimes(files: string[], mode: CompileMode, runs: number, maxMsPerModule = 10_000): Record<string, CompileTimes> {
  const args = [...mode.flags, join(here, "compile-time.mjs"), String(runs), String(maxMsPerModule), ...files];
  const r = spawnSync(process.execPath, args, { cwd: projectRoot, encoding: "utf8", timeout: files.length * (maxMsPerModule + 30_000) });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!).modules;
}

// ---------------------------------------------------------------------------------------------
// Envoy: time to ready, memory.

export interface EnvoySample {
  variant: string;
  concurrency: number;
  round: number;
  /** startEnvoy() called → admin /ready answered 200 and the listener's port read (src/envoy polls every 25 ms). */
  readyMs: number;
  /** From Envoy's log (ms timestamps): "Base Wasm created" → the first "Thread-Local Wasm created" — compiling the module and starting its first VM. */
  moduleLoadMs: number | null;
  /** From Envoy's log: "starting workers" → the last "Thread-Local Wasm created" (every worker's VM). */
  workerVmsMs: number | null;
  requests: number;
  statuses: Record<string, number>;
  /** Workers that accepted at least one of the requests' connections. */
  workersServed: number;
  wasmVms: number;
  memory: MemoryBreakdown;
  /** The VMs' linear memories: how many, their size and the resident part, summed. */
  linearMemory: { count: number; sizeBytes: number; rssBytes: number };
  /** Envoy's allocator (tcmalloc, admin /memory): bytes in live allocations, and its heap (live + freed but kept). */
  malloc: { allocatedBytes: number; heapSizeBytes: number };
  error?: string;
}

const STAMP = /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\]/;
const stampMs = (line: string | undefined) => {
  const m = line ? STAMP.exec(line) : null;
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : NaN;
};

/** The module load and worker-VM spans from an Envoy log at wasm:debug (null when the lines are not there). */
export function logTimings(log: string): { moduleLoadMs: number | null; workerVmsMs: number | null } {
  const lines = log.split("\n");
  const base = stampMs(lines.find((l) => l.includes("Base Wasm created")));
  const tl = lines.filter((l) => l.includes("Thread-Local Wasm created")).map(stampMs);
  const workers = stampMs(lines.find((l) => l.includes("starting workers")));
  const ok = (v: number) => (Number.isFinite(v) && v >= 0 ? v : null);
  return {
    moduleLoadMs: tl.length ? ok(tl[0] - base) : null,
    workerVmsMs: tl.length ? ok(Math.max(...tl) - workers) : null,
  };
}

/** Envoy with one variant's filter in front of a direct response (no upstream needed). */
function startModuleEnvoy(v: ModuleVariant, concurrency: number): Promise<Envoy> {
  return startEnvoy({
    filters: v.filter ? [v.filter] : [],
    routes: [{ directResponse: { status: 200, body: "ok\n" } }],
    connectionManager: BENCH_HCM,
    concurrency,
    logLevel: "info",
    componentLogLevel: "wasm:debug",
  });
}

/**
 * One variant at one concurrency: start Envoy (timed), send `requests` requests each on a fresh
 * connection (the kernel spreads them over the workers, so every worker's VM runs), then read the
 * memory, the VM count and the log's timings, and stop Envoy.
 */
export async function measureEnvoy(v: ModuleVariant, concurrency: number, round: number, requests = 200): Promise<EnvoySample> {
  const sample: EnvoySample = {
    variant: v.id, concurrency, round, readyMs: NaN, moduleLoadMs: null, workerVmsMs: null, requests: 0, statuses: {}, workersServed: 0, wasmVms: 0,
    memory: { rssBytes: 0, binaryCodeBytes: 0, jitCodeBytes: 0, anonWritableBytes: 0, otherBytes: 0 }, linearMemory: { count: 0, sizeBytes: 0, rssBytes: 0 },
    malloc: { allocatedBytes: NaN, heapSizeBytes: NaN },
  };
  let envoy: Envoy | null = null;
  try {
    const t0 = performance.now();
    envoy = await startModuleEnvoy(v, concurrency);
    sample.readyMs = performance.now() - t0;
    const deadline = Date.now() + 30_000;
    for (let i = 0; i < requests && Date.now() < deadline; i++) {
      const r = await request(envoy.url, "/", { headers: REQUEST_HEADERS, timeoutMs: 5000 });
      sample.statuses[r.status] = (sample.statuses[r.status] ?? 0) + 1;
      sample.requests++;
    }
    const cx = await envoy.stats("downstream_cx_total");
    sample.workersServed = Object.entries(cx).filter(([k, n]) => /\.worker_\d+\.downstream_cx_total$/.test(k) && !k.startsWith("listener.admin") && n > 0).length;
    sample.wasmVms = (await envoy.stats("wasm.wasm_vm_count"))["wasm.wasm_vm_count"] ?? 0;
    const mem = JSON.parse((await request(envoy.adminUrl, "/memory", { timeoutMs: 5000 })).body);
    sample.malloc = { allocatedBytes: Number(mem.allocated), heapSizeBytes: Number(mem.heap_size) };
    sample.memory = memoryBreakdown(envoy.pid);
    const lm = linearMemories(envoy.pid);
    sample.linearMemory = { count: lm.length, sizeBytes: lm.reduce((a, m) => a + m.sizeBytes, 0), rssBytes: lm.reduce((a, m) => a + m.rssBytes, 0) };
    Object.assign(sample, logTimings(envoy.log()));
  } catch (e) {
    sample.error = (e as Error).message.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 3).join(" / ");
  } finally {
    await envoy?.stop();
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Rounds and summary.

export interface ModuleCostSettings {
  rounds: number;
  /** Compiles per module and mode in Node. */
  compileRuns: number;
  /** Requests per Envoy before its memory is read. */
  requests: number;
  /** The two concurrencies; per-VM memory = ΔRSS / (high − low). */
  concurrency: [number, number];
  /** Stop starting Envoys after this long (the report says how many rounds ran). */
  maxMinutes: number;
}

export const DEFAULTS: ModuleCostSettings = { rounds: 3, compileRuns: 15, requests: 200, concurrency: [1, 4], maxMinutes: 20 };

export interface ModuleSummary {
  id: string;
  shape: ModuleShape | null;
  /** Node compile ms per mode (median, min–max over the runs). */
  compile: Partial<Record<CompileMode["id"], { wallMs: Spread; cpuMs: Spread }>>;
  /** Rounds in which both concurrencies ran without error. */
  rounds: number;
  errors: string[];
  /** By concurrency ("1", "4"): ready ms, and added over no filter in the same round. */
  readyMs: Record<string, Spread>;
  readyAddedMs: Record<string, Spread>;
  moduleLoadMs: Spread;
  workerVmsMs: Spread;
  rssBytes: Record<string, Spread>;
  wasmVms: Record<string, number>;
  /** (RSS@high − RSS@low) / (high − low): one worker (and, with a module, its VM). */
  perWorkerBytes: Spread;
  /** perWorkerBytes minus no filter's in the same round: one VM of the module. */
  perVmAddedBytes: Spread;
  /** Of one VM: its linear memory, resident and as sized (Δ over the added VMs). */
  perVmLinearRssBytes: Spread;
  perVmLinearSizeBytes: Spread;
  /** Of one VM: JIT code (anonymous executable memory) added. */
  perVmJitBytes: Spread;
  /** Of one VM: Envoy's live malloc'd bytes added (Envoy's and V8's C++ objects; V8's own heaps are not malloc'd). */
  perVmMallocLiveBytes: Spread;
  /** RSS@low minus no filter's RSS@low (same round): what the module costs before any extra worker, and where. */
  fixedAddedBytes: Spread;
  fixedAddedBinaryCodeBytes: Spread;
  fixedAddedJitBytes: Spread;
  fixedAddedAnonWritableBytes: Spread;
  /** Of the anonymous writable part: live malloc'd bytes, and malloc'd bytes freed but kept by tcmalloc (compiler scratch, mostly). */
  fixedAddedMallocLiveBytes: Spread;
  fixedAddedMallocKeptBytes: Spread;
  /** Fewest workers that served a request in any high-concurrency sample. */
  minWorkersServed: number;
}

export function summariseModuleCost(variants: ModuleVariant[], shapes: Record<string, ModuleShape>, compile: Record<string, Record<string, CompileTimes>>, samples: EnvoySample[], s: ModuleCostSettings): ModuleSummary[] {
  const [lo, hi] = s.concurrency;
  const at = (id: string, c: number, round: number) => samples.find((x) => x.variant === id && x.concurrency === c && x.round === round && !x.error);
  const rounds = [...new Set(samples.map((x) => x.round))].sort((a, b) => a - b);
  const perRound = (id: string, f: (l: EnvoySample, h: EnvoySample, bl: EnvoySample | undefined, bh: EnvoySample | undefined) => number) =>
    spread(rounds.map((r) => {
      const l = at(id, lo, r), h = at(id, hi, r);
      return l && h ? f(l, h, at("none", lo, r), at("none", hi, r)) : NaN;
    }));
  const kept = (x: EnvoySample) => x.malloc.heapSizeBytes - x.malloc.allocatedBytes;
  const perWorker = (l?: EnvoySample, h?: EnvoySample) => (l && h ? (h.memory.rssBytes - l.memory.rssBytes) / (hi - lo) : NaN);
  return variants.map((v) => {
    const mine = samples.filter((x) => x.variant === v.id);
    const ok = mine.filter((x) => !x.error);
    const shape = shapes[v.id] ?? null;
    const byConc = <T>(f: (c: number) => T) => Object.fromEntries([lo, hi].map((c) => [String(c), f(c)]));
    return {
      id: v.id,
      shape,
      compile: shape ? Object.fromEntries(Object.entries(compile).map(([mode, byFile]) => {
        const t = byFile[shape.file];
        return [mode, { wallMs: spread(t?.wallMs ?? []), cpuMs: spread(t?.cpuMs ?? []) }];
      })) : {},
      rounds: rounds.filter((r) => at(v.id, lo, r) && at(v.id, hi, r)).length,
      errors: [...new Set(mine.filter((x) => x.error).map((x) => x.error!))],
      readyMs: byConc((c) => spread(ok.filter((x) => x.concurrency === c).map((x) => x.readyMs))),
      readyAddedMs: byConc((c) => spread(rounds.map((r) => (at(v.id, c, r)?.readyMs ?? NaN) - (at("none", c, r)?.readyMs ?? NaN)))),
      moduleLoadMs: spread(ok.map((x) => x.moduleLoadMs ?? NaN)),
      workerVmsMs: spread(ok.filter((x) => x.concurrency === hi).map((x) => x.workerVmsMs ?? NaN)),
      rssBytes: byConc((c) => spread(ok.filter((x) => x.concurrency === c).map((x) => x.memory.rssBytes))),
      wasmVms: byConc((c) => Math.max(0, ...ok.filter((x) => x.concurrency === c).map((x) => x.wasmVms))),
      perWorkerBytes: perRound(v.id, (l, h) => perWorker(l, h)),
      perVmAddedBytes: perRound(v.id, (l, h, bl, bh) => perWorker(l, h) - perWorker(bl, bh)),
      perVmLinearRssBytes: perRound(v.id, (l, h) => (h.linearMemory.rssBytes - l.linearMemory.rssBytes) / (hi - lo)),
      perVmLinearSizeBytes: perRound(v.id, (l, h) => (h.linearMemory.sizeBytes - l.linearMemory.sizeBytes) / (hi - lo)),
      perVmJitBytes: perRound(v.id, (l, h) => (h.memory.jitCodeBytes - l.memory.jitCodeBytes) / (hi - lo)),
      perVmMallocLiveBytes: perRound(v.id, (l, h, bl, bh) => (h.malloc.allocatedBytes - l.malloc.allocatedBytes) / (hi - lo) - (bl && bh ? (bh.malloc.allocatedBytes - bl.malloc.allocatedBytes) / (hi - lo) : NaN)),
      fixedAddedBytes: perRound(v.id, (l, _h, bl) => l.memory.rssBytes - (bl?.memory.rssBytes ?? NaN)),
      fixedAddedBinaryCodeBytes: perRound(v.id, (l, _h, bl) => l.memory.binaryCodeBytes - (bl?.memory.binaryCodeBytes ?? NaN)),
      fixedAddedJitBytes: perRound(v.id, (l, _h, bl) => l.memory.jitCodeBytes - (bl?.memory.jitCodeBytes ?? NaN)),
      fixedAddedAnonWritableBytes: perRound(v.id, (l, _h, bl) => l.memory.anonWritableBytes - (bl?.memory.anonWritableBytes ?? NaN)),
      fixedAddedMallocLiveBytes: perRound(v.id, (l, _h, bl) => l.malloc.allocatedBytes - (bl?.malloc.allocatedBytes ?? NaN)),
      fixedAddedMallocKeptBytes: perRound(v.id, (l, _h, bl) => kept(l) - (bl ? kept(bl) : NaN)),
      minWorkersServed: Math.min(...ok.filter((x) => x.concurrency === hi).map((x) => x.workersServed), hi),
    };
  });
}

/** Least squares y = a + b·x over the points with finite y, and r². */
export function linearFit(points: [number, number][]): { intercept: number; slope: number; r2: number; n: number } {
  const ps = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = ps.length;
  if (n < 2) return { intercept: NaN, slope: NaN, r2: NaN, n };
  const mx = ps.reduce((a, [x]) => a + x, 0) / n, my = ps.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = ps.reduce((a, [x]) => a + (x - mx) ** 2, 0), sxy = ps.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0), syy = ps.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope, r2: syy ? (sxy * sxy) / (sxx * syy) : NaN, n };
}

export interface ModuleCostRun {
  settings: ModuleCostSettings;
  /** Module ids to run (default all); the baseline "none" always runs. */
  only?: string[];
  log?: (m: string) => void;
}

export interface ModuleCostData {
  settings: ModuleCostSettings;
  variants: ModuleVariant[];
  shapes: Record<string, ModuleShape>;
  /** By compile mode, then module file. */
  compile: Record<string, Record<string, CompileTimes>>;
  samples: EnvoySample[];
  summary: ModuleSummary[];
  /** Rounds that ran (fewer than asked when maxMinutes ran out). */
  roundsRun: number;
}

/** Shapes → Node compile times → interleaved Envoy rounds → summary. Modules must be built. */
export async function measureModuleCost(run: ModuleCostRun): Promise<ModuleCostData> {
  const log = run.log ?? ((m: string) => console.log(m));
  const s = run.settings;
  const variants = MODULE_VARIANTS.filter((v) => v.id === "none" || !run.only || run.only.includes(v.id));
  const shapes: Record<string, ModuleShape> = {};
  for (const v of variants) {
    if (!v.filter) continue;
    const abs = modulePath(v.filter.module);
    if (!existsSync(abs)) throw new Error(`${abs} not found: run \`npm run build\` first`);
    const file = relative(projectRoot, abs); // the report names files relative to the project
    const sh = moduleShape(file);
    shapes[v.id] = sh;
    log(`[shape] ${basename(file)}: ${sh.bytes.toLocaleString("en")} bytes, ${sh.functions} functions, code ${sh.sections.code ?? 0} B, data ${sh.sections.data ?? 0} B, ${sh.exports.length} exports, ${sh.memoryPages} initial page(s)`);
  }
  const files = Object.values(shapes).map((x) => x.file);
  const compile: Record<string, Record<string, CompileTimes>> = {};
  for (const mode of COMPILE_MODES) {
    log(`[node compile] ${mode.label}: ${files.length} module(s) × ${s.compileRuns} runs, each in fresh bytes …`);
    compile[mode.id] = nodeCompileTimes(files, mode, s.compileRuns);
    for (const f of files) {
      const t = spread(compile[mode.id][f].wallMs);
      log(`[node compile] ${mode.id} ${basename(f)}: median ${t.median.toFixed(2)} ms (${t.min.toFixed(2)}–${t.max.toFixed(2)}, ${t.n} runs)`);
    }
  }
  const items = variants.flatMap((v) => s.concurrency.map((c) => ({ v, c })));
  const samples: EnvoySample[] = [];
  const started = Date.now();
  let roundsRun = 0;
  for (let round = 0; round < s.rounds; round++) {
    if (Date.now() - started > s.maxMinutes * 60_000) { log(`[envoy] stopping after ${round} round(s): over ${s.maxMinutes} min`); break; }
    for (const [i, { v, c }] of roundOrder(items, round).entries()) {
      const x = await measureEnvoy(v, c, round, s.requests);
      samples.push(x);
      const what = `${v.id} @ concurrency ${c}`;
      log(x.error
        ? `[round ${round + 1}/${s.rounds}, ${i + 1}/${items.length}] ${what}: failed: ${x.error}`
        : `[round ${round + 1}/${s.rounds}, ${i + 1}/${items.length}] ${what}: ready ${x.readyMs.toFixed(0)} ms${x.moduleLoadMs !== null ? ` (module load ${x.moduleLoadMs} ms)` : ""}, RSS ${(x.memory.rssBytes / 2 ** 20).toFixed(1)} MiB, ${x.wasmVms} VMs, ${x.requests} requests over ${x.workersServed} worker(s)`);
    }
    roundsRun++;
  }
  return { settings: s, variants, shapes, compile, samples, summary: summariseModuleCost(variants, shapes, compile, samples, s), roundsRun };
}
