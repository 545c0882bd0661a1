// Free loopback ports for services that cannot report the port they bound (Redis, the rate-limit
// service): bind port 0, read the port, close. Another process could take it in between; the
// services' start-up checks then fail with a clear message instead of talking to the wrong server.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
