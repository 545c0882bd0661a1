// The gateway's lane decision for user ids, made by the tagging module itself in the Node test host
// with the gateway's configuration: fast enough for 10,000 ids, and the same decision Envoy makes
// (the end-to-end test checks a sample through the real gateway against it).
import { ProxyHost } from "../host/index.js";
import { gatewayTagging } from "./envoy.js";
import { defaultPlan, type LanePlan } from "./plan.js";

export interface LaneDecision { tag: string | null; /** The rule that tagged it: a rule name, "weights" or "defaultTag". */ rule: string }

export async function laneDecisions(ids: (string | number)[], plan: LanePlan = defaultPlan(), wasm = "build/tagging.wasm"): Promise<Map<string, LaneDecision>> {
  const h = await ProxyHost.create({ wasm, rootId: "tagging", pluginConfig: gatewayTagging(plan) });
  if (!h.configured) throw new Error(`the gateway's tagging configuration was refused: ${h.logMessages("error").join("; ")}`);
  const counts = () => new Map(Object.entries(h.metrics).filter(([k]) => k.startsWith("tagging.tagged.")).map(([k, v]) => [k, v.value]));
  const out = new Map<string, LaneDecision>();
  let before = counts();
  for (const id of ids) {
    const s = h.newHttpStream();
    s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "gateway", "user-id": String(id) }, { endOfStream: true });
    s.sendResponseHeaders({ ":status": "200" }, { endOfStream: true });
    s.complete();
    const after = counts();
    const moved = [...after].find(([k, v]) => v !== (before.get(k) ?? 0))?.[0] ?? "";
    before = after;
    out.set(String(id), { tag: s.requestHeaders.get(plan.header) ?? null, rule: moved.replace(/^tagging\.tagged\.tag\.[^.]+\.rule\./, "") });
  }
  return out;
}
