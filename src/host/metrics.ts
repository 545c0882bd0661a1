// Metrics as Envoy keeps them: one stats store for the process (same name = same stat across VMs),
// per-VM metric ids whose low two bits carry the type (Envoy's kMetricTypeMask).
import { MetricType, type MetricTypeName, METRIC_TYPE_NAMES, Status } from "./abi.js";

export interface MetricValue {
  type: MetricTypeName;
  /** Counter/gauge value; for a histogram, the number of recorded samples. */
  value: number;
  /** Histogram samples in recording order (empty for counters and gauges). */
  samples: number[];
}

export class MetricsStore {
  readonly byName = new Map<string, MetricValue>();

  define(type: MetricTypeName, name: string): MetricValue {
    let m = this.byName.get(name);
    if (!m) this.byName.set(name, (m = { type, value: 0, samples: [] }));
    return m;
  }

  get(name: string): MetricValue | undefined {
    return this.byName.get(name);
  }
}

/** One VM's metric id table over the shared store. */
export class VmMetrics {
  private ids = new Map<number, MetricValue>();
  private names = new Map<number, string>();
  private next = [0, 0, 0];

  constructor(private store: MetricsStore) {}

  define(type: number, name: string): { status: number; id?: number } {
    if (type > 2) return { status: Status.BadArgument };
    const id = (++this.next[type] << 2) | type;
    this.ids.set(id, this.store.define(METRIC_TYPE_NAMES[type], name));
    this.names.set(id, name);
    return { status: Status.Ok, id };
  }

  /** Moves the ids the module already holds to another store (a new plugin on a VM that keeps running). */
  rebind(store: MetricsStore): void {
    this.store = store;
    for (const [id, name] of this.names) this.ids.set(id, store.define(METRIC_TYPE_NAMES[id & 3], name));
  }

  increment(id: number, delta: bigint): number {
    const type = id & 3;
    const m = this.ids.get(id);
    if (type === MetricType.Counter) {
      if (!m) return Status.NotFound;
      if (delta <= 0n) return Status.BadArgument;
      m.value += Number(delta);
      return Status.Ok;
    }
    if (type === MetricType.Gauge) {
      if (!m) return Status.NotFound;
      m.value += Number(delta);
      return Status.Ok;
    }
    return Status.BadArgument;
  }

  record(id: number, value: bigint): number {
    const m = this.ids.get(id);
    if (!m) return Status.NotFound;
    const type = id & 3;
    if (type === MetricType.Counter) m.value += Number(value);
    else if (type === MetricType.Gauge) m.value = Number(value);
    else {
      m.samples.push(Number(value));
      m.value = m.samples.length;
    }
    return Status.Ok;
  }

  get(id: number): { status: number; value?: bigint } {
    const type = id & 3;
    if (type === MetricType.Histogram) return { status: Status.BadArgument };
    const m = this.ids.get(id);
    if (!m) return { status: Status.NotFound };
    return { status: Status.Ok, value: BigInt(Math.trunc(m.value)) };
  }
}
