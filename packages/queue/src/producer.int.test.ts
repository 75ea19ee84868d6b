import { randomUUID } from "node:crypto";
import { QueueEvents } from "bullmq";
import { afterEach, expect, inject, it } from "vitest";
import { createProducers } from "./producer.js";
import { QUEUES } from "./queues.js";

const url = new URL(inject("redisUrl"));
const connection = { host: url.hostname, port: Number(url.port) };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("the deadline index's due leases get a revoke job only when they have none, without asking BullMQ to add a duplicate", async () => {
  const prefix = `queue:{${randomUUID()}}:q`;
  const producers = createProducers(connection, prefix);
  cleanups.push(() => producers.close());
  const events = new QueueEvents(QUEUES.revoke, { connection, prefix, lastEventId: "0-0" });
  cleanups.push(() => events.close());
  const seen: string[] = [];
  const fresh = new Promise<void>((resolve) => {
    events.on("duplicated", ({ jobId }) => seen.push(`duplicated ${jobId}`));
    events.on("added", ({ jobId }) => {
      seen.push(`added ${jobId}`);
      if (jobId === "ls_due") resolve();
    });
  });
  await events.waitUntilReady();

  await producers.revoke([{ leaseId: "ls_ordered", reason: "task_completed" }]);
  await producers.revokeDue([
    { leaseId: "ls_ordered", reason: "deadline reached" },
    { leaseId: "ls_due", reason: "deadline reached" },
  ]);
  await fresh;

  // BullMQ answers a duplicate add with a `duplicated` event, after its add script ran: none was asked for.
  expect(seen).toEqual(["added ls_ordered", "added ls_due"]);
  const stats = await producers.stats();
  expect(stats.jobs.find((j) => j.queue === QUEUES.revoke && j.state === "waiting")?.count).toBe(2);
});
