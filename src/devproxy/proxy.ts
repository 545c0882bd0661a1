// The dev proxy: a DEVELOPMENT host, not a production proxy. An HTTP/1.1 listener on 127.0.0.1 that
// runs a chain of proxy-wasm plugins per request (in the test host, on the real clock) and forwards to
// an upstream URL, honouring local responses and header/body edits. Plugin HTTP callouts go to the
// `clusters` URLs; ticks and callout timeouts fire on time.
import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Pair, decodeBytes, encodeText } from "../host/bytes.js";
import { type FailurePolicy, GrpcCall, HttpCall, MetricsStore, ProxyHost, SharedDataStore } from "../host/index.js";
import { type ChainResponse, runChain, type Waiter } from "./chain.js";

// Node reads and writes header text as latin1 (one char per byte); the test host's strings are UTF-8
// with invalid bytes escaped. These convert at the socket, so bytes cross the dev proxy unchanged.
const fromWire = (v: string): string => decodeBytes(Buffer.from(v, "latin1"));
const toWire = (v: string): string => Buffer.from(encodeText(v)).toString("latin1");

export interface DevPlugin {
  /** Path to the compiled module (or its bytes). */
  wasm: string | Uint8Array;
  rootId?: string;
  name?: string;
  /** Plugin configuration: a string as is, anything else as JSON (as Envoy sends a Struct). */
  config?: unknown;
  vmConfig?: string;
  /** Plugins with the same vm_id share shared data and queues (default: the module's file name). */
  vmId?: string;
  failurePolicy?: FailurePolicy;
}

export interface DevRoute {
  /** Exact request-header matches (after the plugins ran), all required. */
  headers?: Record<string, string>;
  prefix?: string;
  /** A name from `clusters`. */
  cluster: string;
}

export interface DevProxyOptions {
  /** Port to listen on (0 = any free port). Always bound to 127.0.0.1 unless `host` says otherwise. */
  listenPort?: number;
  host?: string;
  /** Where requests go when no route matches. */
  upstreamUrl: string;
  plugins: DevPlugin[];
  /** Named upstreams for routes and for the plugins' HTTP callouts: {auth: "http://127.0.0.1:9001"}. */
  clusters?: Record<string, string>;
  routes?: DevRoute[];
  /** Worker VMs per plugin (Envoy --concurrency); default 1. */
  concurrency?: number;
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "critical";
  /** Print plugin logs (default true). */
  printLogs?: boolean;
  /** Give up on a request whose plugin stays paused this long (default 30 s). */
  requestTimeoutMs?: number;
}

export interface DevProxy {
  url: string;
  port: number;
  hosts: ProxyHost[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer", "content-length"]);

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}

/** Sends a request to `base` with pseudo-headers mapped to method/path/host; resolves the whole response. */
function forward(base: string, headers: Pair[], body: Uint8Array, timeoutMs: number): Promise<ChainResponse> {
  const get = (k: string) => headers.find(([n]) => n === k)?.[1];
  const url = new URL(get(":path") ?? "/", base);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of headers) {
    if (k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
    const prev = out[k], w = toWire(v);
    out[k] = prev === undefined ? w : Array.isArray(prev) ? [...prev, w] : [prev, w];
  }
  if (get(":authority")) out.host = toWire(get(":authority")!);
  if (body.length) out["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method: get(":method") ?? "GET",
      headers: out, timeout: timeoutMs, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const h: Pair[] = [[":status", String(res.statusCode ?? 502)]];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          const k = res.rawHeaders[i].toLowerCase();
          if (!HOP_BY_HOP.has(k)) h.push([k, fromWire(res.rawHeaders[i + 1])]);
        }
        resolve({ status: res.statusCode ?? 502, headers: h, body: new Uint8Array(Buffer.concat(chunks)) });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`upstream ${base} did not answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body.length ? body : undefined);
  });
}

const text = (status: number, msg: string): ChainResponse =>
  ({ status, headers: [[":status", String(status)], ["content-type", "text/plain"]], body: new TextEncoder().encode(msg) });

export async function startDevProxy(o: DevProxyOptions): Promise<DevProxy> {
  const clusters = o.clusters ?? {};
  const store = new SharedDataStore();
  const metrics = new MetricsStore();
  const hosts: ProxyHost[] = [];
  for (const p of o.plugins) {
    const file = typeof p.wasm === "string" ? p.wasm.split("/").pop()!.replace(/\.wasm$/, "") : "plugin";
    const host = await ProxyHost.create({
      wasm: p.wasm, rootId: p.rootId ?? file.replace(/-/g, "_"), name: p.name, pluginConfig: p.config, vmConfig: p.vmConfig,
      vmId: p.vmId ?? file, vms: o.concurrency ?? 1, realTime: true, sharedData: store, metricsStore: metrics,
      clusters: Object.keys(clusters), failurePolicy: p.failurePolicy ?? "FAIL_CLOSED", throwOnTrap: false,
      logLevel: o.logLevel ?? "info", printLogs: o.printLogs ?? true,
    });
    if (!host.configured) throw new Error(`plugin ${file} (root_id "${p.rootId ?? file}") refused its configuration; see its log above`);
    hosts.push(host);
  }

  // Progress: every answered callout or fired timer may resume a paused stream.
  const waiters = new Set<() => void>();
  const wake = () => { for (const w of [...waiters]) w(); };
  const dispatched = new WeakSet<HttpCall | GrpcCall>();
  const timeoutMs = o.requestTimeoutMs ?? 30_000;

  const pump = (): void => {
    for (const h of hosts) {
      for (const call of [...h.httpCalls]) {
        if (dispatched.has(call)) continue;
        dispatched.add(call);
        const base = clusters[call.cluster];
        forward(base, call.headerPairs, call.bodyBytes, call.timeout || timeoutMs).then(
          (r) => { if (!call.answered) call.respond({ status: r.status, headers: r.headers.filter(([k]) => k !== ":status"), body: r.body }); },
          () => { if (!call.answered) call.fail(); },
        ).finally(() => { pump(); wake(); });
      }
      for (const g of [...h.grpcCalls]) {
        if (dispatched.has(g)) continue;
        dispatched.add(g);
        queueMicrotask(() => {
          if (!g.answered) g.fail(14, "the dev proxy does not carry gRPC callouts");
          pump();
          wake();
        });
      }
    }
  };

  const wait: Waiter = (done, what) => {
    pump();
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`${what} stayed paused for ${timeoutMs} ms`)); }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });
  };

  const ticker = setInterval(() => {
    for (const h of hosts) h.runTimers();
    pump();
    wake();
  }, 10);
  ticker.unref();

  const route = (headers: Pair[]): string => {
    const get = (k: string) => headers.find(([n]) => n === k)?.[1];
    for (const r of o.routes ?? []) {
      if (r.prefix && !(get(":path") ?? "").startsWith(r.prefix)) continue;
      if (r.headers && !Object.entries(r.headers).every(([k, v]) => get(k.toLowerCase()) === v)) continue;
      const url = clusters[r.cluster];
      if (url) return url;
    }
    return o.upstreamUrl;
  };

  const server: Server = createServer(async (req, res) => {
    let out: ChainResponse;
    try {
      const headers: Pair[] = [
        [":method", req.method ?? "GET"], [":path", req.url ?? "/"], [":authority", req.headers.host ?? "localhost"], [":scheme", "http"],
      ];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i].toLowerCase();
        if (k !== "host" && !HOP_BY_HOP.has(k)) headers.push([k, fromWire(req.rawHeaders[i + 1])]);
      }
      // What Envoy's connection manager adds before any filter runs (defaults: use_remote_address
      // off, generate_request_id on), so filters see the same request as behind Envoy.
      if (!headers.some(([k]) => k === "x-forwarded-proto")) headers.push(["x-forwarded-proto", "http"]);
      if (!headers.some(([k]) => k === "x-request-id")) headers.push(["x-request-id", randomUUID()]);
      const body = await readBody(req);
      out = await runChain(hosts, { headers, body }, async (r) => {
        try {
          return await forward(route(r.headers), r.headers, r.body, timeoutMs);
        } catch (e) {
          return text(503, `upstream connect error: ${(e as Error).message}\n`);
        }
      }, wait);
    } catch (e) {
      out = text(500, `dev proxy: ${(e as Error).message}\n`);
    }
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of out.headers) {
      if (k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
      const prev = h[k], w = toWire(v);
      h[k] = prev === undefined ? w : Array.isArray(prev) ? [...prev, w] : [prev, w];
    }
    h["content-length"] = String(out.body.length);
    res.writeHead(out.status, h);
    res.end(out.body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.listenPort ?? 0, o.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? "127.0.0.1"}:${port}`,
    port,
    hosts,
    close: () => new Promise<void>((resolve) => {
      clearInterval(ticker);
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
