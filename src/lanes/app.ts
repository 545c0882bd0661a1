// A tiny service instance for the lanes topology. It answers with the path the request took from
// here on (service, version, the lane it saw), calling the next service through its own sidecar's
// outbound listener. Like an OpenTelemetry-instrumented app it forwards only W3C `baggage` — never
// the routing header: restoring that is the sidecar's job.
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Hop {
  service: string;
  version: string;
  /** The lane as the app saw it: the baggage entry (what application code reads), else "-". */
  lane: string;
  /** The routing header as it arrived (the caller's sidecar set it; the app does not forward it). */
  routingHeader: string | null;
}

export interface AppAnswer {
  hops: Hop[];
  /** Set when a later hop failed: which service, with what status and body. */
  error?: { service: string; status: number; body: string; laneUnavailable?: string };
}

export interface AppOptions {
  service: string;
  version: string;
  port: number;
  header: string;
  baggageKey: string;
  /** The next service and this instance's sidecar outbound port. */
  next?: { service: string; outboundPort: number };
}

export interface LaneApp {
  id: string;
  port: number;
  /** Every hop this instance served (what it saw), in order. */
  seen: Hop[];
  stop(): Promise<void>;
  /** Listen again on the same port after stop(). */
  start(): Promise<void>;
  running: boolean;
}

/** The value of `key` in a W3C baggage header (percent-decoded), or null. */
export function baggageValue(baggage: string | undefined, key: string): string | null {
  if (!baggage) return null;
  for (const member of baggage.split(",")) {
    const [kv] = member.split(";");
    const eq = kv.indexOf("=");
    if (eq < 0 || kv.slice(0, eq).trim() !== key) continue;
    try { return decodeURIComponent(kv.slice(eq + 1).trim()); } catch { return kv.slice(eq + 1).trim(); }
  }
  return null;
}

function callNext(o: AppOptions, req: IncomingMessage): Promise<{ status: number; body: string; laneUnavailable?: string }> {
  const next = o.next!;
  const headers: Record<string, string> = { host: next.service };
  const baggage = req.headers.baggage;
  if (typeof baggage === "string") headers.baggage = baggage; // the only header passed on
  return new Promise((resolve, reject) => {
    const out = httpRequest({ host: "127.0.0.1", port: next.outboundPort, path: req.url, method: "GET", headers, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({
        status: res.statusCode ?? 0,
        body: Buffer.concat(chunks).toString("utf8"),
        laneUnavailable: res.headers["x-lane-unavailable"] as string | undefined,
      }));
      res.on("error", reject);
    });
    out.on("timeout", () => out.destroy(new Error("timeout")));
    out.on("error", reject);
    out.end();
  });
}

export async function startLaneApp(o: AppOptions): Promise<LaneApp> {
  const seen: Hop[] = [];
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body) + "\n";
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.url === "/healthz") return send(200, { ok: true });
    const routing = req.headers[o.header];
    const hop: Hop = {
      service: o.service, version: o.version,
      lane: baggageValue(req.headers.baggage as string | undefined, o.baggageKey) ?? "-",
      routingHeader: typeof routing === "string" ? routing : null,
    };
    seen.push(hop);
    if (!o.next) return send(200, { hops: [hop] } satisfies AppAnswer);
    try {
      const r = await callNext(o, req);
      let downstream: AppAnswer | null = null;
      try { downstream = JSON.parse(r.body); } catch { /* an Envoy local reply: plain text */ }
      if (r.status === 200 && downstream) return send(200, { hops: [hop, ...downstream.hops] } satisfies AppAnswer);
      // A later hop failed: pass its status on, with the path up to here and what went wrong.
      const error = downstream?.error ?? { service: o.next.service, status: r.status, body: r.body, laneUnavailable: r.laneUnavailable };
      return send(r.status || 502, { hops: [hop, ...(downstream?.hops ?? [])], error } satisfies AppAnswer);
    } catch (e) {
      return send(502, { hops: [hop], error: { service: o.next.service, status: 502, body: (e as Error).message } } satisfies AppAnswer);
    }
  });
  server.keepAliveTimeout = 1000;
  const app: LaneApp = {
    id: `${o.service}-${o.version}`,
    port: o.port,
    seen,
    running: false,
    start: () => new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, "127.0.0.1", () => {
        server.off("error", reject);
        app.port = (server.address() as AddressInfo).port;
        app.running = true;
        resolve();
      });
    }),
    stop: () => new Promise<void>((resolve) => {
      if (!app.running) return resolve();
      app.running = false;
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  await app.start();
  return app;
}

/** "a-gray → b-baseline → c-gray" */
export const pathOf = (a: AppAnswer) => a.hops.map((h) => `${h.service}-${h.version}`).join(" → ");
