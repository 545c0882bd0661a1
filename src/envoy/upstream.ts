// A recording HTTP upstream on 127.0.0.1: keeps every request it receives (method, path, headers,
// body) so a test can assert on what actually reached the upstream, and answers with `respond`.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased names; repeated headers joined with ", " (set-cookie kept as a list by Node). */
  headers: Record<string, string | string[] | undefined>;
  /** Every header line as received, in order: lower-cased name, value as latin1 (one char per byte, exact). */
  lines: [string, string][];
  body: string;
}

export interface UpstreamResponse { status?: number; headers?: Record<string, string | undefined>; body?: string }
export type Responder = (req: RecordedRequest) => UpstreamResponse | Promise<UpstreamResponse>;

export interface Upstream {
  name: string;
  port: number;
  url: string;
  requests: RecordedRequest[];
  /** Replace to change the answer (default: 200 JSON {upstream, method, path}). */
  respond: Responder;
  last(): RecordedRequest | undefined;
  clear(): void;
  stop(): Promise<void>;
}

const defaultResponder = (name: string): Responder => (req) => ({
  status: 200,
  headers: { "content-type": "application/json", "x-upstream": name },
  body: JSON.stringify({ upstream: name, method: req.method, path: req.path }) + "\n",
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startUpstream(name: string, respond?: Responder, port = 0): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    try {
      const lines: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
      const rec: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, lines, body: await readBody(req) };
      requests.push(rec);
      const out = await up.respond(rec);
      const body = out.body ?? "";
      const headers = Object.fromEntries(Object.entries(out.headers ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
      res.writeHead(out.status ?? 200, { ...headers, "content-length": Buffer.byteLength(body) });
      res.end(body);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`upstream ${name}: ${(e as Error).message}\n`);
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const up: Upstream = {
    name,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    requests,
    respond: respond ?? defaultResponder(name),
    last: () => requests[requests.length - 1],
    clear: () => { requests.length = 0; },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return up;
}
