import { randomUUID } from "node:crypto";
import type { Lease, Task } from "@leash/core";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { RedisAuditLog, type StoredAuditEvent } from "./audit-log.js";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

/**
 * Receipts are written by the transition that ends a lease (so exactly one per lease, whatever repeats it) and
 * chained into the audit log by `drain` (exactly once, even with several drainers), keeping the chain verifiable.
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

let prefix: string;
let store: Store;
let audit: RedisAuditLog;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  store = createStore(redis, prefix);
  audit = new RedisAuditLog(redis, prefix);
});

const now = Date.now();
const task = (overrides: Partial<Task> = {}) => taskFixture(overrides, now);

async function activeLeases(taskId: string, count: number, overrides: Partial<Lease> = {}): Promise<Lease[]> {
  const out: Lease[] = [];
  for (let i = 0; i < count; i++) {
    const l = leaseFixture(taskId, overrides, now);
    await store.leases.createPending(l);
    await store.leases.activate(l.id, activationFixture(now));
    out.push(l);
  }
  return out;
}

async function everything(): Promise<StoredAuditEvent[]> {
  const out: StoredAuditEvent[] = [];
  let cursor = "-";
  for (;;) {
    const page = await audit.read(cursor, 1000);
    out.push(...page);
    const last = page.at(-1);
    if (!last || page.length < 1000) return out;
    cursor = last.id;
  }
}

const receiptsOf = (events: StoredAuditEvent[], id: string) =>
  events.filter((e) => e.leaseId === id && (e.type === "lease.revoked" || e.type === "lease.expired"));

describe("receipts", () => {
  it("settling a lease writes one receipt with cause, actor and both instants; repeats write none", async () => {
    const t = task();
    await store.tasks.create(t);
    const [l] = await activeLeases(t.id, 1);
    if (!l) throw new Error("no lease");
    await store.leases.requestRevocation(
      [{ leaseId: l.id, cause: "security", actor: "spiffe://s/p" }],
      now + 5,
    );
    expect(await store.leases.settle(l.id, now + 9, "revoked", { note: "x" })).toBe("");
    expect(await store.leases.settle(l.id, now + 10, "revoked")).toBeNull();
    expect(await store.leases.markRevoked(l.id, now + 11)).toBe(false);
    expect(await audit.pending()).toBe(1);
    await audit.drain();
    expect(await audit.pending()).toBe(0);
    const [receipt, ...more] = receiptsOf(await everything(), l.id);
    expect(more).toEqual([]);
    expect(receipt).toMatchObject({
      type: "lease.revoked",
      actor: "spiffe://s/p",
      agent: l.agent,
      taskId: t.id,
      leaseId: l.id,
      outcome: "ok",
      cause: "security",
      orderedAt: now + 5,
      confirmedAt: now + 9,
      ts: now + 9,
      detail: { provider: "leash-jwt", note: "x" },
    });
    expect(await store.leases.get(l.id)).toMatchObject({ revokeReason: "security", revokedAt: now + 9 });
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it("natural expiry is lease.expired, cause expired, actor leash, ordered at the lease's expiry", async () => {
    const t = task();
    await store.tasks.create(t);
    const [l] = await activeLeases(t.id, 1);
    if (!l) throw new Error("no lease");
    expect(await store.leases.markExpired(l.id, l.expiresAt + 40)).toBe(true);
    await audit.drain();
    expect(receiptsOf(await everything(), l.id)).toEqual([
      expect.objectContaining({
        type: "lease.expired",
        cause: "expired",
        actor: "leash",
        orderedAt: l.expiresAt,
        confirmedAt: l.expiresAt + 40,
      }),
    ]);
    expect((await store.leases.get(l.id))?.revokeReason).toBe("expired");
  });

  it("ending a task tree orders its leases with cause task_<state> and the actor; the cascade names the task", async () => {
    const root = task();
    const child = task({ parentId: root.id, depth: 1 });
    for (const x of [root, child]) await store.tasks.create(x);
    const [a] = await activeLeases(root.id, 1);
    const [b] = await activeLeases(child.id, 1);
    const pending = leaseFixture(child.id, {}, now);
    await store.leases.createPending(pending);
    const ended = await store.tasks.end(root.id, "cancelled", now + 3, "spiffe://o");
    expect(ended?.revoking.sort()).toEqual([a?.id, b?.id].sort());
    // A lease written ahead before the end is revoked at activation, under the same order.
    expect(await store.leases.activate(pending.id, activationFixture(now))).toBe("revoke");
    for (const id of [a?.id, b?.id, pending.id])
      expect(await store.leases.markRevoked(id ?? "", now + 7)).toBe(true);
    await audit.drain();
    const events = await everything();
    for (const id of [a?.id, b?.id, pending.id]) {
      expect(receiptsOf(events, id ?? "")).toEqual([
        expect.objectContaining({ cause: "task_cancelled", actor: "spiffe://o", orderedAt: now + 3 }),
      ]);
    }
    expect(receiptsOf(events, b?.id ?? "")[0]?.detail).toMatchObject({ ended_task: root.id });
  });

  it("ending a task settles at once the leases that die in the store, each with its receipt; the others wait for their job", async () => {
    const root = task();
    const child = task({ parentId: root.id, depth: 1 });
    for (const x of [root, child]) await store.tasks.create(x);
    const [a] = await activeLeases(root.id, 1);
    const [b] = await activeLeases(child.id, 1);
    const [v] = await activeLeases(root.id, 1, { provider: "vault" });
    // Already being revoked for another reason: it keeps its order and its job.
    const [r] = await activeLeases(root.id, 1);
    await store.leases.requestRevocation([{ leaseId: r?.id ?? "", cause: "returned", actor: "x" }], now);
    const ended = await store.tasks.end(root.id, "completed", now + 3, "spiffe://o", ["leash-jwt"]);
    expect(ended?.settled.sort()).toEqual([a?.id, b?.id].sort());
    expect(ended?.revoking.sort()).toEqual([v?.id, r?.id].sort());
    for (const id of [a?.id, b?.id])
      expect(await store.leases.get(id ?? "")).toMatchObject({ state: "revoked", revokedAt: now + 3 });
    expect((await store.leases.get(v?.id ?? ""))?.state).toBe("revoking");
    const again = await store.tasks.end(root.id, "completed", now + 4, "spiffe://o", ["leash-jwt"]);
    expect(again).toMatchObject({ changed: false, settled: [] });
    await audit.drain();
    const events = await everything();
    for (const id of [a?.id, b?.id]) {
      expect(receiptsOf(events, id ?? "")).toEqual([
        expect.objectContaining({
          type: "lease.revoked",
          cause: "task_completed",
          actor: "spiffe://o",
          orderedAt: now + 3,
          confirmedAt: now + 3,
        }),
      ]);
    }
    expect(receiptsOf(events, b?.id ?? "")[0]?.detail).toMatchObject({ ended_task: root.id });
    expect(receiptsOf(events, v?.id ?? "")).toEqual([]);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it("settleMany: a thousand leases end with one receipt each, chained in batches", async () => {
    const t = task();
    await store.tasks.create(t);
    const leases = await activeLeases(t.id, 1000);
    // Some were already being revoked for another reason: they keep it.
    await store.leases.requestRevocation(
      leases.slice(0, 10).map((l) => ({ leaseId: l.id, cause: "returned" as const, actor: l.agent })),
      now,
    );
    const orders = leases.map((l) => ({
      leaseId: l.id,
      cause: "campaign" as const,
      actor: "spiffe://s",
      campaignId: "rv_1",
    }));
    expect((await store.leases.settleMany(orders, now + 1, { target_cut: "t" })).length).toBe(1000);
    expect(await store.leases.settleMany(orders, now + 2)).toEqual([]);
    await audit.drain();
    const events = await everything();
    for (const [i, l] of leases.entries()) {
      const receipts = receiptsOf(events, l.id);
      expect(receipts).toHaveLength(1);
      expect(receipts[0]).toMatchObject(
        i < 10
          ? { cause: "returned", actor: l.agent }
          : { cause: "campaign", actor: "spiffe://s", detail: { campaign: "rv_1", target_cut: "t" } },
      );
    }
    expect(await store.leases.liveCount({})).toBe(0);
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 1000 });
  });

  it("several processes draining and appending at once chain each receipt exactly once", async () => {
    const t = task();
    await store.tasks.create(t);
    const leases = await activeLeases(t.id, 600);
    const other = new RedisAuditLog(redis, prefix);
    const orders = leases.map((l) => ({ leaseId: l.id, cause: "security" as const, actor: "s" }));
    await Promise.all([
      ...orders.map((o) => store.leases.settleMany([o], now)),
      ...Array.from({ length: 20 }, (_, i) => (i % 2 ? audit : other).drain()),
      ...Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? audit : other).append({ type: "x", actor: null, outcome: "ok", detail: { i } }),
      ),
    ]);
    await Promise.all([audit.drain(), other.drain()]);
    const events = await everything();
    for (const l of leases) expect(receiptsOf(events, l.id)).toHaveLength(1);
    expect(events).toHaveLength(700);
    expect(await audit.verify()).toEqual({ ok: true, checked: 700 });
  });

  it("a campaign audits revocation.completed once, when its last lease is counted", async () => {
    const t = task();
    await store.tasks.create(t);
    const leases = await activeLeases(t.id, 3);
    const ids = leases.map((l) => l.id);
    await store.campaigns.create(
      {
        id: "rv_c",
        reason: "drill",
        requestedBy: "spiffe://s",
        selector: { taskId: t.id },
        createdAt: now,
        matched: 3,
      },
      ids,
    );
    expect(await store.campaigns.advance("rv_c", 3, ids.slice(0, 2), now + 50)).toBe(false);
    expect(await store.campaigns.ended("rv_c", ids[0] ?? "", now + 60)).toBe(false);
    expect(await store.campaigns.ended("rv_c", ids[2] ?? "", now + 80)).toBe(true);
    expect(await store.campaigns.ended("rv_c", ids[2] ?? "", now + 90)).toBe(false);
    expect(await store.campaigns.advance("rv_c", 3, [], now + 90)).toBe(false);
    await audit.drain();
    const completed = (await everything()).filter((e) => e.type === "revocation.completed");
    expect(completed).toEqual([
      expect.objectContaining({
        actor: "spiffe://s",
        ts: now + 80,
        detail: {
          campaign: "rv_c",
          reason: "drill",
          matched: 3,
          ordered: 3,
          revoked: 3,
          failed: 0,
          duration_ms: 80,
        },
      }),
    ]);
    expect(await store.campaigns.get("rv_c")).toMatchObject({ state: "done", completedAt: now + 80 });
  });
});
