// Several plugins in one module, one VM and one filter slot: a chain root holds a root context per
// member plugin, configured from its own section of the chain's configuration; a chain stream holds
// a stream context per member and calls them in Envoy's filter order — requests first to last,
// responses last to first — stopping where a member stops. Each member keeps its own configuration
// and metrics, while a request pays the Wasm floor (context creation, each callback's call into
// the VM) once instead of once per filter.
//
//   registerChain("edge", [
//     new ChainMember("traceId", (id: u32) => new TraceIdRoot(id)),
//     new ChainMember("rateLimit", (id: u32) => new RateLimitRoot(id)),
//   ]);
//
// Configuration: a JSON object with a section per member, `{"traceId": {...}, "rateLimit": {...}}`.
// A member whose section is absent is off; an unknown section is refused. Members implement
// RootContext.configure(text) to read their section (onConfigure is the chain's).
//
// A member that stops a phase (StopIteration, a local response, a pending callout) ends that phase
// for the members after it: when it resumes the stream, Envoy continues after the whole chain. Put
// the members that pause (e.g. a rate limiter asking its service) last.
import { RootContext, Context } from "./context";
import { RootFactory, registerRootContext } from "./registry";
import { parseObjectMembers, jsonError, JsonKind, JsonRawMember, kindName } from "./json";
import { suggestion, joinPath } from "./config";
import { log, getPropertyString } from "./hostcalls";
import {
  FilterDataStatusValues, FilterHeadersStatusValues, FilterStatusValues, FilterTrailersStatusValues,
  LogLevelValues, PeerTypeValues,
} from "./types";

/** A plugin of a chain: its section name in the chain's configuration and its root factory. */
export class ChainMember {
  constructor(public readonly section: string, public readonly factory: RootFactory) {}
}

/** The chain's plugin instance: one root per member, the configured ones in chain order. */
export class ChainRoot extends RootContext {
  /** Every member's root (created once, so counters and state survive a reconfiguration). */
  readonly roots: StaticArray<RootContext>;
  /** The members the current configuration turns on, in chain order. */
  active: StaticArray<RootContext> = new StaticArray<RootContext>(0);

  constructor(context_id: u32, public readonly name: string, public readonly members: ChainMember[]) {
    super(context_id);
    const roots = new StaticArray<RootContext>(members.length);
    for (let i = 0; i < members.length; i++) roots[i] = members[i].factory(context_id);
    this.roots = roots;
  }

  /** Splits the configuration into sections and configures each member with its own; one refusal refuses the chain. */
  configure(configuration: string): bool {
    super.configure(configuration);
    const sections = new Array<string | null>(this.members.length);
    const known = new Array<string>();
    for (let i = 0; i < this.members.length; i++) known.push(this.members[i].section);
    // A chain with nothing turned on is a mistake, not a configuration: say what it takes.
    const found = configuration.trim().length ? parseObjectMembers(configuration) : new Array<JsonRawMember>();
    if (found === null) return this.refuse("configuration: " + jsonError);
    if (found.length == 0) return this.refuse("configuration: no section; give one or more of " + known.join(", "));
    for (let i = 0; i < found.length; i++) {
      const m = found[i];
      const k = known.indexOf(m.key);
      const path = joinPath("", m.key);
      if (k < 0) return this.refuse(path + ": unknown section" + suggestion(m.key, known) + " (sections: " + known.join(", ") + ")");
      if (sections[k] !== null) return this.refuse(path + ": section given twice");
      if (m.kind != JsonKind.Object) return this.refuse(path + ": expected object, got " + kindName(m.kind));
      sections[k] = m.text;
    }
    // Members check their section and log their own reason; one refusal refuses the chain (Envoy
    // then keeps the previous configuration, or rejects the plugin).
    const active = new Array<RootContext>();
    for (let i = 0; i < this.members.length; i++) {
      const text = sections[i];
      if (text === null) continue;
      const r = this.roots[i];
      r.root_id = this.root_id;
      if (!r.configure(text)) return this.refuse(this.members[i].section + ": section refused (reason above)");
      active.push(r);
    }
    this.active = StaticArray.fromArray(active);
    return true;
  }

  private refuse(why: string): bool {
    log(<u32>LogLevelValues.error, this.name + ": " + why);
    return false;
  }

  createContext(context_id: u32): Context {
    const active = this.active;
    const members = new StaticArray<Context>(active.length);
    for (let i = 0; i < active.length; i++) members[i] = unchecked(active[i]).createContext(context_id);
    return new ChainContext(context_id, this, members);
  }

  // ---- root events reach every member; a callout's answer reaches the member that made it
  onStart(vm_configuration_size: usize): bool {
    let ok = true;
    for (let i = 0; i < this.roots.length; i++) ok = unchecked(this.roots[i]).onStart(vm_configuration_size) && ok;
    return ok;
  }
  onTick(): void { for (let i = 0; i < this.roots.length; i++) unchecked(this.roots[i]).onTick(); }
  onQueueReady(queue_id: u32): void { for (let i = 0; i < this.roots.length; i++) unchecked(this.roots[i]).onQueueReady(queue_id); }
  onForeignFunction(function_id: u32, arguments_size: usize): void {
    for (let i = 0; i < this.roots.length; i++) unchecked(this.roots[i]).onForeignFunction(function_id, arguments_size);
  }
  onDone(): bool {
    let done = true;
    for (let i = 0; i < this.roots.length; i++) done = unchecked(this.roots[i]).onDone() && done;
    return done;
  }
  onLog(): void { for (let i = 0; i < this.roots.length; i++) unchecked(this.roots[i]).onLog(); }
  onDelete(): void { for (let i = 0; i < this.roots.length; i++) unchecked(this.roots[i]).onDelete(); }

  on_http_call_response(call_id: u32, headers: u32, body_size: usize, trailers: u32): void {
    const owner = this.callOwner(call_id);
    if (owner !== null) owner.on_http_call_response(call_id, headers, body_size, trailers);
  }
  on_grpc_event(kind: i32, call_id: u32, value: u32): void {
    const owner = this.callOwner(call_id);
    if (owner !== null) owner.on_grpc_event(kind, call_id, value);
  }
  private callOwner(call_id: u32): RootContext | null {
    if (this.hasCall(call_id)) return this;
    for (let i = 0; i < this.roots.length; i++) if (unchecked(this.roots[i]).hasCall(call_id)) return unchecked(this.roots[i]);
    return null;
  }
}

/** One stream through the chain: the members' contexts, called in filter order. */
export class ChainContext extends Context {
  /**
   * Members past the one that stopped the request headers never saw this stream: like filters after
   * one that sent a local reply in Envoy, they see neither its request nor its response.
   */
  private reached: i32;

  constructor(context_id: u32, root: ChainRoot, public readonly members: StaticArray<Context>) {
    super(context_id, root);
    this.reached = members.length - 1;
  }

  // Requests (and downstream data) first to last; the first member that stops ends the phase.
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const m = this.members;
    for (let i = 0, n = m.length; i < n; i++) {
      const r = unchecked(m[i]).onRequestHeaders(headers, end_of_stream);
      if (r != FilterHeadersStatusValues.Continue) { this.reached = i; return r; }
    }
    return FilterHeadersStatusValues.Continue;
  }
  onRequestBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    const m = this.members;
    for (let i = 0, n = m.length; i < n; i++) {
      const r = unchecked(m[i]).onRequestBody(size, end_of_stream);
      if (r != FilterDataStatusValues.Continue) return r;
    }
    return FilterDataStatusValues.Continue;
  }
  onRequestTrailers(trailers: u32): FilterTrailersStatusValues {
    const m = this.members;
    for (let i = 0, n = m.length; i < n; i++) {
      const r = unchecked(m[i]).onRequestTrailers(trailers);
      if (r != FilterTrailersStatusValues.Continue) return r;
    }
    return FilterTrailersStatusValues.Continue;
  }
  // Responses (and upstream data) last to first, as Envoy runs encoder filters.
  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const m = this.members;
    for (let i = this.reached; i >= 0; i--) {
      const r = unchecked(m[i]).onResponseHeaders(headers, end_of_stream);
      if (r != FilterHeadersStatusValues.Continue) return r;
    }
    return FilterHeadersStatusValues.Continue;
  }
  onResponseBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    const m = this.members;
    for (let i = this.reached; i >= 0; i--) {
      const r = unchecked(m[i]).onResponseBody(size, end_of_stream);
      if (r != FilterDataStatusValues.Continue) return r;
    }
    return FilterDataStatusValues.Continue;
  }
  onResponseTrailers(trailers: u32): FilterTrailersStatusValues {
    const m = this.members;
    for (let i = this.reached; i >= 0; i--) {
      const r = unchecked(m[i]).onResponseTrailers(trailers);
      if (r != FilterTrailersStatusValues.Continue) return r;
    }
    return FilterTrailersStatusValues.Continue;
  }

  // ---- TCP
  onNewConnection(): FilterStatusValues {
    const m = this.members;
    for (let i = 0, n = m.length; i < n; i++) {
      const r = unchecked(m[i]).onNewConnection();
      if (r != FilterStatusValues.Continue) return r;
    }
    return FilterStatusValues.Continue;
  }
  onDownstreamData(size: usize, end_of_stream: bool): FilterStatusValues {
    const m = this.members;
    for (let i = 0, n = m.length; i < n; i++) {
      const r = unchecked(m[i]).onDownstreamData(size, end_of_stream);
      if (r != FilterStatusValues.Continue) return r;
    }
    return FilterStatusValues.Continue;
  }
  onUpstreamData(size: usize, end_of_stream: bool): FilterStatusValues {
    const m = this.members;
    for (let i = m.length - 1; i >= 0; i--) {
      const r = unchecked(m[i]).onUpstreamData(size, end_of_stream);
      if (r != FilterStatusValues.Continue) return r;
    }
    return FilterStatusValues.Continue;
  }
  onDownstreamConnectionClose(peer: PeerTypeValues): void {
    for (let i = 0; i < this.members.length; i++) unchecked(this.members[i]).onDownstreamConnectionClose(peer);
  }
  onUpstreamConnectionClose(peer: PeerTypeValues): void {
    for (let i = 0; i < this.members.length; i++) unchecked(this.members[i]).onUpstreamConnectionClose(peer);
  }

  // ---- lifecycle: every member, whatever the others answer
  onDone(): bool {
    let done = true;
    for (let i = 0; i < this.members.length; i++) done = unchecked(this.members[i]).onDone() && done;
    return done;
  }
  onLog(): void { for (let i = 0; i < this.members.length; i++) unchecked(this.members[i]).onLog(); }
  onDelete(): void { for (let i = 0; i < this.members.length; i++) unchecked(this.members[i]).onDelete(); }
}

// The registered chains (no closures in AssemblyScript: one factory finds its chain by root_id).
const chainIds = new Array<string>();
const chainMembers = new Array<ChainMember[]>();
const chainNames = new Array<string>();

/** Registers a chain of `members` under `root_id`; `name` prefixes the chain's own log lines. */
export function registerChain(root_id: string, members: ChainMember[], name: string = root_id): void {
  chainIds.push(root_id);
  chainMembers.push(members);
  chainNames.push(name);
  registerRootContext(createChain, root_id);
}

function createChain(id: u32): RootContext {
  let k = 0;
  if (chainIds.length > 1) { // the registry called this factory for an exact root_id match
    const rootId = getPropertyString("plugin_root_id");
    k = max(chainIds.indexOf(rootId === null ? "" : rootId), 0);
  }
  return new ChainRoot(id, chainNames[k], chainMembers[k]);
}
