// Header maps, buffers and trailers through the real compiled probe module.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GET, last, probeHost, results, withOps } from "./probe.js";

test("header map get/add/replace/remove: lower-case keys, multi-value, NOT_FOUND for absent", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({
    "request-headers": "map-get,0,X-A;map-get,0,absent;map-add,0,X-Multi,1;map-add,0,x-multi,2;map-get,0,x-multi;" +
      "map-replace,0,x-a,replaced;map-remove,0,x-gone;map-remove,0,x-not-there;map-add,0,:custom,p",
  }, { ...GET, "x-gone": "bye" }));
  assert.deepEqual(results(host, "map-get"), ["0:1", "1:<null>", "0:1"]);
  assert.equal(last(host, "map-replace"), "0");
  assert.deepEqual(results(host, "map-remove"), ["0", "0"]); // removing an absent key is OK
  // What the upstream receives: order kept, pseudo-headers ahead of regular ones, both values kept.
  const keys = s.requestHeaders.pairs().map(([k]) => k);
  assert.equal(keys.indexOf(":custom") < keys.indexOf("x-a"), true);
  assert.deepEqual(s.requestHeaders.getAll("x-multi"), ["1", "2"]);
  assert.equal(s.requestHeaders.get("x-a"), "replaced");
  assert.equal(s.requestHeaders.has("x-gone"), false);
});

test("header map pairs, set_pairs and size (Envoy's byteSize: key+value bytes)", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  const h = { ":method": "GET", ":path": "/", ":authority": "a", "x-probe-on-request-headers": "map-pairs,0;map-size,0;map-set,0,:path,/new,x-only,1;map-pairs,0" };
  s.sendRequestHeaders(h);
  const [before, after] = results(host, "map-pairs");
  assert.equal(before, "0::method=GET&:path=/&:authority=a&x-probe-on-request-headers=" + h["x-probe-on-request-headers"]);
  const size = Object.entries(h).reduce((n, [k, v]) => n + k.length + v.length, 0);
  assert.equal(last(host, "map-size"), `0:${size}`);
  assert.equal(after, "0::path=/new&x-only=1");
  assert.deepEqual(s.requestHeaders.all(), { ":path": "/new", "x-only": "1" });
});

test("maps are reachable only while their callback runs, read-only in on_log (Envoy's rules)", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({
    "request-headers": "map-get,2,:status;map-pairs,2",
    "response-headers": "map-get,0,x-a;map-add,0,x-late,1;map-get,2,:status;map-add,2,x-resp,1",
    log: "map-get,0,x-a;map-get,2,x-resp;map-get,2,absent;map-add,0,x,1;map-get,6,x",
    done: "map-get,0,x-a",
  }));
  assert.deepEqual(results(host, "map-get"), ["2:<null>"]); // response map in the request phase: BAD_ARGUMENT
  assert.equal(last(host, "map-pairs"), "0:"); // pairs of an unavailable map: OK and empty
  s.sendResponseHeaders({ ":status": "200" });
  assert.deepEqual(results(host, "map-get").slice(1), ["2:<null>", "0:200"]);
  assert.deepEqual(results(host, "map-add"), ["2", "0"]);
  assert.equal(s.responseHeaders.get("x-resp"), "1");
  s.complete();
  // on_log: request and response headers readable, absent key NOT_FOUND, writes refused, callout map absent → NOT_FOUND.
  assert.deepEqual(results(host, "map-get").slice(3), ["0:1", "0:1", "1:<null>", "1:<null>", "2:<null>"]);
  assert.deepEqual(results(host, "map-add").slice(2), ["2"]);
});

test("request body: buffering across chunks, prepend/append/replace, partial replace refused", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-body": "buf-status,0;buf-get,0,0,100;buf-get,0,2,3;pause" }));
  const r1 = s.sendRequestBody("hello ");
  assert.equal(r1.action, "pause");
  assert.equal(s.requestBody, ""); // buffered, not forwarded
  // The second chunk arrives with the first still buffered: body_size is the total.
  s.sendRequestBody("world", { endOfStream: true });
  assert.deepEqual(results(host, "request-body"), ["6:0", "11:1"]);
  assert.deepEqual(results(host, "buf-status"), ["0:6", "0:11"]);
  assert.deepEqual(results(host, "buf-get"), ["0:hello ", "0:llo", "0:hello world", "0:llo"]);
  assert.equal(s.requestPaused, true);

  const h2 = await probeHost();
  const t = h2.newHttpStream();
  t.sendRequestHeaders(withOps({ "request-body": "buf-set,0,0,0,<;buf-set,0,99,0,>;buf-set,0,1,2,x;buf-get,0,0,100" }));
  t.sendRequestBody("body", { endOfStream: true });
  assert.deepEqual(results(h2, "buf-set"), ["0", "0", "2"]);
  assert.equal(t.requestBody, "<body>");
  const h3 = await probeHost();
  const u = h3.newHttpStream();
  u.sendRequestHeaders(withOps({ "request-body": "buf-set,0,0,4294967295,replaced" }));
  u.sendRequestBody("original", { endOfStream: true });
  assert.equal(u.requestBody, "replaced");
});

test("response body and trailers; trailers can be added from the last body callback", async () => {
  const host = await probeHost();
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({
    "request-body": "map-add,1,x-added-trailer,t",
    "response-body": "buf-set,1,99,0,!;map-get,3,grpc-status",
    "response-trailers": "map-get,3,grpc-status;map-replace,3,grpc-status,7",
  }));
  s.sendRequestBody("a", { endOfStream: true });
  assert.equal(last(host, "map-add"), "0");
  assert.equal(s.requestTrailers?.get("x-added-trailer"), "t");
  s.sendResponseHeaders({ ":status": "200" });
  s.sendResponseBody("resp");
  s.sendResponseTrailers({ "grpc-status": "0" });
  assert.equal(s.responseBody, "resp!");
  assert.deepEqual(results(host, "map-get"), ["2:<null>", "0:0"]);
  assert.equal(s.responseTrailers?.get("grpc-status"), "7");
  assert.equal(last(host, "response-trailers"), "1");
});

test("configuration buffers: plugin config only during on_configure, VM config any time", async () => {
  const host = await probeHost({ pluginConfig: { on_configure: "buf-get,7,0,1000;buf-get,6,0,100;buf-status,7" }, vmConfig: "buf-get,6,0,3" });
  const [vmStart, pluginCfg, vmCfg] = results(host, "buf-get");
  assert.equal(vmStart, "0:buf");
  assert.equal(pluginCfg, `0:${JSON.stringify({ on_configure: "buf-get,7,0,1000;buf-get,6,0,100;buf-status,7" })}`);
  assert.equal(vmCfg, "0:buf-get,6,0,3");
  const s = host.newHttpStream();
  s.sendRequestHeaders(withOps({ "request-headers": "buf-get,7,0,10;buf-status,2" }));
  assert.deepEqual(results(host, "buf-get").slice(3), ["1:"]); // NOT_FOUND outside on_configure
  assert.equal(last(host, "buf-status"), "0:0"); // no TCP data on an HTTP stream: Envoy answers OK, empty
});
