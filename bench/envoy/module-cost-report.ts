// bench:modules report: one Markdown table (size, functions, Node compile ms, Envoy ready ms and
// per-VM memory added over no filter), the fits against size, where the fixed memory goes, and an SVG
// chart — compile time and per-VM memory against module size.
import type { Spread } from "./summary.js";
import { esc } from "./report.js";
import { linearFit, type ModuleCostSettings, type ModuleSummary } from "./module-cost-run.js";

const MiB = 2 ** 20;
const fx = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "–");
const signed = (v: number, d = 1) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${v.toFixed(d)}` : "–");
const range = (s: Spread, d = 1, f = fx) => (s.n ? `${f(s.median, d)} (${f(s.min, d)}…${f(s.max, d)})` : "–");
const kib = (b: number) => b / 1024;

/** Points (module size KiB, y) of the modules (not the baseline). */
const points = (rows: ModuleSummary[], y: (r: ModuleSummary) => number): [number, number][] =>
  rows.filter((r) => r.shape).map((r) => [kib(r.shape!.bytes), y(r)]);

export interface Fit { what: string; unit: string; intercept: number; slope: number; r2: number; n: number }

/** How each cost grows with size: a straight line through the modules' medians. */
export function fits(rows: ModuleSummary[], s: ModuleCostSettings): Fit[] {
  const [lo] = s.concurrency;
  const f = (what: string, unit: string, y: (r: ModuleSummary) => number): Fit => ({ what, unit, ...linearFit(points(rows, y)) });
  return [
    f("Node compile, Liftoff", "ms", (r) => r.compile.liftoff?.wallMs.median ?? NaN),
    f("Node compile, TurboFan", "ms", (r) => r.compile.turbofan?.wallMs.median ?? NaN),
    f("Envoy module load (log)", "ms", (r) => r.moduleLoadMs.median),
    f(`Envoy ready, added @${lo}`, "ms", (r) => r.readyAddedMs[String(lo)]?.median ?? NaN),
    f("per-VM memory, added", "MiB", (r) => r.perVmAddedBytes.median / MiB),
    f(`RSS @${lo}, added`, "MiB", (r) => r.fixedAddedBytes.median / MiB),
  ];
}

export function moduleTable(rows: ModuleSummary[], s: ModuleCostSettings): string {
  const [lo, hi] = s.concurrency;
  const head = ["module", "KiB", "functions", "Node compile ms, Liftoff / TurboFan", "Envoy module load ms (log)",
    `Envoy ready ms @${lo}: added over no filter`, `ready added @${hi}`, "per-VM MiB: added over no filter", "of it: linear memory KiB (resident)", `RSS @${lo} added MiB`];
  const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const r of rows) {
    if (!r.rounds) { lines.push(`| ${r.id} | not run: ${esc(r.errors[0] ?? "no rounds").slice(0, 120)} |${" |".repeat(head.length - 2)}`); continue; }
    if (!r.shape) {
      lines.push(`| no filter (baseline) | – | – | – | – | ${range(r.readyMs[String(lo)], 0)} (absolute) | ${fx(r.readyMs[String(hi)].median, 0)} (absolute) | ${range(mapSpread(r.perWorkerBytes, MiB), 2)} per worker (absolute) | – | ${fx(r.rssBytes[String(lo)].median / MiB)} (absolute) |`);
      continue;
    }
    const c = r.compile;
    lines.push(`| ${r.id} | ${fx(kib(r.shape.bytes))} | ${r.shape.functions} | ${fx(c.liftoff?.wallMs.median ?? NaN, 1)} / ${fx(c.turbofan?.wallMs.median ?? NaN, 0)} | ${range(r.moduleLoadMs, 0)} | `
      + `${range(r.readyAddedMs[String(lo)], 0, signed)} | ${signed(r.readyAddedMs[String(hi)].median, 0)} | ${range(mapSpread(r.perVmAddedBytes, MiB), 2, signed)} | `
      + `${fx(r.perVmLinearRssBytes.median / 1024, 0)} of ${fx(r.perVmLinearSizeBytes.median / 1024, 0)} | ${signed(r.fixedAddedBytes.median / MiB)} |`);
  }
  return lines.join("\n");
}

/** Where the module's memory at the low concurrency goes (added over no filter, same round, medians). */
export function fixedTable(rows: ModuleSummary[], s: ModuleCostSettings): string {
  const [lo] = s.concurrency;
  const head = ["module", `RSS @${lo} added MiB`, "Envoy binary's code paged in (V8)", "JIT code (compiled module)", "anonymous writable (heaps, linear memory)",
    "of it: malloc, live", "of it: malloc, freed but kept", `Wasm VMs @${lo} / @${s.concurrency[1]}`];
  const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const r of rows.filter((x) => x.shape && x.rounds)) {
    lines.push(`| ${r.id} | ${signed(r.fixedAddedBytes.median / MiB)} | ${signed(r.fixedAddedBinaryCodeBytes.median / MiB)} | ${signed(r.fixedAddedJitBytes.median / MiB, 2)} | ${signed(r.fixedAddedAnonWritableBytes.median / MiB)} | ${signed(r.fixedAddedMallocLiveBytes.median / MiB)} | ${signed(r.fixedAddedMallocKeptBytes.median / MiB)} | ${r.wasmVms[String(lo)]} / ${r.wasmVms[String(s.concurrency[1])]} |`);
  }
  return lines.join("\n");
}

/** What each module is made of: is one section, function or data segment most of it? */
export function makeupTable(rows: ModuleSummary[]): string {
  const head = ["module", "bytes", "code section", "data section", "everything else", "largest function, bytes", "data segments (largest, bytes)", "exports", "custom sections"];
  const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const r of rows.filter((x) => x.shape)) {
    const sh = r.shape!;
    const pct = (n: number) => `${fx(n / 1024)} KiB (${fx((100 * n) / sh.bytes, 0)} %)`;
    const code = sh.sections.code ?? 0, data = sh.sections.data ?? 0;
    const custom = Object.keys(sh.sections).filter((k) => k.startsWith("custom:"));
    lines.push(`| ${r.id} | ${sh.bytes.toLocaleString("en")} | ${pct(code)} | ${pct(data)} | ${pct(sh.bytes - code - data)} | ${sh.largestFunctionBytes.toLocaleString("en")} | ${sh.dataSegments} (${sh.largestDataSegmentBytes.toLocaleString("en")}) | ${sh.exports.length} | ${custom.length ? custom.map((c) => c.slice(7)).join(", ") : "none"} |`);
  }
  return lines.join("\n");
}

/** One VM's memory, split (added over no filter; medians over rounds, KiB). */
export function perVmTable(rows: ModuleSummary[]): string {
  const head = ["module", "per-VM KiB, added", "linear memory, resident (of its size)", "JIT code", "malloc'd, live", "the rest (V8's heap pages for the VM's isolate, stacks …)"];
  const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const r of rows.filter((x) => x.shape && x.rounds)) {
    const k = (v: number) => fx(v / 1024, 0);
    const rest = r.perVmAddedBytes.median - r.perVmLinearRssBytes.median - r.perVmJitBytes.median - r.perVmMallocLiveBytes.median;
    lines.push(`| ${r.id} | ${k(r.perVmAddedBytes.median)} | ${k(r.perVmLinearRssBytes.median)} (of ${k(r.perVmLinearSizeBytes.median)}) | ${k(r.perVmJitBytes.median)} | ${k(r.perVmMallocLiveBytes.median)} | ${k(rest)} |`);
  }
  return lines.join("\n");
}

export function fitLines(rows: ModuleSummary[], s: ModuleCostSettings): string {
  return fits(rows, s).map((f) => `- ${f.what}: ≈ ${fx(f.intercept, f.unit === "MiB" ? 2 : 1)} ${f.unit} + ${fx(f.slope * 100, f.unit === "MiB" ? 2 : 1)} ${f.unit} per 100 KiB (r² ${fx(f.r2, 2)}, ${f.n} modules)`).join("\n");
}

function mapSpread(s: Spread, div: number): Spread {
  return { median: s.median / div, min: s.min / div, max: s.max / div, q1: s.q1 / div, q3: s.q3 / div, n: s.n };
}

/** Two panels against module size (KiB): compile/load ms; per-VM memory added (MiB), with min–max whiskers. */
export function moduleChart(rows: ModuleSummary[], s: ModuleCostSettings, subtitle: string): string {
  const mods = rows.filter((r) => r.shape && r.rounds);
  const [lo] = s.concurrency;
  const W = 980, top = 78, panelW = 400, panelH = 280, left0 = 60, gapW = 90;
  const maxKiB = 1.1 * Math.max(10, ...mods.map((r) => kib(r.shape!.bytes)));
  type Series = { name: string; color: string; y: (r: ModuleSummary) => Spread | number };
  const panels: { title: string; unit: string; series: Series[] }[] = [
    { title: "Compile / load time, ms", unit: "ms", series: [
      { name: "Node: Liftoff, every function", color: "#59a14f", y: (r) => r.compile.liftoff?.wallMs ?? NaN },
      { name: "Node: TurboFan only, every function", color: "#4e79a7", y: (r) => r.compile.turbofan?.wallMs ?? NaN },
      { name: "Envoy: module load (log)", color: "#e15759", y: (r) => r.moduleLoadMs },
      { name: `Envoy: ready, added @${lo}`, color: "#f28e2b", y: (r) => r.readyAddedMs[String(lo)] },
    ] },
    { title: "Memory per Wasm VM, MiB (added over no filter)", unit: "MiB", series: [
      { name: "per-VM RSS, added", color: "#4e79a7", y: (r) => mapSpread(r.perVmAddedBytes, MiB) },
      { name: "of it: linear memory (resident)", color: "#59a14f", y: (r) => mapSpread(r.perVmLinearRssBytes, MiB) },
      { name: "of it: JIT code", color: "#b07aa1", y: (r) => mapSpread(r.perVmJitBytes, MiB) },
      { name: "of it: malloc'd, live", color: "#f28e2b", y: (r) => mapSpread(r.perVmMallocLiveBytes, MiB) },
    ] },
  ];
  const H = top + panelH + 44 + 14 * Math.max(...panels.map((p) => p.series.length)) + 8;
  const val = (v: Spread | number) => (typeof v === "number" ? { median: v, min: v, max: v } : v);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">What module size costs: V8 compile time and memory per VM, against module size</text>`,
    `<text x="10" y="34">${esc(subtitle)}</text>`,
    `<text x="10" y="50">dot: median; whisker: min–max (Node: over compiles; Envoy: over rounds). Per VM = (RSS@${s.concurrency[1]} − RSS@${lo}) / ${s.concurrency[1] - lo}, minus the same with no filter.</text>`];
  panels.forEach((p, j) => {
    const x0 = left0 + j * (panelW + gapW), y0 = top, yBottom = top + panelH;
    const all = mods.flatMap((r) => p.series.map((se) => val(se.y(r)).max)).filter(Number.isFinite);
    const allMin = mods.flatMap((r) => p.series.map((se) => val(se.y(r)).min)).filter(Number.isFinite);
    const yMax = Math.max(p.unit === "ms" ? 10 : 0.5, ...all) * 1.1;
    const yMin = Math.min(0, ...allMin) * 1.1;
    const X = (k: number) => x0 + (panelW * k) / maxKiB;
    const Y = (v: number) => yBottom - (panelH * (v - yMin)) / (yMax - yMin);
    out.push(`<text x="${x0}" y="${y0 - 8}" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<line x1="${x0}" y1="${yBottom}" x2="${x0 + panelW}" y2="${yBottom}" stroke="#999"/><line x1="${x0}" y1="${y0}" x2="${x0}" y2="${yBottom}" stroke="#999"/>`);
    const step = niceStep(yMax - yMin);
    for (let t = Math.ceil(yMin / step) * step; t <= yMax; t += step) {
      out.push(`<line x1="${x0}" y1="${Y(t).toFixed(1)}" x2="${x0 + panelW}" y2="${Y(t).toFixed(1)}" stroke="${Math.abs(t) < step / 2 ? "#999" : "#eee"}"/><text x="${x0 - 4}" y="${(Y(t) + 3).toFixed(1)}" text-anchor="end" font-size="9">${+t.toFixed(2)}</text>`);
    }
    const xStep = niceStep(maxKiB);
    for (let k = 0; k <= maxKiB; k += xStep) out.push(`<text x="${X(k).toFixed(1)}" y="${yBottom + 14}" text-anchor="middle" font-size="9">${k}</text>`);
    out.push(`<text x="${x0 + panelW / 2}" y="${yBottom + 28}" text-anchor="middle">module size, KiB</text>`);
    p.series.forEach((se, i) => {
      out.push(`<circle cx="${x0 + 8}" cy="${yBottom + 44 + i * 14}" r="4" fill="${se.color}"/><text x="${x0 + 16}" y="${yBottom + 48 + i * 14}">${esc(se.name)}</text>`);
      const pts: string[] = [];
      for (const r of mods) {
        const v = val(se.y(r));
        if (!Number.isFinite(v.median)) continue;
        const x = X(kib(r.shape!.bytes)) + (i - (p.series.length - 1) / 2) * 3;
        pts.push(`${x.toFixed(1)},${Y(v.median).toFixed(1)}`);
        if (Number.isFinite(v.min) && Number.isFinite(v.max)) out.push(`<line x1="${x.toFixed(1)}" y1="${Y(v.min).toFixed(1)}" x2="${x.toFixed(1)}" y2="${Y(v.max).toFixed(1)}" stroke="${se.color}"/>`);
        out.push(`<circle cx="${x.toFixed(1)}" cy="${Y(v.median).toFixed(1)}" r="3.5" fill="${se.color}"><title>${esc(`${r.id}: ${se.name} ${fx(v.median, 2)} ${p.unit}`)}</title></circle>`);
      }
      if (pts.length > 1) out.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${se.color}" stroke-opacity="0.4"/>`);
    });
    if (j === 0) for (const r of mods) out.push(`<text x="${X(kib(r.shape!.bytes)).toFixed(1)}" y="${y0 + 10}" text-anchor="middle" font-size="9" fill="#666">${esc(r.id)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

function niceStep(span: number): number {
  const raw = span / 6;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw) ?? 10 * p;
}
