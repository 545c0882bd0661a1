// trap-on-header: a deliberately crashing filter, to see what the proxy's failure_policy does when a
// module fails mid-request. A request with `x-trap: unreachable` executes a Wasm `unreachable`
// (a trap); `x-trap: throw` throws an Error, which AssemblyScript turns into abort() and the SDK
// into a critical log line and a WASI proc_exit. Every other request is marked with `x-trap-on-header: passed` on its way upstream, so
// you can tell whether the filter still runs (FAIL_CLOSED: the VM is dead, requests get 503s;
// FAIL_OPEN: requests pass unfiltered; FAIL_RELOAD: a fresh VM takes over).
export * from "../../../assembly/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "../../../assembly";

class TrapOnHeader extends Context {
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const how = stream_context.headers.request.get("x-trap");
    if (how == "unreachable") unreachable();
    if (how == "throw") throw new Error("x-trap: throw asked for it");
    stream_context.headers.request.add("x-trap-on-header", "passed");
    return FilterHeadersStatusValues.Continue;
  }
}

class TrapOnHeaderRoot extends RootContext {
  createContext(context_id: u32): Context { return new TrapOnHeader(context_id, this); }
}

registerRootContext((id: u32) => new TrapOnHeaderRoot(id), "trap_on_header");
