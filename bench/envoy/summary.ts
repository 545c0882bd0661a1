// From samples to figures: per variant and mode, the median over rounds with its spread (min–max and
// interquartile range), and ratios to the no-filter baseline taken round by round (same run, same
// minute), then summarised the same way.
import type { Mode, Sample } from "./run.js";
import type { Variant } from "./variants.js";

export interface Spread { median: number; min: number; max: number; q1: number; q3: number; n: number }

/** Median, quartiles (linear interpolation) and range; NaN values are left out. */
export function spread(values: number[]): Spread {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const at = (q: number) => {
    if (!xs.length) return NaN;
    const i = q * (xs.length - 1), lo = Math.floor(i), hi = Math.ceil(i);
    return xs[lo] + (xs[hi] - xs[lo]) * (i - lo);
  };
  return { median: at(0.5), min: xs[0] ?? NaN, max: xs[xs.length - 1] ?? NaN, q1: at(0.25), q3: at(0.75), n: xs.length };
}

export interface LatencySummary {
  rate: number; p50: Spread; p90: Spread; p99: Spread; p999: Spread; cpuUsPerRequest: Spread;
  /** Share of 2xx answers, worst round (below 1: some requests failed or timed out). */
  worstSuccess: number;
}

export interface ModeSummary {
  cpuUsPerRequest: Spread;
  /** CPU µs/request minus the baseline's in the same round. */
  addedUs: Spread;
  /** CPU µs/request ÷ the baseline's in the same round. */
  cpuRatio: Spread;
  rps: Spread;
  /** Max throughput ÷ the baseline's in the same round. */
  rpsRatio: Spread;
  latency: LatencySummary[];
}

export interface VariantSummary {
  id: string;
  label: string;
  kind: string;
  equivalentOf?: string;
  rounds: number;
  errors: string[];
  rssBytes: Spread;
  wasmVms: number;
  linearMemoryBytes: number;
  modes: Partial<Record<Mode, ModeSummary>>;
}

export function summarise(variants: Variant[], samples: Sample[], modes: Mode[], baselineId = "none"): VariantSummary[] {
  const base = new Map(samples.filter((s) => s.variant === baselineId && !s.error).map((s) => [s.round, s]));
  return variants.map((v) => {
    const mine = samples.filter((s) => s.variant === v.id);
    const ok = mine.filter((s) => !s.error);
    const out: VariantSummary = {
      id: v.id, label: v.label, kind: v.kind, equivalentOf: v.equivalentOf, rounds: ok.length,
      errors: [...new Set(mine.filter((s) => s.error).map((s) => s.error!))],
      rssBytes: spread(ok.map((s) => s.rssBytes)),
      wasmVms: Math.max(0, ...ok.map((s) => s.wasmVms)),
      linearMemoryBytes: Math.max(0, ...ok.map((s) => s.linearMemoryBytes)),
      modes: {},
    };
    for (const mode of modes) {
      const rows = ok.filter((s) => s.closed[mode]);
      if (!rows.length) continue;
      const cpu = (s: Sample | undefined) => s?.closed[mode]?.cpuUsPerRequest ?? NaN;
      const rps = (s: Sample | undefined) => s?.closed[mode]?.rps ?? NaN;
      const rates = [...new Set(rows.flatMap((s) => (s.open[mode] ?? []).map((o) => o.rate)))].sort((a, b) => a - b);
      out.modes[mode] = {
        cpuUsPerRequest: spread(rows.map(cpu)),
        addedUs: spread(rows.map((s) => cpu(s) - cpu(base.get(s.round)))),
        cpuRatio: spread(rows.map((s) => cpu(s) / cpu(base.get(s.round)))),
        rps: spread(rows.map(rps)),
        rpsRatio: spread(rows.map((s) => rps(s) / rps(base.get(s.round)))),
        latency: rates.map((rate) => {
          const at = rows.map((s) => s.open[mode]!.find((o) => o.rate === rate)).filter((o) => o !== undefined);
          return {
            rate,
            p50: spread(at.map((o) => o.p50)), p90: spread(at.map((o) => o.p90)),
            p99: spread(at.map((o) => o.p99)), p999: spread(at.map((o) => o.p999)),
            cpuUsPerRequest: spread(at.map((o) => o.cpuUsPerRequest)),
            worstSuccess: Math.min(...at.map((o) => o.success)),
          };
        }),
      };
    }
    return out;
  });
}
