// A TCP proxy on a free loopback port that can hold back what the server sends by a set delay: a slow
// rate-limit service without touching the service. Bytes keep their order; setDelay(0) restores speed.
import { createServer, connect, type Socket } from "node:net";

export interface DelayProxy {
  port: number;
  address: string;
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

export function startDelayProxy(target: { host?: string; port: number }, delayMs = 0): Promise<DelayProxy> {
  let delay = delayMs;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host ?? "127.0.0.1");
    sockets.add(client).add(upstream);
    // Chunks from the server wait `delay` ms each, chained so a later chunk never overtakes.
    let tail = Promise.resolve();
    upstream.on("data", (chunk) => {
      const wait = delay;
      tail = tail.then(() => (wait > 0 ? new Promise((r) => setTimeout(r, wait)) : undefined)).then(() => {
        if (!client.destroyed) client.write(chunk);
      });
    });
    client.pipe(upstream);
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on("close", close).on("error", close);
    upstream.on("close", () => tail.then(close)).on("error", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        address: `127.0.0.1:${port}`,
        setDelay(ms) { delay = ms; },
        stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}
