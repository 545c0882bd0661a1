// Properties, shared data, shared queues, metrics, logs, clocks, ticks and WASI through the probe.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";
import { GET, last, probeHost, results, withOps } from "./probe.js";

test("properties: derived request/plugin attributes, test-set values, integers as 8-byte LE, plugin-set values", async () => {
  const host = await probeHost({ name: "probe-plugin", vmId: "vm-a", properties: { "node.id": "n1", "cluster_name": "backend" } });
  const s = host.newHttpStream({ properties: { "source.address": "10.1.2.3:5555" } });
  s.sendRequestHeaders(withOps({
    "request-headers": "prop-get,request/path;prop-get,request/url_path;prop-get,request/method;prop-get,request/headers/x-a;" +
      "prop-get,plugin_root_id;prop-get,plugin_name;prop-get,plugin_vm_id;prop-get,source/address;prop-get,node/id;" +
      "prop-get,cluster_name;prop-get,no/such;prop-raw,request.path;prop-int,source/port;prop-set,my/key,v1;prop-get,my/key;" +
      "prop-pairs,request/headers",
    "response-headers": "prop-int,response/code",
  }));
  assert.deepEqual(results(host, "prop-get"), [
    "0:/p/q?x=1", "0:/p/q", "0:GET", "0:1", "0:abi_probe", "0:probe-plugin", "0:vm-a", "0:10.1.2.3:5555", "0:n1", "0:backend",
    "1:<null>", "0:v1",
  ]);
  assert.equal(last(host, "prop-raw"), "1:<null>"); // a dotted path is not a path: Envoy wants NUL-separated segments
  assert.equal(last(host, "prop-int"), "0:40000:8");
  assert.equal(last(host, "prop-set"), "0");
  assert.equal(s.property("my.key"), "v1");
  assert.match(last(host, "prop-pairs"), /^0::method=GET&:path=\/p\/q\?x=1&.*x-a=1/);
  s.sendResponseHeaders({ ":status": "201" });
  assert.equal(last(host, "prop-int"), "0:201:8");
});

test("properties: proxy_set_property outside a stream is NOT_FOUND (Envoy has no stream info there)", async () => {
  const host = await probeHost({ pluginConfig: { on_configure: "prop-set,a,b;prop-get,plugin_root_id" } });
  assert.equal(last(host, "prop-set"), "1");
  assert.equal(last(host, "prop-get"), "0:abi_probe");
});

test("shared data: NOT_FOUND, CAS match/mismatch, missing key accepts any CAS, CAS grows globally", async () => {
  const host = await probeHost({ vmId: "shared" });
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({
    "request-headers": "shared-get,k;shared-set,k,v1,0;shared-get,k;shared-set,k,v2,last;shared-set,k,v3,last;shared-get,k;shared-set,new,x,12345",
  }));
  const gets = results(host, "shared-get");
  assert.equal(gets[0], "1:0:<null>");
  const [, cas1, v1] = gets[1].split(":");
  const [, cas2, v2] = gets[2].split(":");
  assert.equal(v1, "v1");
  assert.equal(v2, "v2");
  assert.ok(Number(cas2) > Number(cas1));
  // v2 with the CAS just read: OK; v3 with the same (now stale) CAS: CAS_MISMATCH; new key with any CAS: OK.
  assert.deepEqual(results(host, "shared-set"), ["0", "0", "8", "0"]);
  assert.equal(host.sharedData.getString("k"), "v2");
  assert.equal(host.sharedData.getString("new"), "x");
  // The test sees and writes the same store, with the same rules.
  const e = host.sharedData.get("k")!;
  assert.equal(host.sharedData.set("k", "from-test", e.cas + 100), 8);
  assert.equal(host.sharedData.set("k", "from-test", e.cas), 0);
  // Another vm_id does not see it.
  const other = await probeHost({ vmId: "other", sharedData: (host as any).store });
  assert.equal(other.sharedData.get("k"), undefined);
});

test("shared queues: register on the root, resolve, enqueue → on_queue_ready, dequeue, EMPTY, NOT_FOUND", async () => {
  const host = await probeHost({ vmId: "q", pluginConfig: { on_configure: "q-register,jobs", on_queue_ready: "q-dequeue;q-dequeue" } });
  const id = Number(last(host, "q-register").split(":")[1]);
  assert.ok(id > 0);
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "q-resolve,,jobs;q-enqueue,job-1;q-resolve,q,nope;q-enqueue,x,999;q-dequeue,999" }));
  assert.deepEqual(results(host, "q-resolve"), [`0:${id}`, "1:0"]);
  assert.deepEqual(results(host, "q-enqueue"), ["0", "1"]);
  assert.equal(last(host, "queue-ready"), String(id));
  // on_queue_ready dequeued the item, then found the queue empty (EMPTY = 7); a bad id is NOT_FOUND.
  assert.deepEqual(results(host, "q-dequeue"), ["1:<null>", "0:job-1", "7:<null>"]);
});

test("metrics: counter/gauge/histogram with Envoy's rules, one stat store across VMs", async () => {
  const host = await probeHost({ vms: 2, pluginConfig: { on_configure: "metric-define,0,reqs;metric-define,1,inflight;metric-define,2,sizes;metric-define,7,bad" } });
  assert.deepEqual(results(host, "metric-define").slice(0, 4).map((r) => r.split(":")[0]), ["0", "0", "0", "2"]);
  for (const vm of [0, 1]) {
    const s = host.newHttpStream({ vm });
    s.sendRequestHeaders(withOps({
      "request-headers": "metric-incr,reqs,1;metric-incr,reqs,-1;metric-incr,inflight,5;metric-incr,inflight,-2;metric-record,sizes,100;" +
        "metric-record,sizes,250;metric-get,reqs;metric-get,sizes;metric-incr,sizes,1;metric-get,4000",
    }));
  }
  assert.deepEqual(results(host, "metric-incr").slice(0, 5), ["0", "2", "0", "0", "2"]); // counter −1: BAD_ARGUMENT; histogram incr: BAD_ARGUMENT
  assert.deepEqual(results(host, "metric-get"), ["0:1", "2:0", "1:0", "0:2", "2:0", "1:0"]);
  assert.equal(host.metric("reqs"), 2);
  assert.equal(host.metric("inflight"), 6);
  assert.deepEqual(host.histogram("sizes"), [100, 250, 100, 250]);
  assert.equal(host.metrics.sizes.type, "histogram");
  assert.equal(host.metric("never"), undefined);
});

test("logs: levels, the host's level filter and proxy_get_log_level, fd_write to stdout/stderr", async () => {
  const host = await probeHost({ logLevel: "warn" });
  const s = host.newHttpStream();
  host.logLevel = "trace"; // the probe's own reports are info; let them through for this request
  s.sendRequestHeaders(withOps({ "request-headers": "loglevel;log,1,dbg;log,9,bad;fd,1,out-line\n;fd,2,err-line;fd,3,x" }));
  assert.equal(last(host, "loglevel"), "0:0");
  assert.deepEqual(results(host, "log"), ["0", "2"]); // level 9: BAD_ARGUMENT
  assert.deepEqual(results(host, "fd"), ["0", "0", "8"]); // fd 3: EBADF
  assert.ok(host.logs.some((l) => l.level === "debug" && l.message === "dbg"));
  assert.ok(host.logs.some((l) => l.level === "info" && l.message === "out-line")); // trailing newline dropped
  assert.ok(host.logs.some((l) => l.level === "error" && l.message === "err-line"));
  host.logLevel = "error";
  const before = host.logs.length;
  host.newHttpStream().sendRequestHeaders(withOps({ "request-headers": "log,3,warned;log,4,errored" }));
  assert.deepEqual(host.logs.slice(before).map((l) => l.message), ["errored"]);
});

test("clocks: realtime and monotonic follow the virtual clock; other clocks ENOTSUP", async () => {
  const host = await probeHost({ now: new Date("2030-01-01T00:00:00Z") });
  const t0 = 1893456000000n * 1_000_000n;
  const run = () => host.newHttpStream().sendRequestHeaders(withOps({ "request-headers": "time;clock,0;clock,1;clock,2" }));
  run();
  host.advanceTime(1500);
  run();
  assert.deepEqual(results(host, "time"), [`0:${t0}`, `0:${t0 + 1_500_000_000n}`]);
  assert.deepEqual(results(host, "clock"), [`0:${t0}`, "0:0", "58:0", `0:${t0 + 1_500_000_000n}`, "0:1500000000", "58:0"]);
});

test("ticks: the period set in on_configure fires on the virtual clock; 0 disables", async () => {
  const host = await probeHost({ pluginConfig: { on_configure: "tick,100", on_tick: "time" } });
  assert.equal(host.tick(350), 3);
  assert.equal(results(host, "time").length, 3);
  assert.equal(host.tick(), 1); // to the next due tick (t=400)
  const times = results(host, "time").map((r) => BigInt(r.split(":")[1]));
  assert.deepEqual(times.map((t) => Number((t - times[0]) / 1_000_000n)), [0, 100, 200, 300]);
  await host.reconfigure({ on_configure: "tick,0" });
  assert.equal(host.tick(1000), 0);
});

test("WASI: random_get, environ (vm env), args (none), proc_exit fails the VM", async () => {
  const host = await probeHost({ env: { POD: "p-1", ZONE: "z" }, failurePolicy: "FAIL_CLOSED" });
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "random,64;env;args;exit,3" }));
  const [errno, len, nonzero] = last(host, "random").split(":").map(Number);
  assert.deepEqual([errno, len], [0, 64]);
  assert.ok(nonzero > 40, "random bytes look random");
  assert.equal(last(host, "env"), "POD=p-1&ZONE=z");
  assert.equal(last(host, "args"), "0:0");
  assert.equal(s.trap, "Function: proxy_on_request_headers failed: Uncaught RuntimeError: proc_exit(3)");
  assert.equal(s.localResponse?.status, 503);
});

test("the host's own error for a bad option names it", async () => {
  await assert.rejects(ProxyHost.create({ wasm: "build/abi-probe.wasm", vms: 0 }), /vms must be a positive integer/);
  await assert.rejects(ProxyHost.create({ wasm: "build/abi-probe.wasm", logLevel: "loud" as any }), /logLevel must be one of/);
  await assert.rejects(ProxyHost.create({ wasm: "build/nope.wasm" }), /Wasm module not found: .*nope\.wasm/);
  assert.ok(GET[":path"]);
});
