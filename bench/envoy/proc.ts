// What the kernel says about a process: CPU time (utime + stime, all threads) and resident memory,
// from /proc/<pid>/stat and /proc/<pid>/status — the figures that hold on a shared machine, where
// wall-clock throughput depends on what else runs.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

let ticksPerSecond = 0;
/** The kernel's clock tick (USER_HZ), the unit of utime/stime. */
export function clockTicks(): number {
  if (!ticksPerSecond) {
    try { ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100; } catch { ticksPerSecond = 100; }
  }
  return ticksPerSecond;
}

/** utime + stime of the whole process (every thread), in µs. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ")".
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(f[11]), stime = Number(f[12]);
  return ((utime + stime) * 1e6) / clockTicks();
}

/** Resident set size, bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Pins every thread of pid (and the threads it creates later) to the given CPUs. */
export function pin(pid: number, cpuList: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { stdio: "ignore" });
}

/** Envoy's core and the generator's: the last CPU for Envoy, the one before for the load (and upstream). */
export function coreLayout(): { envoy: string; generator: string; pinned: boolean } {
  const n = cpus().length;
  if (n < 2) return { envoy: "0", generator: "0", pinned: false };
  return { envoy: String(n - 1), generator: String(n - 2), pinned: true };
}

export const cpuModel = () => cpus()[0]?.model?.trim() ?? "unknown";

export interface LinearMemory {
  /** Start address (hex): stable for a VM's life, so it names the VM across samples. */
  at: string;
  /** Accessible size = the memory's current size (memory.size × 64 KiB), bytes. */
  sizeBytes: number;
  /** Of it, resident, bytes. */
  rssBytes: number;
}

/**
 * Each Wasm VM's linear memory, from /proc/<pid>/smaps. Envoy exposes no per-VM memory statistic, so
 * this reads what V8 does: every Wasm memory gets its own reservation of ~8 GiB (bounds checks by
 * guard pages); the read-write mapping at its start is the memory's current size, and the rest
 * stays inaccessible (---p) until memory.grow. One such pair per VM.
 */
export function linearMemories(pid: number): LinearMemory[] {
  const out: LinearMemory[] = [];
  let prev: { start: bigint; end: bigint; perms: string; rss: number } | null = null;
  let cur: { start: bigint; end: bigint; perms: string; rss: number } | null = null;
  const flush = () => {
    if (prev && cur && prev.perms === "rw-p" && cur.perms === "---p" && prev.end === cur.start && cur.end - cur.start >= 4n << 30n) {
      out.push({ at: prev.start.toString(16), sizeBytes: Number(prev.end - prev.start), rssBytes: prev.rss });
    }
  };
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) /.exec(line);
    if (m) {
      flush();
      prev = cur;
      cur = { start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3], rss: 0 };
    } else if (cur && line.startsWith("Rss:")) {
      cur.rss = Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  flush();
  return out;
}

/** Where a process's resident memory is, by kind of mapping (bytes; from /proc/<pid>/smaps). */
export interface MemoryBreakdown {
  rssBytes: number;
  /** Executable file mappings: the Envoy binary's code paged in (V8 is linked into it). */
  binaryCodeBytes: number;
  /** Anonymous executable mappings: JIT code (V8's compiled Wasm and wrappers). */
  jitCodeBytes: number;
  /** Anonymous writable mappings: malloc'd memory, V8 heaps, Wasm linear memories. */
  anonWritableBytes: number;
  /** Everything else: read-only file data, read-only anonymous pages, the vDSO. */
  otherBytes: number;
}

export function memoryBreakdown(pid: number): MemoryBreakdown {
  const out: MemoryBreakdown = { rssBytes: 0, binaryCodeBytes: 0, jitCodeBytes: 0, anonWritableBytes: 0, otherBytes: 0 };
  let kind: Exclude<keyof MemoryBreakdown, "rssBytes"> = "otherBytes";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const [perms, path] = [m[1], m[2]];
      const file = path.startsWith("/");
      kind = perms[2] === "x" ? (file ? "binaryCodeBytes" : path === "" ? "jitCodeBytes" : "otherBytes")
        : !file && perms[1] === "w" ? "anonWritableBytes" : "otherBytes";
    } else if (line.startsWith("Rss:")) {
      const b = Number(line.split(/\s+/)[1]) * 1024;
      out[kind] += b;
      out.rssBytes += b;
    }
  }
  return out;
}
