// `npm run bench:trace-id`: nanoseconds of module work per request for the trace-id filter, measured
// in a lean proxy-wasm host (header maps in JS Maps, no bookkeeping), so the figure is the module's
// own cost plus the bare cost of its host calls — what the filter adds per request, without the test
// host's checks. Cases: no incoming header; a valid incoming traceparent; each with 0 and 1,000 other
// live streams in the VM. add-header is measured the same way as a reference point. "in the module"
// is the total times the share of CPU profile samples inside the module's own code.
// Env: N (requests per case, default 200000), RUNS (default 3; the best run is reported).
// Time is the process's CPU time, so load from other processes does not inflate it.
import { readFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { Session } from "node:inspector/promises";

const N = Number(process.env.N ?? 200_000);
const RUNS = Number(process.env.RUNS ?? 3);
const enc = new TextEncoder();
const dec = new TextDecoder();

class LeanHost {
  exports!: Record<string, (...a: number[]) => number>;
  mem!: WebAssembly.Memory;
  maps: Map<string, Uint8Array>[] = [new Map(), new Map(), new Map(), new Map()];
  private config: Uint8Array;
  private rootId: Uint8Array;
  private nextId = 2;
  constructor(private path: string, rootId: string, config: string) {
    this.config = enc.encode(config);
    this.rootId = enc.encode(rootId);
  }
  private view() { return new DataView(this.mem.buffer); }
  /** Header names are short ASCII: decoding them by hand is several times cheaper than TextDecoder. */
  private name(p: number, l: number): string {
    const b = new Uint8Array(this.mem.buffer, p, l);
    let s = "";
    for (let i = 0; i < l; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  private bytes(p: number, l: number) { return new Uint8Array(this.mem.buffer, p, l); }
  private give(data: Uint8Array, retP: number, retL: number) {
    const p = this.exports.proxy_on_memory_allocate(Math.max(1, data.length));
    this.bytes(p, data.length).set(data);
    const v = this.view();
    v.setUint32(retP, p, true);
    v.setUint32(retL, data.length, true);
  }
  async start() {
    const mod = new WebAssembly.Module(readFileSync(this.path));
    const env: Record<string, Function> = {
      proxy_log: () => 0,
      proxy_get_log_level: (r: number) => { this.view().setUint32(r, 2, true); return 0; },
      proxy_get_property: (pp: number, pl: number, rp: number, rl: number) => {
        if (dec.decode(this.bytes(pp, pl)) !== "plugin_root_id") return 1;
        this.give(this.rootId, rp, rl); return 0;
      },
      proxy_get_buffer_bytes: (t: number, s: number, m: number, rp: number, rl: number) => {
        if (t !== 7) return 1;
        this.give(this.config.subarray(s, s + m), rp, rl); return 0;
      },
      proxy_get_header_map_value: (t: number, kp: number, kl: number, rp: number, rl: number) => {
        const v = this.maps[t].get(this.name(kp, kl));
        if (v === undefined) return 1;
        this.give(v, rp, rl); return 0;
      },
      proxy_replace_header_map_value: (t: number, kp: number, kl: number, vp: number, vl: number) => {
        this.maps[t].set(this.name(kp, kl), this.bytes(vp, vl).slice()); return 0;
      },
      proxy_add_header_map_value: (t: number, kp: number, kl: number, vp: number, vl: number) => {
        this.maps[t].set(this.name(kp, kl), this.bytes(vp, vl).slice()); return 0;
      },
      proxy_remove_header_map_value: (t: number, kp: number, kl: number) => { this.maps[t].delete(this.name(kp, kl)); return 0; },
      proxy_define_metric: (_t: number, _p: number, _l: number, r: number) => { this.view().setUint32(r, 1, true); return 0; },
      proxy_increment_metric: () => 0,
    };
    const wasi: Record<string, Function> = {
      random_get: (p: number, l: number) => { randomFillSync(this.bytes(p, l)); return 0; },
      proc_exit: (c: number) => { throw new Error(`proc_exit(${c})`); },
    };
    const imports: Record<string, Record<string, Function>> = {};
    for (const i of WebAssembly.Module.imports(mod)) {
      if (i.kind !== "function") continue;
      const table = i.module === "env" ? env : wasi;
      (imports[i.module] ??= {})[i.name] = table[i.name] ?? (() => 0);
    }
    const inst = new WebAssembly.Instance(mod, imports as WebAssembly.Imports);
    this.exports = inst.exports as never;
    this.mem = inst.exports.memory as WebAssembly.Memory;
    this.exports._initialize?.();
    this.exports.proxy_on_context_create(1, 0);
    if (!this.exports.proxy_on_vm_start(1, 0) || !this.exports.proxy_on_configure(1, this.config.length)) throw new Error("configure failed");
  }
  /** Opens a stream and runs its request headers; returns its id. */
  open(headers: [string, Uint8Array][]): number {
    const id = this.nextId++;
    this.maps[0] = new Map(headers);
    this.exports.proxy_on_context_create(id, 1);
    this.exports.proxy_on_request_headers(id, headers.length, 1);
    return id;
  }
  finish(id: number) {
    this.maps[2] = new Map(STATUS);
    this.exports.proxy_on_response_headers(id, 1, 1);
    this.exports.proxy_on_done(id);
    this.exports.proxy_on_log(id);
    this.exports.proxy_on_delete(id);
  }
}

const STATUS: [string, Uint8Array][] = [[":status", enc.encode("200")]];
const base: [string, Uint8Array][] = [[":method", "GET"], [":path", "/orders"], [":authority", "svc"]].map(([k, v]) => [k, enc.encode(v)]);
const withTp: [string, Uint8Array][] = [...base, ["traceparent", enc.encode("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")], ["x-request-id", enc.encode("req-1")]];

/**
 * Best CPU ns/request over RUNS, and the share of CPU samples spent executing the module's own code
 * (V8 profiler: wasm functions, excluding host imports and the JS<->wasm transitions).
 */
async function measure(wasm: string, rootId: string, config: string, headers: [string, Uint8Array][], live: number) {
  let best = Infinity;
  let share = 0;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  for (let r = 0; r < RUNS; r++) {
    const h = new LeanHost(wasm, rootId, config);
    await h.start();
    for (let i = 0; i < live; i++) h.open(headers);
    for (let i = 0; i < 20_000; i++) h.finish(h.open(headers));
    // CPU time, not wall time: on a shared machine other processes' load would otherwise dominate.
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) h.finish(h.open(headers));
    const t = process.cpuUsage(t0);
    best = Math.min(best, ((t.user + t.system) * 1000) / N);
    if (r === 0) {
      await session.post("Profiler.start");
      for (let i = 0; i < N; i++) h.finish(h.open(headers));
      const { profile } = await session.post("Profiler.stop");
      share = wasmShare(profile);
    }
  }
  session.disconnect();
  return { total: best, module: best * share };
}

function wasmShare(profile: { nodes: { id: number; callFrame: { functionName: string; url: string } }[]; samples?: number[] }): number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let busy = 0, wasm = 0;
  for (const id of profile.samples ?? []) {
    const f = byId.get(id);
    if (!f || f.functionName === "(idle)" || f.functionName === "(program)") continue;
    busy++;
    if (f.url.startsWith("wasm://") && !/^(wasm-to-js|js-to-wasm)/.test(f.functionName)) wasm++;
  }
  return busy ? wasm / busy : 0;
}

const rows: Record<string, string | number>[] = [];
const row = async (name: string, wasm: string, rootId: string, headers: [string, Uint8Array][], live: number) => {
  const m = await measure(wasm, rootId, "", headers, live);
  rows.push({ case: name, "live streams": live, "ns/request (lean host, total)": Math.round(m.total), "ns/request in the module": Math.round(m.module) });
};
for (const live of [0, 1000]) {
  await row("add-header (reference)", "build/add-header.wasm", "add_header", base, live);
  await row("trace-id: no incoming header", "build/trace-id.wasm", "trace_id", base, live);
  await row("trace-id: valid traceparent", "build/trace-id.wasm", "trace_id", withTp, live);
}
console.table(rows);
