// The benchmark report: a Markdown table (CPU per request with spread, ratios, throughput, memory),
// a latency table, and two SVG charts (CPU µs/request by variant with min–max whiskers; latency
// percentiles at the highest open-loop rate).
import type { Mode } from "./run.js";
import type { Spread, VariantSummary } from "./summary.js";

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en") : "–");
const mib = (b: number) => (Number.isFinite(b) && b ? (b / 2 ** 20).toFixed(0) : "–");
const range = (s: Spread, f = f1) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${v.toFixed(1)}` : "–");
export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function cpuTable(rows: VariantSummary[], modes: Mode[]): string {
  const head = ["variant", "kind"];
  for (const m of modes) head.push(`CPU µs/req, ${m}: median (min–max)`, `added µs, ${m}`, `× no filter, ${m}`);
  for (const m of modes) head.push(`max req/s, ${m} (× no filter)`);
  head.push("Envoy RSS MiB", "Wasm VMs");
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) {
    if (!r.rounds) { lines.push(`| ${r.label} | ${r.kind} | not run: ${esc(r.errors[0] ?? "no rounds").slice(0, 140)} |${" |".repeat(head.length - 3)}`); continue; }
    const cells = [r.label, r.kind];
    for (const m of modes) {
      const s = r.modes[m];
      cells.push(s ? range(s.cpuUsPerRequest) : "–", s && r.id !== "none" ? `${signed(s.addedUs.median)} (${signed(s.addedUs.min)}…${signed(s.addedUs.max)})` : "—", s && r.id !== "none" ? `${f2(s.cpuRatio.median)}×` : "—");
    }
    for (const m of modes) { const s = r.modes[m]; cells.push(s ? `${int(s.rps.median)} (${f2(s.rpsRatio.median)}×)` : "–"); }
    cells.push(mib(r.rssBytes.median), String(r.wasmVms));
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The headline table (README): CPU per request with spread and added µs per mode, throughput, p99, memory. */
export function compactTable(rows: VariantSummary[], modes: Mode[]): string {
  const top = Math.max(0, ...rows.flatMap((r) => modes.flatMap((m) => r.modes[m]?.latency.map((l) => l.rate) ?? [])));
  const head = ["variant", ...modes.map((m) => `Envoy CPU µs/req, ${m}: median (min–max)`), ...modes.map((m) => `added µs, ${m}`),
    `max req/s, ${modes[0]} (× no filter)`, ...(top ? [`p99 µs @ ${top.toLocaleString("en")}/s, ${modes[0]}`] : []), "RSS MiB", "Wasm VMs"];
  const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const r of rows) {
    if (!r.rounds) { lines.push(`| ${r.label} | not run: ${esc(r.errors[0] ?? "no rounds").slice(0, 100)} |${" |".repeat(head.length - 2)}`); continue; }
    const cells = [r.label, ...modes.map((m) => (r.modes[m] ? range(r.modes[m]!.cpuUsPerRequest) : "–")),
      ...modes.map((m) => (r.modes[m] && r.id !== "none" ? signed(r.modes[m]!.addedUs.median) : "—"))];
    const first = r.modes[modes[0]];
    cells.push(first ? `${int(first.rps.median)} (${f2(first.rpsRatio.median)}×)` : "–");
    if (top) cells.push(int(first?.latency.find((l) => l.rate === top)?.p99.median ?? NaN));
    cells.push(mib(r.rssBytes.median), String(r.wasmVms));
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function latencyTable(rows: VariantSummary[], modes: Mode[]): string {
  const rates = [...new Set(rows.flatMap((r) => modes.flatMap((m) => r.modes[m]?.latency.map((l) => l.rate) ?? [])))].sort((a, b) => a - b);
  if (!rates.length) return "(no open-loop runs)";
  const head = ["variant", ...modes.flatMap((m) => rates.map((rate) => `${m} @ ${rate}/s: p50 / p90 / p99 / p99.9 µs`))];
  const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
  for (const r of rows.filter((x) => x.rounds)) {
    const cells = [r.label];
    for (const m of modes) for (const rate of rates) {
      const l = r.modes[m]?.latency.find((x) => x.rate === rate);
      const failed = l && l.worstSuccess < 1 ? ` (${((1 - l.worstSuccess) * 100).toFixed(1)} % failed in one round)` : "";
      cells.push(l ? [l.p50, l.p90, l.p99, l.p999].map((s) => int(s.median)).join(" / ") + failed : "–");
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

const COLORS: Record<string, string> = { baseline: "#7f7f7f", wasm: "#4e79a7", native: "#59a14f", lua: "#f28e2b", peer: "#b07aa1" };

/** CPU µs per request by variant: bars at the median, whiskers min–max, one bar per mode. */
export function cpuChart(rows: VariantSummary[], modes: Mode[], subtitle: string): string {
  const ok = rows.filter((r) => r.rounds);
  const left = 24 + 6.4 * Math.max(20, ...ok.map((r) => r.label.length));
  const W = Math.ceil(left + 560), barH = 11, gap = 12, top = 66;
  const max = 1.1 * Math.max(1, ...ok.flatMap((r) => modes.map((m) => r.modes[m]?.cpuUsPerRequest.max ?? 0)));
  const x = (v: number) => left + (460 * v) / max;
  const H = top + ok.length * (barH * modes.length + gap) + 30;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Envoy CPU µs per request (lower is better)</text>`,
    `<text x="10" y="34">${esc(subtitle)}</text>`,
    `<text x="10" y="50">bar: median over rounds; whisker: min–max. ${modes.map((m, i) => `${i ? "lighter" : "solid"}: ${m === "direct" ? "direct response" : "real upstream"}`).join("; ")}. Colour: ${Object.keys(COLORS).join(", ")}.</text>`];
  for (let t = 0; t <= max; t += max > 100 ? 20 : 10) {
    out.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${H - 24}" stroke="#e0e0e0"/><text x="${x(t)}" y="${H - 10}" text-anchor="middle" font-size="9">${t}</text>`);
  }
  ok.forEach((r, k) => {
    const y0 = top + k * (barH * modes.length + gap);
    out.push(`<text x="${left - 6}" y="${y0 + barH * modes.length / 2 + 4}" text-anchor="end">${esc(r.label)}</text>`);
    modes.forEach((m, i) => {
      const s = r.modes[m]?.cpuUsPerRequest;
      if (!s) return;
      const y = y0 + i * barH;
      out.push(`<rect x="${left}" y="${y}" width="${(x(s.median) - left).toFixed(1)}" height="${barH - 2}" fill="${COLORS[r.kind] ?? "#333"}" fill-opacity="${i ? 0.5 : 1}"/>`);
      out.push(`<line x1="${x(s.min).toFixed(1)}" y1="${y + (barH - 2) / 2}" x2="${x(s.max).toFixed(1)}" y2="${y + (barH - 2) / 2}" stroke="black"/>`);
      out.push(`<text x="${(x(s.max) + 4).toFixed(1)}" y="${y + barH - 3}" font-size="9">${f1(s.median)}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n");
}

/**
 * Latency percentiles (p50, p90, p99, p99.9; median over rounds), one panel per mode and open-loop
 * rate, on a log scale (latencies on a busy machine span 0.1 ms to seconds).
 */
export function latencyChart(rows: VariantSummary[], modes: Mode[], subtitle: string): string {
  const ok = rows.filter((r) => r.rounds && modes.some((m) => r.modes[m]?.latency.length));
  const rates = [...new Set(ok.flatMap((r) => modes.flatMap((m) => r.modes[m]?.latency.map((l) => l.rate) ?? [])))].sort((a, b) => a - b);
  const panels = modes.flatMap((m) => rates.map((rate) => ({ m, rate })));
  const pct = ["p50", "p90", "p99", "p999"] as const;
  const shades = ["#c6dbef", "#6baed6", "#2171b5", "#08306b"];
  const left = 24 + 6.4 * Math.max(20, ...ok.map((r) => r.label.length));
  const panelW = 250, gapW = 44, barH = 5, gap = 10, top = 78;
  const W = Math.ceil(left + panels.length * (panelW + gapW) + 10);
  const at = (r: VariantSummary, m: Mode, rate: number) => r.modes[m]?.latency.find((l) => l.rate === rate);
  const all = ok.flatMap((r) => panels.flatMap((p) => { const l = at(r, p.m, p.rate); return l ? pct.map((k) => l[k].median) : []; })).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...all, 100))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(lo * 10, ...all)));
  const H = top + ok.length * (barH * pct.length + gap) + 34;
  const tick = (v: number) => (v >= 1e6 ? `${v / 1e6} s` : v >= 1e3 ? `${v / 1e3} ms` : `${v} µs`);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Latency, open loop at fixed arrival rates (log scale, lower is better)</text>`,
    `<text x="10" y="34">${esc(subtitle)}. Median over rounds of each run's percentile.</text>`];
  pct.forEach((p, i) => out.push(`<rect x="${10 + i * 70}" y="42" width="10" height="10" fill="${shades[i]}"/><text x="${24 + i * 70}" y="51">${p === "p999" ? "p99.9" : p}</text>`));
  panels.forEach(({ m, rate }, j) => {
    const x0 = left + j * (panelW + gapW);
    const x = (v: number) => x0 + (panelW * (Math.log10(Math.min(Math.max(v, lo), hi)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
    out.push(`<text x="${x0}" y="${top - 10}" font-weight="bold">${m === "direct" ? "direct response" : "real upstream"}, ${rate.toLocaleString("en")}/s</text>`);
    for (let v = lo; v <= hi; v *= 10) {
      out.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${H - 26}" stroke="#e0e0e0"/><text x="${x(v).toFixed(1)}" y="${H - 12}" text-anchor="middle" font-size="9">${tick(v)}</text>`);
    }
    ok.forEach((r, k) => {
      const y0 = top + k * (barH * pct.length + gap);
      if (j === 0) out.push(`<text x="${left - 6}" y="${y0 + barH * 2 + 4}" text-anchor="end">${esc(r.label)}</text>`);
      const l = at(r, m, rate);
      if (!l) return;
      pct.forEach((p, i) => out.push(`<rect x="${x0}" y="${y0 + i * barH}" width="${Math.max(0, x(l[p].median) - x0).toFixed(1)}" height="${barH - 1}" fill="${shades[i]}"/>`));
      if (l.worstSuccess < 1) out.push(`<text x="${(x(l.p999.median) + 3).toFixed(1)}" y="${y0 + barH * 4 - 1}" font-size="9" fill="#c00">${((1 - l.worstSuccess) * 100).toFixed(0)} % failed</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n");
}
