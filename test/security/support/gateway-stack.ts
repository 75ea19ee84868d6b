import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type GatewayLease,
  type GatewayStack as SharedStack,
  startGatewayStack as startSharedStack,
} from "../../support/gateway.js";

export type { GatewayLease };

/** An origin the secret must never reach: it records every connection it gets. */
interface Sink {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** The e2e gateway stack with another origin to watch, and a task per (agent, upstream, intent) made on demand. */
export interface GatewayStack extends Omit<SharedStack, "lease" | "task"> {
  /** Another origin (an attacker's): redirects point there; it must receive nothing. */
  elsewhere: Sink;
  lease(agent: string, upstream: string, intent: { action: string; resource: string }): Promise<GatewayLease>;
}

async function startSink(): Promise<Sink> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${JSON.stringify(req.rawHeaders)}`);
    res.end("sink");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `pnpm start` with the dev stack's gateway section (test/support/gateway.ts) and a sink for `elsewhere`. */
export async function startGatewayStack(
  env: Record<string, string> = {},
  options: { redisUrl?: string } = {},
): Promise<GatewayStack> {
  const { task, lease, stop, ...shared } = await startSharedStack(env, options);
  const elsewhere = await startSink();
  const tasks = new Map<string, Promise<string>>();
  return {
    ...shared,
    elsewhere,
    async lease(agent, upstream, intent) {
      const key = `${agent}\u0000${upstream}\u0000${intent.action}\u0000${intent.resource}`;
      let taskId = tasks.get(key);
      if (!taskId) {
        taskId = task(agent, [intent]);
        tasks.set(key, taskId);
      }
      return lease(agent, await taskId, upstream, intent);
    },
    async stop() {
      await Promise.all([stop(), elsewhere.close()]);
    },
  };
}
