// A plain HTTP/1.1 client for tests: a fresh connection per request (so requests spread over
// Envoy's workers), headers exactly as given, the whole response read.
import { request as httpRequest } from "node:http";

export interface ClientResponse {
  status: number;
  /** Lower-cased names, as Node parses them. */
  headers: Record<string, string | string[] | undefined>;
  /** Every response header line in order: lower-cased name, value as latin1 (one char per byte, exact). */
  lines: [string, string][];
  body: string;
}

export interface RequestInit {
  method?: string;
  /** A list sends one line per value; values are sent as latin1 (one byte per char: "\xff" is byte 0xff). */
  headers?: Record<string, string | string[]>;
  body?: string;
  timeoutMs?: number;
}

/** Sends one request to `base` + `path`; rejects on connection errors or after timeoutMs (default 10 s). */
export function request(base: string, path: string, init: RequestInit = {}): Promise<ClientResponse> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: url.pathname + url.search,
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { ...(init.body !== undefined ? { "content-length": String(Buffer.byteLength(init.body)) } : {}), ...init.headers },
      agent: false,
      timeout: init.timeoutMs ?? 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      const lines: [string, string][] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, lines, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no response from ${url} within ${init.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(init.body);
  });
}
