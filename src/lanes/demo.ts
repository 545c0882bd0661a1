// `npm start -- --lanes`: the lane topology with the committed ports, a gray and a baseline user
// sent through it (each path printed and checked), a client trying to pick its lane, and the
// sticky share of a block of user ids — all as curl lines to paste.
import { pathOf, type AppAnswer } from "./app.js";
import { laneDecisions } from "./entry.js";
import { STICKY_PERCENT, STICKY_SALT } from "./envoy.js";
import { COMMITTED_BASE_PORT } from "./files.js";
import { instances, type LaneMode } from "./plan.js";
import { startLanes, type Lanes } from "./run.js";

export interface LaneTry { title: string; headers: Record<string, string>; expect: { status: number; path: string } }

export const LANE_TRIES: LaneTry[] = [
  { title: "a gray user (user-id % 100 == 20)", headers: { "user-id": "120" }, expect: { status: 200, path: "a-gray → b-baseline → c-gray" } },
  { title: "a baseline user", headers: { "user-id": "121" }, expect: { status: 200, path: "a-baseline → b-baseline → c-baseline" } },
  { title: "a client asking for gray itself (ignored: override)", headers: { "user-id": "121", "x-mesh-tag": "gray" }, expect: { status: 200, path: "a-baseline → b-baseline → c-baseline" } },
];

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
export const laneCurl = (url: string, t: LaneTry) =>
  `curl -s${Object.entries(t.headers).map(([k, v]) => ` -H ${shellQuote(`${k}: ${v}`)}`).join("")} ${url}/`;

/** One line per hop: "a-gray (saw lane gray)". */
const hopsLine = (a: AppAnswer | null) => a?.hops.map((h) => `${h.service}-${h.version} saw ${h.lane}`).join(", ") ?? "";

export async function startLanesDemo(o: { mode?: LaneMode; basePort?: number } = {}): Promise<{ lanes: Lanes; report(): Promise<{ lines: string[]; ok: boolean }> }> {
  // basePort 0: free ports instead of the committed ones.
  const lanes = await startLanes({ mode: o.mode ?? "permissive", basePort: o.basePort ?? COMMITTED_BASE_PORT });
  const report = async () => {
    const url = lanes.gateway.url;
    const p = lanes.ports;
    const lines: string[] = [];
    let ok = true;
    lines.push(`Traffic lanes (${lanes.plan.mode} mode): A → B → C; lane gray has A and C, B has no gray version.`, "");
    lines.push(`  gateway             ${url}   (admin http://127.0.0.1:${p.gateway.admin})`);
    for (const i of instances(lanes.plan)) {
      const q = p.instances[i.id];
      lines.push(`  ${i.id.padEnd(18)}  app :${q.app}, sidecar inbound :${q.inbound}${i.next ? `, outbound :${q.outbound}` : ""}, admin http://127.0.0.1:${q.admin}`);
    }
    lines.push("", `Lane entry at the gateway: user-id % 100 == 20 → gray; ${STICKY_PERCENT} % of the other users by a hash of user-id → gray; everyone else baseline. Clients cannot pick a lane.`, "");
    for (const t of LANE_TRIES) {
      const { res, answer } = await lanes.request(t.headers);
      const path = answer ? pathOf(answer) : `(no answer: ${res.status} ${res.body.trim()})`;
      const good = res.status === t.expect.status && path === t.expect.path;
      ok &&= good;
      lines.push(`  ${good ? "✓" : "✗"} ${t.title}: ${path}`);
      lines.push(`      lanes seen: ${hopsLine(answer)}`);
      lines.push(`      ${laneCurl(url, t)}`);
    }
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
    const decided = await laneDecisions(ids, lanes.plan);
    let grayThrough = 0, match = true;
    for (const id of ids) {
      const { answer } = await lanes.request({ "user-id": String(id) });
      const first = answer?.hops[0]?.version ?? "?";
      if (first === "gray") grayThrough++;
      match &&= first === (decided.get(String(id))?.tag ?? "baseline");
    }
    const bySticky = ids.filter((id) => decided.get(String(id))?.rule === "weights").length;
    ok &&= match;
    lines.push("", `  ${match ? "✓" : "✗"} users 1–1000 through the gateway: ${grayThrough} gray (${ids.length / 100} by the rule, ${bySticky} by the sticky share, salt "${STICKY_SALT}"), every one where the gateway's configuration puts it`);
    // What a version going down does to its lane, by mode; then it comes back.
    await lanes.apps["c-gray"].stop();
    await lanes.waitHealthy("sidecar-b-baseline", "c-gray", 0);
    const down = await lanes.request({ "user-id": "120" });
    const wantDown = lanes.plan.mode === "permissive"
      ? down.res.status === 200 && pathOf(down.answer!) === "a-gray → b-baseline → c-baseline"
      : down.res.status === 503 && down.answer?.error?.laneUnavailable === "c-lane-gray";
    ok &&= wantDown;
    const shown = down.answer?.error
      ? `${down.res.status} after ${pathOf(down.answer)}: ${down.answer.error.body.trim()}`
      : down.answer ? pathOf(down.answer) : `${down.res.status} ${down.res.body.trim()}`;
    lines.push("", `  ${wantDown ? "✓" : "✗"} with C-gray down (its app stopped), the gray user: ${shown}`);
    lines.push(`      lanes seen: ${hopsLine(down.answer)}`);
    await lanes.apps["c-gray"].start();
    await lanes.waitHealthy("sidecar-b-baseline", "c-gray", 1);
    lines.push(`    C-gray is back: ${pathOf((await lanes.request({ "user-id": "120" })).answer!)}`);
    const a = p.instances["a-gray"].admin, b = p.instances["b-baseline"].admin;
    lines.push("", "Metrics:",
      `  curl -s http://127.0.0.1:${p.gateway.admin}/stats | grep tagging.tagged          # lane entry by rule`,
      `  curl -s http://127.0.0.1:${a}/stats | grep -E 'cluster\\.b-(lane-gray|gray-fallback)\\.upstream_rq_(total|completed)'   # gray requests to B, all by fallback`,
      lanes.plan.mode === "permissive"
        ? `  curl -s http://127.0.0.1:${b}/stats | grep -E 'cluster\\.c-(gray|gray-fallback)\\.upstream_rq_total'   # gray at C, and fallbacks`
        : `  curl -s http://127.0.0.1:${b}/stats | grep -E 'cluster\\.c-(gray\\.upstream_rq_total|lane-gray\\.upstream_cx_none_healthy)'   # gray at C, and refusals`);
    return { lines, ok };
  };
  return { lanes, report };
}
