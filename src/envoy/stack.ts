// Envoy plus the recording upstreams it routes to, started and stopped as one: if any part fails to
// start, what did start is stopped before the error is thrown.
import { request, type ClientResponse, type RequestInit } from "./http.js";
import { startEnvoy, type Envoy, type EnvoyOptions } from "./process.js";
import { startUpstream, type Responder, type Upstream } from "./upstream.js";

export interface StackOptions extends Omit<EnvoyOptions, "upstreams"> {
  /** Recording upstreams to start, by cluster name; a Responder customises the answer. */
  upstreams: string[] | Record<string, Responder | undefined>;
}

export interface Stack {
  envoy: Envoy;
  upstreams: Record<string, Upstream>;
  /** A request through Envoy's listener. */
  request(path: string, init?: RequestInit): Promise<ClientResponse>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const specs: Record<string, Responder | undefined> = Array.isArray(opts.upstreams)
    ? Object.fromEntries(opts.upstreams.map((n) => [n, undefined]))
    : opts.upstreams;
  const upstreams: Record<string, Upstream> = {};
  const stopUpstreams = () => Promise.all(Object.values(upstreams).map((u) => u.stop()));
  try {
    for (const [name, respond] of Object.entries(specs)) upstreams[name] = await startUpstream(name, respond);
    const envoy = await startEnvoy({ ...opts, upstreams });
    return {
      envoy,
      upstreams,
      request: (path, init) => request(envoy.url, path, init),
      async stop() { await envoy.stop(); await stopUpstreams(); },
    };
  } catch (e) {
    await stopUpstreams();
    throw e;
  }
}
