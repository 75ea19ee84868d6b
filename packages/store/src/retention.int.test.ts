import { randomUUID } from "node:crypto";
import type { Lease, Task } from "@leash/core";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { RedisAuditLog } from "./audit-log.js";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { keyspace } from "./keys.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

/**
 * Retention (LEASH_LEASE_RETENTION_SECONDS): ended leases, tasks and campaigns, with every index entry pointing at
 * them, go once older than the cutoff, so the key count returns to its baseline; live ones never go. The cutoff is
 * passed explicitly: the sweep needs no clock of its own, so nothing here waits.
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

const DAY = 86_400_000;
let prefix: string;
let store: Store;
let audit: RedisAuditLog;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  store = createStore(redis, prefix);
  audit = new RedisAuditLog(redis, prefix);
});

async function keys(): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== "0");
  return out.sort();
}

async function newTask(at: number, overrides: Partial<Task> = {}): Promise<Task> {
  const t = taskFixture(overrides, at);
  await store.tasks.create(t);
  return t;
}

async function active(
  taskId: string,
  at: number,
  overrides: Partial<Lease> = {},
  idem?: string,
): Promise<Lease> {
  const l = leaseFixture(taskId, overrides, at);
  await store.leases.createPending(l, idem ? { key: idem, bodyHash: "b" } : undefined);
  await store.leases.activate(l.id, activationFixture(at));
  return l;
}

/** A task with leases and a sub-task, ended; one lease returned first, one aborted, one with an idempotency key. */
async function endedWorkload(at: number, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const root = await newTask(at, { agent: `spiffe://t/agent/${i}` });
    const child = await newTask(at, { parentId: root.id, depth: 1, agent: `spiffe://t/agent/${i}-sub` });
    const a = await active(root.id, at, { agent: root.agent }, `key-${i}`);
    const b = await active(child.id, at, { agent: child.agent });
    const aborted = leaseFixture(root.id, { agent: root.agent }, at);
    await store.leases.createPending(aborted);
    await store.leases.abort(aborted.id, "mint refused", at);
    await store.leases.requestRevocation([{ leaseId: a.id, cause: "returned", actor: root.agent }], at);
    await store.leases.markRevoked(a.id, at + 1);
    const ended = await store.tasks.end(root.id, "completed", at + 2, "spiffe://t/orchestrator");
    for (const id of ended?.revoking ?? []) await store.leases.markRevoked(id, at + 3);
    ids.push(a.id, b.id, aborted.id);
  }
  return ids;
}

describe("retention of ended records", () => {
  it("after the retention the key count returns to its baseline; live leases and their tasks stay", async () => {
    const now = Date.now();
    // A lease issued ten days ago and still live (with its task), older than any retention: it must stay.
    const old = await newTask(now - 10 * DAY, { ttlSeconds: 30 * 86_400 });
    const live = await active(old.id, now - 10 * DAY, { expiresAt: now + DAY });
    // One throwaway cycle, so the keys that exist whatever the load (counters, gauges) are in the baseline.
    await endedWorkload(now - 5 * DAY, 1);
    await store.retention.sweep(now);
    await audit.drain();
    const baseline = await keys();

    const ended = await endedWorkload(now - 2 * DAY, 20);
    const t = await newTask(now - 2 * DAY);
    const targets = await Promise.all(Array.from({ length: 5 }, () => active(t.id, now - 2 * DAY)));
    await store.campaigns.create(
      {
        id: "rv_r",
        reason: "drill",
        requestedBy: "spiffe://t/security/a",
        selector: { taskId: t.id },
        createdAt: now - 2 * DAY,
        matched: 5,
      },
      targets.map((l) => l.id),
    );
    await store.leases.settleMany(
      targets.map((l) => ({ leaseId: l.id, cause: "campaign" as const, actor: "s", campaignId: "rv_r" })),
      now - 2 * DAY,
    );
    await store.campaigns.advance(
      "rv_r",
      5,
      targets.map((l) => l.id),
      now - 2 * DAY,
    );
    await store.tasks.end(t.id, "completed", now - 2 * DAY, "o");
    await audit.drain();
    const grown = await keys();
    expect(grown.length).toBeGreaterThan(baseline.length + 100);

    // Within the retention nothing goes.
    expect(await store.retention.sweep(now - 3 * DAY)).toMatchObject({ leases: 0, tasks: 0, campaigns: 0 });
    expect(await keys()).toEqual(grown);
    expect((await store.leases.get(ended[0] ?? ""))?.state).toBe("revoked");

    // Past it, everything ended goes with its index entries, and only the baseline is left.
    const swept = await store.retention.sweep(now - DAY);
    expect(swept).toMatchObject({ leases: 65, tasks: 41, campaigns: 1, more: false });
    expect(await keys()).toEqual(baseline);
    expect(await store.leases.get(live.id)).toMatchObject({ state: "active" });
    expect(await store.tasks.get(old.id)).toMatchObject({ state: "active" });
    expect(await store.campaigns.get("rv_r")).toBeNull();
    // Listings show what is left, with no hole where a record went.
    expect((await store.leases.list({ limit: 100 })).items.map((l) => l.id)).toEqual([live.id]);
    expect(await store.leases.liveCount({})).toBe(1);
  });

  it("a task waits for its leases: one whose revocation keeps failing keeps the task and the lease", async () => {
    const now = Date.now();
    const t = await newTask(now - 3 * DAY);
    const stuck = await active(t.id, now - 3 * DAY);
    const done = await active(t.id, now - 3 * DAY);
    const ended = await store.tasks.end(t.id, "cancelled", now - 3 * DAY, "o");
    expect(ended?.revoking.sort()).toEqual([stuck.id, done.id].sort());
    await store.leases.markRevoked(done.id, now - 3 * DAY);
    await store.leases.markRevokeFailed(stuck.id, "provider down");

    expect(await store.retention.sweep(now)).toMatchObject({ leases: 1, tasks: 0, deferred: 1 });
    expect(await store.leases.get(stuck.id)).toMatchObject({ state: "revoke_failed" });
    expect(await store.tasks.get(t.id)).toMatchObject({ state: "cancelled" });
    expect(await store.tasks.leaseCounts(t.id)).toEqual({ revoke_failed: 1 });

    // Once it ends it goes after its own retention, and the task with it.
    await store.leases.markRevoked(stuck.id, now);
    expect(await store.retention.sweep(now - 1)).toMatchObject({ leases: 0, tasks: 0, deferred: 1 });
    expect(await store.retention.sweep(now)).toMatchObject({ leases: 1, tasks: 1, deferred: 0 });
    expect(await store.tasks.get(t.id)).toBeNull();
  });

  it("a parent task outlives its sub-tasks; the delegation index loses the sub-task with it", async () => {
    const now = Date.now();
    const root = await newTask(now - 3 * DAY, { agent: "spiffe://t/agent/p" });
    const child = await newTask(now - 3 * DAY, { parentId: root.id, depth: 1, agent: "spiffe://t/agent/c" });
    const l = await active(child.id, now - 3 * DAY, { agent: child.agent });
    await store.tasks.end(root.id, "completed", now - 3 * DAY, "o");
    // The sub-task's lease ends only now: the sub-task, then its parent, must wait for it.
    await store.leases.markRevoked(l.id, now);
    expect(await store.retention.sweep(now - DAY)).toMatchObject({ tasks: 0, deferred: 2 });
    expect(await store.tasks.get(root.id)).not.toBeNull();
    expect(await redis.smembers(keyspace(prefix).agentDelegations(root.agent))).toEqual([child.id]);
    // Then the sub-task and its parent go in one sweep, bottom-up.
    expect(await store.retention.sweep(now)).toMatchObject({ leases: 1, tasks: 2, deferred: 0 });
    expect(await keys()).not.toContain(keyspace(prefix).agentDelegations(root.agent));
    expect(await keys()).not.toContain(keyspace(prefix).task(root.id));
  });

  it("sweeps in bounded batches and resumes where the time budget stopped it", async () => {
    const now = Date.now();
    const t = await newTask(now - 3 * DAY);
    const leases = await Promise.all(Array.from({ length: 450 }, () => active(t.id, now - 3 * DAY)));
    await store.leases.settleMany(
      leases.map((l) => ({ leaseId: l.id, cause: "security" as const, actor: "s" })),
      now - 3 * DAY,
    );
    const first = await store.retention.sweep(now, 0);
    expect(first).toMatchObject({ leases: 200, more: true });
    const rest = await store.retention.sweep(now);
    expect(rest).toMatchObject({ leases: 250, more: false });
  });

  it("drops the index entries of approvals whose record expired", async () => {
    const now = Date.now();
    const approval = (id: string) => ({
      id,
      agent: "spiffe://t/agent/a",
      taskId: "tk",
      provider: "leash-jwt" as const,
      target: null,
      intent: { action: "write", resource: "docs/a" },
      ttlSeconds: undefined,
      requestHash: id,
      state: "pending" as const,
      reasons: [],
      createdAt: now,
      expiresAt: now + 60_000,
      decidedBy: null,
      decidedAt: null,
      leaseId: null,
    });
    for (const id of ["ap_1", "ap_2", "ap_3"]) await store.approvals.create(approval(id));
    // What the records' TTL does a day after they expire.
    await redis.del(keyspace(prefix).approval("ap_1"), keyspace(prefix).approval("ap_2"));
    expect(await store.retention.sweep(now)).toMatchObject({ approvals: 2 });
    expect(await redis.zrange(keyspace(prefix).approvals, 0, -1)).toEqual(["ap_3"]);
  });
});
