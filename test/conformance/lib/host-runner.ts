// Plays a scenario on the Node test host (src/host), standing in for what Envoy does around the
// plugin: the HTTP connection manager's request headers before the chain (:authority, :scheme,
// x-forwarded-proto, x-request-id), the router picking an upstream from the final headers, the
// upstream's answer through the response path, and callouts answered by the scenario's rules.
import { randomUUID } from "node:crypto";
import { ProxyHost, type HttpStream } from "../../../src/host/index.js";
import { defaultRootId, modulePath } from "../../../src/envoy/index.js";
import {
  AUTHORITY, chain, cleanHeaders, configText, pickRule, pickUpstream, type Outcome, type RequestOutcome, type Scenario, type SeenRequest,
} from "./scenario.js";

/** Single-plugin scenarios only: chains are the dev proxy's job (see devproxy-runner.ts). */
export async function runOnHost(s: Scenario): Promise<Outcome> {
  const plugins = chain(s);
  if (plugins.length !== 1) throw new Error(`${s.file}: the test-host runner plays one plugin; this scenario chains ${plugins.length}`);
  const [p] = plugins;
  const rootId = p.rootId ?? defaultRootId(p.module);
  const host = await ProxyHost.create({
    wasm: modulePath(p.module), rootId, name: rootId, vmId: p.module, pluginConfig: configText(p.config),
    failurePolicy: p.failurePolicy ?? "FAIL_CLOSED", clusters: Object.keys(s.upstreams), vms: 1,
  });
  try {
    if (s.configRejected !== undefined) {
      const re = new RegExp(s.configRejected);
      const line = host.configured ? undefined : host.logMessages().find((m) => re.test(m));
      return { configRejected: host.configured ? "(accepted)" : line ? re.exec(line)![0] : `(no log line matching ${s.configRejected})`, requests: [] };
    }
    const out: Outcome = { requests: [] };
    for (const req of s.requests) out.requests.push(play(host, s, req));
    return out;
  } finally {
    host.shutdown();
  }
}

function play(host: ProxyHost, s: Scenario, req: Scenario["requests"][number]): RequestOutcome {
  const seen: Record<string, SeenRequest[]> = {};
  const record = (name: string, q: SeenRequest) => (seen[name] ??= []).push(q);
  const st = host.newHttpStream();
  const client = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const headers: Record<string, string> = {
    ":method": req.method ?? "GET", ":path": req.path, ":authority": AUTHORITY, ":scheme": "http",
    ...client,
    ...(req.body !== undefined ? { "content-length": String(Buffer.byteLength(req.body)) } : {}),
    "x-forwarded-proto": "http",
    // Envoy generates one when absent and keeps the client's (the connection is not treated as an edge).
    "x-request-id": client["x-request-id"] ?? randomUUID(),
  };
  st.sendRequestHeaders(headers, { endOfStream: req.body === undefined });
  answerCallouts(host, s, record);
  if (req.body !== undefined && !st.localResponse && !st.reset) {
    st.sendRequestBody(req.body, { endOfStream: true });
    answerCallouts(host, s, record);
  }
  const outcome = st.localResponse ? local(st) : forward(host, s, st, record);
  st.complete();
  return { client: outcome, seen };
}

function local(st: HttpStream) {
  const l = st.localResponse!;
  return { status: l.status, headers: cleanHeaders(l.headers), body: l.body };
}

function forward(host: ProxyHost, s: Scenario, st: HttpStream, record: (n: string, q: SeenRequest) => void) {
  if (!st.requestForwarded) return { status: 0, headers: {}, body: st.reset ? "(stream reset)" : "(request still paused)" };
  const path = st.requestHeaders.get(":path") ?? "";
  const upHeaders: Record<string, string> = { ...cleanHeaders(st.requestHeaders.all()), host: st.requestHeaders.get(":authority") ?? "" };
  const target = pickUpstream(s, path, upHeaders);
  if (target === null) return { status: 404, headers: {}, body: "" };
  const q = { method: st.requestHeaders.get(":method") ?? "", path, headers: upHeaders, body: st.requestBody };
  record(target, q);
  const rule = pickRule(s.upstreams[target], q);
  const body = rule.body ?? "";
  st.sendResponseHeaders({ ":status": String(rule.status ?? 200), ...rule.headers, "content-length": String(Buffer.byteLength(body)) }, { endOfStream: body.length === 0 });
  answerCallouts(host, s, record);
  if (body.length && !st.localResponse && !st.reset) {
    st.sendResponseBody(body, { endOfStream: true });
    answerCallouts(host, s, record);
  }
  if (st.localResponse) return local(st);
  return { status: Number(st.responseHeaders.get(":status")), headers: cleanHeaders(st.responseHeaders.all()), body: st.responseBody };
}

/** Answers the plugin's pending HTTP callouts from the scenario's upstream rules (bounded rounds). */
function answerCallouts(host: ProxyHost, s: Scenario, record: (n: string, q: SeenRequest) => void) {
  for (let round = 0; round < 10 && host.httpCalls.length; round++) {
    for (const call of [...host.httpCalls]) {
      const h = call.headers;
      const q = { method: h[":method"] ?? "", path: h[":path"] ?? "", headers: { ...cleanHeaders(h), host: h[":authority"] ?? "" }, body: call.body };
      record(call.cluster, q);
      const rule = pickRule(s.upstreams[call.cluster] ?? [], q);
      const body = rule.body ?? "";
      call.respond({ status: rule.status ?? 200, headers: { ...rule.headers, "content-length": String(Buffer.byteLength(body)) }, body });
    }
  }
}
