// Metrics (counter, gauge, histogram). Define them at configure time; the hot path is one host call.
// Envoy exposes a metric "foo" as a stat named "foo"; tags go into the name ("tag.value" segments)
// and are split out by the stats_config tag extractors.
import { defineMetric, incrementMetric, recordMetric, getMetric } from "./hostcalls";
import { MetricTypeValues } from "./types";

export class Metric {
  readonly id: u32;
  constructor(public readonly type: MetricTypeValues, public readonly name: string) {
    this.id = defineMetric(type, name);
  }
  /** True when the host accepted the definition. */
  get defined(): bool { return this.id != 0; }
  get(): u64 { return getMetric(this.id); }
}

export class Counter extends Metric {
  constructor(name: string) { super(MetricTypeValues.Counter, name); }
  increment(delta: u64 = 1): void { incrementMetric(this.id, <i64>delta); }
}

export class Gauge extends Metric {
  constructor(name: string) { super(MetricTypeValues.Gauge, name); }
  set(value: u64): void { recordMetric(this.id, value); }
  add(delta: i64): void { incrementMetric(this.id, delta); }
}

export class Histogram extends Metric {
  constructor(name: string) { super(MetricTypeValues.Histogram, name); }
  record(value: u64): void { recordMetric(this.id, value); }
}

/** Builds `base.key1.value1.key2.value2` (dots in values become underscores). */
export function taggedName(base: string, tags: string[]): string {
  let name = base;
  for (let i = 0; i + 1 < tags.length; i += 2) {
    name += "." + tags[i] + "." + dotsToUnderscores(tags[i + 1]);
  }
  return name;
}

// A loop instead of String#replaceAll, which would add its code to every module using tagged names.
function dotsToUnderscores(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) == 0x2e) { out += s.substring(from, i) + "_"; from = i + 1; }
  }
  return from == 0 ? s : out + s.substring(from);
}
