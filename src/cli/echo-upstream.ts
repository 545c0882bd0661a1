// The upstream `run` puts behind the filter: answers every request with what it received, so the
// effect of the filter on the request (added, removed, rewritten headers) is visible in the reply.
import type { Responder } from "../envoy/upstream.js";

export const echo: Responder = (req) => ({
  status: 200,
  headers: { "content-type": "application/json", "x-upstream": "echo" },
  body: JSON.stringify({ method: req.method, path: req.path, headers: req.headers, body: req.body }, null, 2) + "\n",
});
