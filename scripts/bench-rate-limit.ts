// `npm run bench:rate-limit`: what the rate-limit filter costs per request in the Node test host, and
// how much of it is the module's own work (SDK + filter: wasm code, excluding the host's JS and the
// JS<->wasm transitions), for 1 and 5 rules, admitted and rejected, with 1 and 4 worker VMs taking
// turns on the same shared buckets. Also: the time to configure (create the slot groups).
// Env: N (requests per case, default 50000). CPU time, not wall time, so other processes' load does
// not inflate it; the module share comes from a V8 CPU profile of a second run.
import { Session } from "node:inspector/promises";
import { ProxyHost } from "../src/host/index.js";

const N = Number(process.env.N ?? 50_000);
const WASM = "build/rate-limit.wasm";
const REQUEST = { ":method": "GET", ":path": "/api/items?id=7", ":authority": "example.com", ":scheme": "http", "user-agent": "bench", "x-api-key": "k1" };
const RESPONSE = { ":status": "200", "content-type": "application/json", "content-length": "2" };

/** n rules over different sources (5: header key, source IP, path match + method/authority key, UA, global). */
function config(n: number, drained: boolean): unknown {
  const big = { tokens: 1_000_000_000, interval: "1s" };
  const rules: Record<string, unknown>[] = [
    { name: "per-key", key: [{ source: "header", name: "x-api-key" }], ...big },
    { name: "per-ip", key: [{ source: "sourceIp" }], ...big },
    { name: "api", match: { source: "path", operator: "prefix", value: "/api/" }, key: [{ source: "method" }, { source: "authority" }], ...big },
    { name: "per-ua", key: [{ source: "header", name: "user-agent" }], ...big },
    { name: "global", ...big },
  ].slice(5 - n);
  // Rejected: the last rule's bucket holds one token, gone after the warm-up.
  if (drained) Object.assign(rules[rules.length - 1], { tokens: 1, interval: "1h" });
  return { rules };
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

async function measure(rules: number, drained: boolean, vms: number) {
  const c0 = process.cpuUsage();
  const host = await ProxyHost.create({ wasm: WASM, rootId: "rate_limit", pluginConfig: config(rules, drained), vms });
  const c1 = process.cpuUsage(c0);
  if (!host.configured) throw new Error(host.logMessages().join("\n"));
  let rejected = 0;
  const one = () => {
    const s = host.newHttpStream({ properties: { "source.address": "10.1.2.3:40000" } });
    const r = s.sendRequestHeaders(REQUEST, { endOfStream: true });
    if (r.localResponse) rejected++;
    else s.sendResponseHeaders(RESPONSE, { endOfStream: true });
    s.complete();
  };
  for (let i = 0; i < 5000; i++) one(); // past V8's tier-up (and drains the "rejected" bucket)
  rejected = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) one();
  const t = process.cpuUsage(t0);
  if (rejected !== (drained ? N : 0)) throw new Error(`expected ${drained ? N : 0} rejections, got ${rejected}`);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  for (let i = 0; i < N; i++) one();
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  const total = ((t.user + t.system) * 1000) / N;
  return { total, module: total * wasmShare(profile), configureMs: (c1.user + c1.system) / 1000 / vms };
}

const rows: Record<string, string | number>[] = [];
for (const vms of [1, 4]) {
  for (const rules of [1, 5]) {
    for (const drained of [false, true]) {
      const m = await measure(rules, drained, vms);
      rows.push({
        case: `${rules} rule${rules > 1 ? "s" : ""}, ${drained ? "rejected" : "admitted"}, ${vms} VM${vms > 1 ? "s" : ""}`,
        "ns/request (test host, total)": Math.round(m.total),
        "ns/request in the module": Math.round(m.module),
        "configure ms/VM": Number(m.configureMs.toFixed(1)),
      });
    }
  }
}
console.table(rows);
console.log(`N=${N} lifecycles per case; module = total × share of CPU profile samples in the module's own code.`);
