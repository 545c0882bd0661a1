// One request through a chain of plugins, in Envoy's order: request headers through every filter,
// then the request body; the response back through the filters in reverse. Pauses wait for the
// plugin to resume (a callout answered, a tick); a local response short-circuits the chain.
import type { Pair } from "../host/bytes.js";
import { type HttpStream, type ProxyHost } from "../host/index.js";

export interface ChainResponse {
  status: number;
  headers: Pair[];
  body: Uint8Array;
}

export interface Upstream {
  (req: { headers: Pair[]; body: Uint8Array }): Promise<ChainResponse>;
}

/** Resolves when `done()` holds, re-checking on every `tick` of `wake`; rejects after `timeoutMs`. */
export type Waiter = (done: () => boolean, what: string) => Promise<void>;

function localReply(s: HttpStream): ChainResponse {
  return { status: s.localResponse!.status, headers: s.responseHeaders.pairs(), body: s.localResponse!.bodyBytes };
}

/** Runs the response through streams[from..0] (reverse order), starting from `resp`. */
async function encode(streams: HttpStream[], from: number, resp: ChainResponse, wait: Waiter): Promise<ChainResponse> {
  let cur = resp;
  for (let i = from; i >= 0; i--) {
    const s = streams[i];
    if (s.reset) break;
    s.sendResponseHeaders(cur.headers, { endOfStream: cur.body.length === 0 });
    if (s.localResponse) return localReply(s); // a direct reply replaces the response
    if (cur.body.length) s.sendResponseBody(cur.body, { endOfStream: true });
    await wait(() => !s.responsePaused || !!s.localResponse || s.reset, `response in plugin ${i}`);
    if (s.localResponse) return localReply(s);
    cur = { status: Number(s.responseHeaders.get(":status") ?? cur.status), headers: s.responseHeaders.pairs(), body: s.responseBodyBytes };
  }
  return cur;
}

/** The whole exchange; returns what the client gets. Streams are completed before returning. */
export async function runChain(hosts: ProxyHost[], request: { headers: Pair[]; body: Uint8Array }, upstream: Upstream, wait: Waiter): Promise<ChainResponse> {
  const streams = hosts.map((h) => h.newHttpStream());
  try {
    let headers = request.headers;
    let body = request.body;
    const hasBody = body.length > 0;
    const bodySent = streams.map(() => false);
    const settled = (s: HttpStream) => () => !s.requestPaused || !!s.localResponse || s.reset;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i];
      s.sendRequestHeaders(headers, { endOfStream: !hasBody });
      // A filter that stops its headers still receives the body (it may be waiting for it).
      if (hasBody && s.requestPaused && !s.localResponse) {
        s.sendRequestBody(body, { endOfStream: true });
        bodySent[i] = true;
      }
      await wait(settled(s), `request in plugin ${i}`);
      if (s.localResponse) return await encode(streams, i - 1, localReply(s), wait);
      if (s.reset) return { status: 502, headers: [["content-type", "text/plain"]], body: new TextEncoder().encode("stream reset by plugin\n") };
      headers = s.requestHeaders.pairs();
      if (bodySent[i]) body = s.requestBodyBytes;
    }
    for (let i = 0; hasBody && i < streams.length; i++) {
      const s = streams[i];
      if (!bodySent[i]) {
        s.sendRequestBody(body, { endOfStream: true });
        await wait(settled(s), `request body in plugin ${i}`);
        if (s.localResponse) return await encode(streams, i - 1, localReply(s), wait);
      }
      body = s.requestBodyBytes;
    }
    const resp = await upstream({ headers, body });
    return await encode(streams, streams.length - 1, resp, wait);
  } finally {
    for (const s of streams) s.complete();
  }
}
