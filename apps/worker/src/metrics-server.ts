import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorkerMetrics } from "@leash/runtime";

/** Serves `GET /metrics` for Prometheus; anything else is 404. Returns the bound port and a closer. */
export async function serveWorkerMetrics(
  metrics: WorkerMetrics,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
