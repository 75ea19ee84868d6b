import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { type RevokerDeps, revokeLease } from "@leash/core";
import { QUEUES, RevokeJob } from "@leash/queue";
import { connectRedis } from "@leash/store";
import { Worker } from "bullmq";
import { createTestApp, type TestApp } from "./test-app.js";

export interface ServedTestApp {
  t: TestApp;
  /** The app's URL, which is also its LEASH_PUBLIC_URL (OAuth URLs and DPoP `htu` come from it). */
  url: string;
  close(): Promise<void>;
}

/** The test app served over HTTP on a free loopback port, with LEASH_PUBLIC_URL set to where it listens. */
export async function serveTestApp(
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<ServedTestApp> {
  let t: TestApp | undefined;
  const server = createServer(
    getRequestListener((request) => t?.app.fetch(request) ?? new Response("starting", { status: 503 })),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = await createTestApp(redisUrl, { LEASH_PUBLIC_URL: url, ...env });
  t = app;
  return {
    t: app,
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    },
  };
}

/**
 * The worker's revoke step (apps/worker runs the same core service) on the app's queue, the lease's receipt
 * drained into the audit log as the worker does; returns its stop.
 */
export function startRevoker(t: TestApp, redisUrl: string): () => Promise<void> {
  const connection = connectRedis(redisUrl, { mode: "worker" });
  const deps: RevokerDeps = {
    leases: t.ctx.store.leases,
    providers: t.ctx.broker.providers,
    audit: t.ctx.audit,
    clock: t.ctx.broker.clock,
    timeoutMs: 5_000,
  };
  const worker = new Worker(
    QUEUES.revoke,
    async (job) => {
      const { kind } = await revokeLease(deps, RevokeJob.parse(job.data).leaseId);
      await t.ctx.store.audit.drain();
      return kind;
    },
    { connection, prefix: t.ctx.store.queueConnection().prefix },
  );
  return async () => {
    await worker.close();
    await connection.quit();
  };
}

/** Polls `check` until it returns a value, failing after `timeoutMs` (no fixed sleeps). */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
