// Call order, pause/resume, local responses, callouts, foreign functions, traps and failure_policy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyWasmTrap } from "../../src/host/index.js";
import { GET, last, probeHost, results, sequence, withOps } from "./probe.js";

test("Envoy's call order: VM start, configure, context create, request, response, log, done, delete", async () => {
  const host = await probeHost({ vmConfig: "loglevel", pluginConfig: { on_configure: "loglevel" } });
  const s = host.newHttpStream();
  s.sendRequestHeaders(GET);
  s.sendRequestBody("b");
  s.sendRequestTrailers({ t: "1" });
  s.sendResponseHeaders({ ":status": "200" });
  s.sendResponseBody("r", { endOfStream: true });
  s.complete();
  assert.deepEqual(sequence(host), [
    "loglevel", "loglevel", "request-headers", "request-body", "request-trailers", "response-headers", "response-body",
    "log-phase", "done-phase", "delete-phase",
  ]);
  assert.equal(host.liveStreams, 0);
  assert.throws(() => s.sendRequestBody("x"), /the stream was completed/);
});

test("pause in on_request_headers, resume from the HTTP callout's callback (effective context)", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  const r = s.sendRequestHeaders(withOps({ "request-headers": "http,authz,/check,500,map-add|0|x-checked|yes~continue|0;pause" }));
  assert.equal(r.action, "pause");
  assert.equal(s.requestPaused, true);
  assert.equal(s.requestForwarded, false);
  assert.throws(() => s.sendResponseHeaders({ ":status": "200" }), /never reached the upstream/);
  const [call] = host.httpCalls;
  assert.equal(call.cluster, "authz");
  assert.deepEqual(call.headers, { ":method": "GET", ":path": "/check", ":authority": "authz", "x-probe": "1" });
  assert.equal(call.body, "ping");
  assert.deepEqual(call.trailers, { "x-t": "1" });
  assert.equal(call.timeout, 500);
  call.respond({ status: 200, headers: { "x-user": "u" }, body: "ok", trailers: { "x-tr": "1" } });
  assert.equal(last(host, "http-response"), "2:200:ok:x-tr=1:0:");
  assert.equal(last(host, "map-add"), "0"); // request headers still writable while paused
  assert.equal(last(host, "continue"), "0");
  assert.equal(s.requestPaused, false);
  assert.equal(s.requestForwarded, true);
  assert.equal(s.requestHeaders.get("x-checked"), "yes");
  assert.equal(host.httpCalls.length, 0);
  assert.throws(() => call.respond(), /already answered/);
});

test("HTTP callouts: failure (reset), timeout (504 from Envoy), refused without :path or to an unknown cluster", async () => {
  const host = await probeHost({ clusters: ["known"] });
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "http,known,/a,0;http,known,/b,100;http-nopath,known;http,unknown,/c,0" }));
  assert.deepEqual(results(host, "http").map((r) => r.split(":")[0]), ["0", "0", "2"]);
  assert.equal(last(host, "http-nopath"), "2:0");
  assert.equal(host.httpCalls.length, 2);
  host.httpCalls[0].fail();
  assert.equal(last(host, "http-response"), "0::::11:reset");
  host.tick(99);
  assert.equal(results(host, "http-response").length, 1);
  host.tick(1);
  assert.equal(last(host, "http-response"), "2:504:upstream request timeout::0:");
  assert.equal(host.httpCallLog.length, 2);
});

test("gRPC: unary reply (receive only, as Envoy), failure → close with status and message, streams", async () => {
  const host = await probeHost({ clusters: ["grpc"] });
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "grpc,grpc,pkg.Svc,Do,req,1000;grpc,grpc,pkg.Svc,Do,req2,0;grpc,nope,S,M,x,0" }));
  assert.deepEqual(results(host, "grpc").map((r) => r.split(":")[0]), ["0", "0", "4"]); // unknown cluster: PARSE_FAILURE
  const [a, b] = host.grpcCalls;
  assert.equal(a.service, "pkg.Svc");
  assert.equal(a.method, "Do");
  assert.equal(a.messageText, "req");
  assert.deepEqual(a.initialMetadata, { "x-md": "1" });
  a.respond("resp");
  assert.equal(last(host, "grpc-message"), `${a.id}:resp`);
  assert.equal(results(host, "grpc-close").length, 0);
  b.fail(7, "denied");
  assert.equal(last(host, "grpc-close"), `${b.id}:7:denied`);

  const t = host.newHttpStream();
  t.sendRequestHeaders(withOps({ "request-headers": "grpc-stream,grpc,pkg.Svc,Watch;grpc-send,m1,0;grpc-send,m2,1;grpc-send,x,0,1;grpc-close,999" }));
  const st = host.grpcCalls.find((c) => c.kind === "stream")!;
  assert.deepEqual(st.sent.map((m) => Buffer.from(m).toString()), ["m1", "m2"]);
  assert.equal(st.endStreamSent, true);
  assert.deepEqual(results(host, "grpc-send"), ["0", "0", "2"]); // sending on a unary call id: BAD_ARGUMENT
  assert.deepEqual(results(host, "grpc-close"), [`${b.id}:7:denied`, "1"]); // closing an unknown id: NOT_FOUND
  st.sendInitialMetadata({ "x-i": "1" });
  st.receive("ev1");
  st.sendTrailingMetadata({ "x-t": "2" });
  st.close(0, "");
  assert.equal(last(host, "grpc-initial"), `${st.id}:1:x-i=1`);
  assert.equal(last(host, "grpc-message"), `${st.id}:ev1`);
  assert.equal(last(host, "grpc-trailing"), `${st.id}:1:x-t=2`);
  assert.equal(last(host, "grpc-close"), `${st.id}:0:`);
  const u = host.newHttpStream();
  u.sendRequestHeaders(withOps({ "request-headers": "grpc-stream,grpc,S,M;grpc-cancel;grpc-cancel" }));
  assert.deepEqual(results(host, "grpc-cancel"), ["0", "1"]);
});

test("local response in the request phase runs through on_response_headers; upstream never sees the request", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  const r = s.sendRequestHeaders(withOps({
    "request-headers": "local,429,rate_limited,slow down,-1,x-ratelimit,0",
    "response-headers": "map-add,2,x-from-filter,1",
  }));
  assert.equal(r.action, "pause");
  assert.equal(s.requestForwarded, false);
  assert.deepEqual(r.localResponse, {
    status: 429, body: "slow down", bodyBytes: new TextEncoder().encode("slow down"), details: "rate_limited", grpcStatus: null,
    headers: { ":status": "429", "x-ratelimit": "0", "content-length": "9", "content-type": "text/plain", "x-from-filter": "1" },
  });
  assert.equal(last(host, "response-headers"), "4:0"); // :status, x-ratelimit, content-length, content-type
  assert.equal(last(host, "response-body"), "9:1");
  assert.throws(() => s.sendResponseHeaders({ ":status": "200" }), /already answered with a local response \(429\)/);
});

test("local response to a gRPC request is a trailers-only gRPC reply; in the response phase it replaces the response", async () => {
  const host = await probeHost();
  const g = host.newHttpStream();
  g.sendRequestHeaders(withOps({ "request-headers": "local,403,denied,no entry,7" }, { ...GET, "content-type": "application/grpc" }));
  assert.deepEqual(g.localResponse?.headers, { ":status": "200", "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "no%20entry" });
  assert.equal(g.localResponse?.grpcStatus, 7);

  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "response-headers": "local,502,bad_upstream,nope,-1" }));
  const before = results(host, "response-headers").length;
  s.sendResponseHeaders({ ":status": "200", "x-upstream": "1" });
  assert.equal(results(host, "response-headers").length, before + 1); // no second pass for a direct reply
  assert.equal(s.localResponse?.status, 502);
  assert.equal(s.responseHeaders.get("x-upstream"), undefined);
  assert.equal(s.responseBody, "nope");
});

test("close_stream resets the stream; continue_stream on Upstream is UNIMPLEMENTED, bad type BAD_ARGUMENT", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "continue,3;continue,9;close,0" }));
  assert.deepEqual(results(host, "continue"), ["12", "2"]);
  assert.equal(last(host, "close"), "0");
  assert.equal(s.reset, true);
});

test("foreign functions: clear_route_cache and set_envoy_filter_state built in, test functions, unknown NOT_FOUND, host callback", async () => {
  const seen: string[] = [];
  const host = await probeHost({
    foreignFunctions: {
      lookup: (args) => `found:${Buffer.from(args).toString()}`,
      deny: () => 2,
      note: (args, ctx) => { seen.push(`${Buffer.from(args).toString()}@vm${ctx.vm}:${ctx.stream ? "stream" : "root"}`); },
    },
  });
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "clear-route;foreign,lookup,k1;foreign,deny;foreign,note,hi;foreign,missing;filter-state,envoy.string,v" }));
  assert.equal(last(host, "clear-route"), "0");
  assert.equal(host.routeCacheCleared(s), 1);
  assert.deepEqual(results(host, "foreign"), ["0:found:k1", "2:<null>", "0:", "1:<null>"]);
  assert.deepEqual(seen, ["hi@vm0:stream"]);
  assert.equal(last(host, "filter-state"), "0");
  assert.equal(s.filterState.get("envoy.string"), "v");
  assert.deepEqual(host.foreignCalls.map((c) => c.name), ["clear_route_cache", "lookup", "deny", "note", "missing", "set_envoy_filter_state"]);
  host.invokeForeignFunction(7, "payload");
  assert.equal(last(host, "foreign-callback"), "7:payload");
});

test("set_effective_context rejects unknown ids; proxy_done finishes a root context that deferred on_done", async () => {
  const host = await probeHost({ pluginConfig: { on_configure: "tick,10;done", on_tick: "done", on_done_result: false } });
  assert.equal(last(host, "done"), "1"); // nothing pending: NOT_FOUND
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "effective,424242;effective,self" }));
  assert.deepEqual(results(host, "effective"), ["2", "0"]);
  host.shutdown();
  assert.equal(results(host, "root-delete").length, 0); // on_done returned false: waits for proxy_done
  host.tick(10);
  assert.equal(last(host, "done"), "0");
  assert.equal(results(host, "root-delete").length, 1);
});

test("on_configure returning false: not configured, no streams; reconfigure with a good config recovers", async () => {
  const host = await probeHost({ pluginConfig: { configure_result: false } });
  assert.equal(host.configured, false);
  assert.throws(() => host.newHttpStream(), /not configured/);
  assert.equal(await host.reconfigure({ on_configure: "loglevel" }), true);
  assert.equal(host.configured, true);
  assert.equal(await host.reconfigure({ configure_result: false }), false);
  assert.equal(host.configured, true); // the previous good configuration stays
  host.newHttpStream().sendRequestHeaders(GET);
  assert.equal(last(host, "request-headers"), "5:0");
});

test("a trap fails the test with Envoy's message unless failure_policy is simulated", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  assert.throws(() => s.sendRequestHeaders(withOps({ "request-headers": "trap" })), (e: unknown) =>
    e instanceof ProxyWasmTrap && e.message === "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable");
  assert.equal(host.traps.length, 1);
  const a = await probeHost();
  assert.throws(() => a.newHttpStream().sendRequestHeaders(withOps({ "request-headers": "abort" })),
    /Function: proxy_on_request_headers failed: Uncaught RuntimeError: proc_exit\(255\) \(abort: probe abort at examples\/abi-probe/);
});

test("failure_policy FAIL_CLOSED: 503 wasm_fail_stream now and for every later stream on that VM", async () => {
  const host = await probeHost({ failurePolicy: "FAIL_CLOSED", vms: 2 });
  const s = host.newHttpStream({ vm: 0 });
  const r = s.sendRequestHeaders(withOps({ "request-headers": "trap" }));
  assert.equal(r.action, "pause");
  assert.match(r.trap!, /unreachable/);
  assert.deepEqual([s.localResponse?.status, s.localResponse?.details, s.localResponse?.grpcStatus], [503, "wasm_fail_stream", 14]);
  const later = host.newHttpStream({ vm: 0 });
  assert.equal(later.sendRequestHeaders(GET).localResponse?.status, 503);
  const healthy = host.newHttpStream({ vm: 1 });
  assert.equal(healthy.sendRequestHeaders(GET).action, "continue"); // the other worker is unaffected
  later.complete();
});

test("failure_policy FAIL_OPEN: the trapping stream gets 503 (as in Envoy 1.40), later streams pass; FAIL_RELOAD gives the next stream a fresh VM", async () => {
  const open = await probeHost({ failurePolicy: "FAIL_OPEN" });
  const s = open.newHttpStream();
  assert.equal(s.sendRequestHeaders(withOps({ "request-headers": "trap" })).localResponse?.status, 503);
  assert.equal(s.requestForwarded, false);
  assert.match(s.trap!, /unreachable/);
  const later = open.newHttpStream();
  assert.equal(later.sendRequestHeaders(GET).action, "continue");
  assert.equal(later.requestForwarded, true);
  assert.equal(later.localResponse, null);

  const reload = await probeHost({ failurePolicy: "FAIL_RELOAD" });
  const t = reload.newHttpStream();
  assert.equal(t.sendRequestHeaders(withOps({ "request-headers": "trap" })).localResponse?.status, 503);
  const u = reload.newHttpStream();
  assert.equal(u.sendRequestHeaders(GET).action, "continue");
  assert.equal(reload.vms[0].failed, null);
});
