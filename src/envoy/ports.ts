// Free loopback ports chosen before anything starts, for topologies whose configs name each other's
// ports (a sidecar must know the next service's port before either runs). They are taken below
// Linux's ephemeral range (32768+), so a port some client or Envoy picks for itself in the meantime
// cannot take one of them before its owner binds it.
import { createServer } from "node:net";

export async function freePorts(n: number, from = 20000, to = 32000): Promise<number[]> {
  const out: number[] = [];
  for (let attempts = 0; out.length < n; attempts++) {
    if (attempts > n * 50) throw new Error(`freePorts: found only ${out.length} of ${n} free ports in ${from}-${to}`);
    const port = from + Math.floor(Math.random() * (to - from));
    if (out.includes(port)) continue;
    const s = createServer();
    const ok = await new Promise<boolean>((r) => { s.once("error", () => r(false)); s.listen(port, "127.0.0.1", () => r(true)); });
    if (ok) { out.push(port); await new Promise((r) => s.close(r)); }
  }
  return out;
}
