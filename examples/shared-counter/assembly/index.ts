// shared-counter: one request count for the whole proxy. Each worker thread runs its own VM with its
// own globals, so a global variable only counts one worker's requests; shared data (per vm_id) is
// what the workers have in common, and compare-and-swap keeps concurrent increments from being lost.
// A timer (onTick) counts ticks the same way. GET /shared-counter answers with the totals:
//   {"requests": 42, "ticks": 17, "vm_requests": 20, "vm_ticks": 9}
// Other requests pass through with `x-request-count` (the proxy-wide number of this request) and
// `x-vm-request-count` (this worker's number for it) added to the response.
//
//   {"tick_ms": 1000}   tick period, 10 … 60000 ms
export * from "../../../assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, send_local_response,
  log, LogLevelValues, parseConfig, casUpdate, ensureSharedData, getSharedData, SharedUpdate, CasOutcome, Headers,
  makeHeaderPair,
} from "../../../assembly";

const REQUESTS = "shared-counter.requests";
const TICKS = "shared-counter.ticks";

/** Adds one to a little-endian u64 counter; `result` is the value stored. */
class Increment extends SharedUpdate {
  result: u64 = 0;
  private buf: ArrayBuffer = new ArrayBuffer(8); // the host copies it, so one buffer serves every update
  update(current: ArrayBuffer | null): ArrayBuffer | null {
    this.result = readU64(current) + 1;
    store<u64>(changetype<usize>(this.buf), this.result);
    return this.buf;
  }
}

function readU64(v: ArrayBuffer | null): u64 {
  return v === null || v.byteLength < 8 ? 0 : load<u64>(changetype<usize>(v));
}

class SharedCounterRoot extends RootContext {
  vmRequests: u64 = 0;
  vmTicks: u64 = 0;
  requestIncrement: Increment = new Increment();
  tickIncrement: Increment = new Increment();
  jsonHeaders: Headers = [makeHeaderPair("content-type", "application/json")];

  onConfigure(size: usize): bool {
    super.onConfigure(size);
    const cfg = parseConfig(this.getConfiguration());
    const tickMs = cfg.int("tick_ms", 1000, 10, 60000);
    cfg.rejectUnknown();
    if (!cfg.ok()) {
      log(LogLevelValues.critical, "invalid configuration: " + cfg.error());
      return false;
    }
    // Create the keys before traffic: two workers creating a key at once could lose an increment.
    const zero = new ArrayBuffer(8);
    ensureSharedData(REQUESTS, zero);
    ensureSharedData(TICKS, zero);
    this.setTickPeriod(<u32>tickMs);
    return true;
  }

  onTick(): void {
    this.vmTicks++;
    casUpdate(TICKS, this.tickIncrement);
  }

  createContext(context_id: u32): Context { return new SharedCounter(context_id, this); }
}

class SharedCounter extends Context {
  count: u64 = 0;
  vmCount: u64 = 0;

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = <SharedCounterRoot>this.root_context;
    if (stream_context.headers.request.get(":path") == "/shared-counter") {
      const body = "{\"requests\": " + readU64(getSharedData(REQUESTS).value).toString() +
        ", \"ticks\": " + readU64(getSharedData(TICKS).value).toString() +
        ", \"vm_requests\": " + root.vmRequests.toString() + ", \"vm_ticks\": " + root.vmTicks.toString() + "}\n";
      send_local_response(200, "shared_counter", String.UTF8.encode(body), root.jsonHeaders);
      return FilterHeadersStatusValues.StopIteration;
    }
    this.vmCount = ++root.vmRequests;
    if (casUpdate(REQUESTS, root.requestIncrement) == CasOutcome.Ok) this.count = root.requestIncrement.result;
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (this.count == 0) return FilterHeadersStatusValues.Continue;
    stream_context.headers.response.add("x-request-count", this.count.toString());
    stream_context.headers.response.add("x-vm-request-count", this.vmCount.toString());
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((id: u32) => new SharedCounterRoot(id), "shared_counter");
