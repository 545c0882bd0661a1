// Root-context factories by root_id, and the live contexts by id.
import { RootContext, Context, BaseContext } from "./context";
import { getPropertyString, log } from "./hostcalls";
import { LogLevelValues } from "./types";
import { newCallback } from "./headerlines";

export type RootFactory = (context_id: u32) => RootContext;

/** A VM-wide hook, run once when the VM starts (Go SDK's VMContext). */
export class VmContext {
  /** Called once per VM with vm_config.configuration; return false to refuse the VM. */
  onVmStart(vm_configuration: string): bool { return true; }
}

// Few factories per module: parallel arrays, no string-keyed map code in every module.
const factories = new Array<RootFactory>();
const factoryNames = new Array<string>();
export let vmContext: VmContext | null = null;
export let vmStarted = false;
export function markVmStarted(): void { vmStarted = true; }

/**
 * Registers the factory for plugins whose root_id is `root_id`. A module with a single factory
 * serves any root_id, so a mismatched plugin name never leaves a plugin without a context.
 */
export function registerRootContext(factory: RootFactory, root_id: string): void {
  const i = factoryNames.indexOf(root_id);
  if (i >= 0) { factories[i] = factory; return; }
  factoryNames.push(root_id);
  factories.push(factory);
}

export function setVmContext(ctx: VmContext): void { vmContext = ctx; }

export const roots = new Map<u32, RootContext>();
export const streams = new Map<u32, Context>();

// The host calls a stream's callbacks back to back; remembering the last one skips the map lookup.
let lastId: u32 = 0;
let lastStream: Context | null = null;
// Streams are created under the same root again and again.
let lastRootId: u32 = 0;
let lastRoot: RootContext | null = null;

export function createRoot(context_id: u32): RootContext {
  const rootId = getPropertyString("plugin_root_id");
  const name = rootId === null ? "" : rootId;
  let root: RootContext;
  const i = factoryNames.indexOf(name);
  if (i >= 0) {
    root = factories[i](context_id);
  } else if (factoryNames.length == 1) {
    root = factories[0](context_id);
  } else {
    log(LogLevelValues.critical, "no root context registered for root_id \"" + name + "\"; registered: [" + factoryNames.join(", ") + "]");
    root = new RootContext(context_id);
  }
  root.root_id = name;
  roots.set(context_id, root);
  lastRootId = 0;
  lastRoot = null;
  return root;
}

export function createStream(context_id: u32, parent_id: u32): void {
  newCallback();
  let root: RootContext;
  const cached = lastRoot;
  if (parent_id == lastRootId && cached !== null) root = cached;
  else {
    root = roots.has(parent_id) ? roots.get(parent_id) : createRoot(parent_id);
    lastRootId = parent_id;
    lastRoot = root;
  }
  const ctx = root.createContext(context_id);
  streams.set(context_id, ctx);
  lastId = context_id;
  lastStream = ctx;
}

/** The stream context for `id`; a fresh default Context if the host names an unknown id (never a trap). */
export function stream(id: u32): Context {
  newCallback();
  const last = lastStream;
  if (id == lastId && last !== null) return last;
  let ctx: Context;
  if (streams.has(id)) ctx = streams.get(id);
  else {
    ctx = new Context(id, new RootContext(0));
    streams.set(id, ctx);
  }
  lastId = id;
  lastStream = ctx;
  return ctx;
}

/** The live stream context for `id`, or null; the stream being served is found without a map lookup. */
export function findStream(id: u32): Context | null {
  newCallback();
  const last = lastStream;
  if (id == lastId && last !== null) return last;
  return streams.has(id) ? streams.get(id) : null;
}

export function root(id: u32): RootContext {
  newCallback();
  if (roots.has(id)) return roots.get(id);
  return createRoot(id);
}

export function anyContext(id: u32): BaseContext | null {
  if (streams.has(id)) return streams.get(id);
  if (roots.has(id)) return roots.get(id);
  return null;
}

export function forget(id: u32): void {
  if (id == lastId) { lastId = 0; lastStream = null; }
  if (id == lastRootId) { lastRootId = 0; lastRoot = null; }
  if (!streams.delete(id)) roots.delete(id);
}
