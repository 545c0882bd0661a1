// Plays a scenario through real Envoy (one worker, so results are deterministic): recording
// upstreams answer by the scenario's rules; each request's outcome is what the client got and what
// every upstream received while it ran.
import { expectEnvoyToFail, request, startStack } from "../../../src/envoy/index.js";
import { AUTHORITY, chain, cleanHeaders, configText, pickRule, type Outcome, type Scenario } from "./scenario.js";

export async function runOnEnvoy(s: Scenario): Promise<Outcome> {
  const filters = chain(s).map((f) => ({ module: f.module, rootId: f.rootId, config: configText(f.config), failurePolicy: f.failurePolicy }));
  if (s.configRejected !== undefined) {
    const { log } = await expectEnvoyToFail({ upstreams: Object.fromEntries(Object.keys(s.upstreams).map((n) => [n, { port: 9 }])), filters });
    const line = log.split("\n").find((l) => new RegExp(s.configRejected!).test(l));
    return { configRejected: line ? new RegExp(s.configRejected).exec(line)![0] : `(no log line matching ${s.configRejected})`, requests: [] };
  }
  const upstreams = Object.fromEntries(Object.entries(s.upstreams).map(([name, rules]) => [name, (req: { path: string; headers: Record<string, string | string[] | undefined> }) => {
    const r = pickRule(rules, req);
    return { status: r.status ?? 200, headers: r.headers ?? {}, body: r.body ?? "" };
  }]));
  const stack = await startStack({ upstreams, filters, routes: s.routes, concurrency: 1 });
  try {
    const out: Outcome = { requests: [] };
    for (const req of s.requests) {
      for (const u of Object.values(stack.upstreams)) u.clear();
      const res = await stack.request(req.path, { method: req.method ?? "GET", headers: { host: AUTHORITY, ...req.headers }, body: req.body });
      out.requests.push({
        client: { status: res.status, headers: cleanHeaders(res.headers), body: res.body },
        seen: Object.fromEntries(Object.entries(stack.upstreams)
          .filter(([, u]) => u.requests.length)
          .map(([name, u]) => [name, u.requests.map((q) => ({ method: q.method, path: q.path, headers: cleanHeaders(q.headers), body: q.body }))])),
      });
    }
    return out;
  } finally {
    await stack.stop();
  }
}

export { request };
