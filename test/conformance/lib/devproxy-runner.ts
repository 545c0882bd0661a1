// Plays a scenario through the dev proxy (src/devproxy: the test host behind a real HTTP listener,
// what `npm start` falls back to without Envoy), with the same recording upstreams and requests as
// the Envoy runner, so the two are compared over the wire.
import { startDevProxy } from "../../../src/devproxy/index.js";
import { modulePath, request, startUpstream, type Upstream } from "../../../src/envoy/index.js";
import { AUTHORITY, chain, cleanHeaders, configText, pickRule, type Outcome, type Scenario } from "./scenario.js";

const plugins = (s: Scenario) => chain(s).map((f) =>
  ({ wasm: modulePath(f.module), rootId: f.rootId, config: configText(f.config), failurePolicy: f.failurePolicy, vmId: f.module }));

export async function runOnDevProxy(s: Scenario): Promise<Outcome> {
  const upstreams: Upstream[] = [];
  try {
    for (const [name, rules] of Object.entries(s.upstreams)) {
      upstreams.push(await startUpstream(name, (req) => {
        const r = pickRule(rules, req);
        return { status: r.status ?? 200, headers: r.headers ?? {}, body: r.body ?? "" };
      }));
    }
    const clusters = Object.fromEntries(upstreams.map((u) => [u.name, u.url]));
    if (s.configRejected !== undefined) {
      // The dev proxy refuses to start; the plugin's reason is in its log (printed, not returned).
      const refused = await startDevProxy({ listenPort: 0, upstreamUrl: upstreams[0].url, clusters, printLogs: false,
        plugins: plugins(s) })
        .then(async (p) => { await p.close(); return false; }, (e: Error) => /refused its configuration/.test(e.message));
      return { configRejected: refused ? "(refused)" : "(accepted)", requests: [] };
    }
    const proxy = await startDevProxy({
      listenPort: 0,
      upstreamUrl: upstreams[0].url,
      clusters,
      routes: (s.routes ?? []).filter((r) => r.cluster).map((r) => ({ headers: r.headers, prefix: r.prefix, cluster: r.cluster! })),
      plugins: plugins(s),
      concurrency: 1,
      printLogs: false,
    });
    try {
      const out: Outcome = { requests: [] };
      for (const req of s.requests) {
        for (const u of upstreams) u.clear();
        const res = await request(proxy.url, req.path, { method: req.method ?? "GET", headers: { host: AUTHORITY, ...req.headers }, body: req.body });
        out.requests.push({
          client: { status: res.status, headers: cleanHeaders(res.headers), body: res.body },
          seen: Object.fromEntries(upstreams.filter((u) => u.requests.length)
            .map((u) => [u.name, u.requests.map((q) => ({ method: q.method, path: q.path, headers: cleanHeaders(q.headers), body: q.body }))])),
        });
      }
      return out;
    } finally {
      await proxy.close();
    }
  } finally {
    await Promise.all(upstreams.map((u) => u.stop()));
  }
}
