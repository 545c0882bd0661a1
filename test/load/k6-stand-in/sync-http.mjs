// A synchronous HTTP/1.1 request for the stand-in (k6's http calls block the VU): a worker thread
// makes the request and hands the answer back through shared memory while this thread waits.
import { Worker } from "node:worker_threads";

const workerSource = `
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
parentPort.on("message", ({ sab, method, url, headers, body, timeoutMs }) => {
  const flag = new Int32Array(sab, 0, 2);
  const bytes = new Uint8Array(sab, 8);
  const done = (result) => {
    let data = Buffer.from(JSON.stringify(result));
    if (data.length > bytes.length) data = Buffer.from(JSON.stringify({ error: "response too large for the stand-in", status: 0 }));
    bytes.set(data);
    flag[1] = data.length;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  const started = process.hrtime.bigint();
  let req;
  try {
    req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => done({
        status: res.statusCode, statusText: res.statusMessage, rawHeaders: res.rawHeaders,
        body: Buffer.concat(chunks).toString("utf8"), durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      }));
      res.on("error", (e) => done({ status: 0, error: e.message }));
    });
  } catch (e) { done({ status: 0, error: e.message }); return; }
  req.on("timeout", () => req.destroy(new Error("request timeout")));
  req.on("error", (e) => done({ status: 0, error: e.message, code: e.code }));
  req.end(body ?? undefined);
});
`;

let worker = null;
function getWorker() {
  if (!worker) { worker = new Worker(workerSource, { eval: true }); worker.unref(); }
  return worker;
}

export function requestSync({ method, url, headers, body, timeoutMs }) {
  const sab = new SharedArrayBuffer(8 + (4 << 20));
  const flag = new Int32Array(sab, 0, 2);
  getWorker().postMessage({ sab, method, url, headers, body, timeoutMs });
  if (Atomics.wait(flag, 0, 0, timeoutMs + 5000) === "timed-out") return { status: 0, error: "request timeout (stand-in)" };
  return JSON.parse(Buffer.from(new Uint8Array(sab, 8, flag[1])).toString("utf8"));
}

export function closeSyncHttp() {
  worker?.terminate();
  worker = null;
}
