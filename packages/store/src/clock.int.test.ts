import { randomUUID } from "node:crypto";
import { LEASH_ACTOR } from "@leash/core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { createStore } from "./index.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

/** Years before the real time, so a time read from the system clock cannot pass for it. */
const FROZEN = Date.UTC(2020, 5, 1, 12, 0, 0);

describe("the store with a frozen clock", () => {
  it("records the clock's time, not the system's", async () => {
    const store = createStore(redis, `t:{${randomUUID()}}:`, { clock: { now: () => FROZEN } });
    const task = taskFixture({}, FROZEN);
    await store.tasks.create(task);
    const lease = leaseFixture(task.id, {}, FROZEN);
    await store.leases.createPending(lease);
    await store.leases.activate(lease.id, { taskId: task.id, ...activationFixture(FROZEN) });
    await store.leases.requestRevocation([{ leaseId: lease.id, cause: "security", actor: LEASH_ACTOR }]);
    expect(await store.leases.markRevoked(lease.id)).toBe(true);
    expect(await store.leases.get(lease.id)).toMatchObject({ revokeRequestedAt: FROZEN, revokedAt: FROZEN });

    await store.audit.append({ type: "policy.reloaded", actor: null, outcome: "ok" });
    await store.audit.drain();
    const events = await store.audit.read("-", 100);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.ts).toBe(FROZEN);

    // A pending approval expires by the clock: one that ends a minute after it is still pending.
    await store.approvals.create({
      id: "ap_1",
      agent: "spiffe://t/agent/a",
      taskId: task.id,
      provider: "leash-jwt",
      target: null,
      intent: { action: "read", resource: "docs/a" },
      ttlSeconds: undefined,
      requestHash: "h",
      state: "pending",
      reasons: [],
      createdAt: FROZEN,
      expiresAt: FROZEN + 60_000,
      decidedBy: null,
      decidedAt: null,
      leaseId: null,
    });
    expect((await store.approvals.get("ap_1"))?.state).toBe("pending");

    await store.workers.beat("w1");
    expect(await store.workers.alive()).toBe(1);
  });
});
