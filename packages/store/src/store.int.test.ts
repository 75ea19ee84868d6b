import { randomUUID } from "node:crypto";
import { type IssueStanding, type Lease, newId, type Task } from "@leash/core";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

let store: Store;
beforeEach(() => {
  store = createStore(redis, `t:{${randomUUID()}}:`);
});

const now = Date.now();
const task = (overrides: Partial<Task> = {}) => taskFixture(overrides, now);
const lease = (taskId: string, overrides: Partial<Lease> = {}) => leaseFixture(taskId, overrides, now);
const activation = activationFixture(now);

describe("lease state machine in Redis", () => {
  it("write-ahead: a lease is pending before activation and active after, never back", async () => {
    const t = task();
    await store.tasks.create(t);
    const l = lease(t.id);
    expect(await store.leases.createPending(l)).toBeNull();
    expect((await store.leases.get(l.id))?.state).toBe("pending");
    expect(await store.leases.stalePending(now + 1, 10)).toEqual([l.id]);
    expect(await store.leases.activate(l.id, activation)).toBe("active");
    const active = await store.leases.get(l.id);
    expect(active).toMatchObject({ state: "active", handle: { jti: "x" }, scope: ["read docs/a"] });
    await expect(store.leases.activate(l.id, activation)).rejects.toMatchObject({ code: "conflict" });
    expect(await store.leases.abort(l.id, "late")).toBe(false);
    expect(await store.leases.stalePending(now + 1, 10)).toEqual([]);
  });

  it("one step: a lease that dies in the store is written active, due at its expiry, never pending", async () => {
    const t = task();
    await store.tasks.create(t);
    const l = lease(t.id, { state: "active", ...activation });
    const standing = { tasks: [{ id: t.id, stamp: 0 }], agents: [l.agent] };
    expect(await store.leases.createActive(l, standing)).toBeNull();
    expect(await store.leases.get(l.id)).toMatchObject({
      state: "active",
      handle: { jti: "x" },
      providerExpiresAt: activation.providerExpiresAt,
      scope: ["read docs/a"],
    });
    expect(await store.leases.stalePending(now + 1, 10)).toEqual([]);
    expect(await store.leases.claimDue(l.expiresAt, 10, 1_000)).toEqual([l.id]);
    expect(await store.leases.liveCount({ agent: l.agent })).toBe(1);
  });

  it("one step: writes nothing when the task ended, a level changed, or an identity is suspended", async () => {
    const parent = task({ agent: "spiffe://t/agent/p" });
    await store.tasks.create(parent);
    const t = task({ parentId: parent.id, depth: 1 });
    await store.tasks.create(t);
    // What an issuance under `t` reads before its step: the levels' stamps, and whether a suspension reached them.
    const read = async () => {
      const levels = [await store.tasks.get(t.id), await store.tasks.get(parent.id)];
      return {
        tasks: levels.map((l) => ({ id: l?.id ?? "", stamp: l?.stamp ?? 0 })),
        agents: levels[0]?.reachedBySuspension ? ["spiffe://t/agent/a", parent.agent] : [],
      };
    };
    const attempt = (standing: IssueStanding) =>
      store.leases.createActive(lease(t.id, { state: "active", ...activation }), standing);
    let standing = await read();
    expect(standing.agents).toEqual([]);
    const narrowed = await store.tasks.narrow({
      taskId: parent.id,
      from: parent.ceiling,
      to: parent.ceiling,
      at: now,
      actor: "o",
      outside: () => false,
    });
    expect(narrowed?.kind).toBe("narrowed");
    expect(await attempt(standing)).toEqual({ refused: "changed" });
    standing = await read();
    expect(await attempt(standing)).toBeNull();

    // A suspension of the agent above, even without its delegates' leases, stamps the tasks below it.
    const by = { agent: parent.agent, reason: "r", by: "s", at: now };
    await store.suspensions.suspend({ ...by, until: null }, false);
    expect(await attempt(standing)).toEqual({ refused: "changed" });
    standing = await read();
    expect(standing.agents).toEqual(["spiffe://t/agent/a", parent.agent]);
    expect(await attempt(standing)).toEqual({ refused: "agent_suspended" });
    await store.suspensions.suspend({ ...by, until: now - 1 }, false);
    standing = await read();
    expect(await attempt(standing)).toBeNull();
    await store.suspensions.lift(parent.agent);
    expect(await attempt(standing)).toBeNull();

    await store.tasks.end(t.id, "completed", now, "o");
    expect(await attempt(standing)).toEqual({ refused: "task_not_active" });
    expect((await store.leases.list({ taskId: t.id, limit: 10 })).items).toHaveLength(3);
  });

  it("idempotency: the same key returns the first lease and writes nothing", async () => {
    const t = task();
    await store.tasks.create(t);
    const first = lease(t.id);
    expect(await store.leases.createPending(first, { key: "k1", bodyHash: "b1" })).toBeNull();
    const second = lease(t.id);
    expect(await store.leases.createPending(second, { key: "k1", bodyHash: "b2" })).toEqual({
      leaseId: first.id,
      bodyHash: "b1",
    });
    expect(await store.leases.get(second.id)).toBeNull();
  });

  it("ending a task puts its live leases in revoking at once, and a duplicate end is harmless", async () => {
    const t = task();
    await store.tasks.create(t);
    const a = lease(t.id);
    const p = lease(t.id);
    await store.leases.createPending(a);
    await store.leases.activate(a.id, activation);
    await store.leases.createPending(p);
    const first = await store.tasks.end(t.id, "completed", now, "o");
    expect(first).toMatchObject({ changed: true, revoking: [a.id], task: { state: "completed" } });
    expect((await store.leases.get(a.id))?.state).toBe("revoking");
    const again = await store.tasks.end(t.id, "cancelled", now, "o");
    expect(again).toMatchObject({ changed: false, revoking: [a.id], task: { state: "completed" } });
    // The pending lease was flagged: activating it now revokes it straight away.
    expect(await store.leases.activate(p.id, activation)).toBe("revoke");
    expect((await store.leases.get(p.id))?.state).toBe("revoking");
    expect(await store.tasks.leaseCounts(t.id)).toEqual({ revoking: 2 });
  });

  it("ending a task cascades to its sub-tasks and their leases", async () => {
    const root = task();
    const child = task({ parentId: root.id, depth: 1 });
    const grandchild = task({ parentId: child.id, depth: 2 });
    for (const t of [root, child, grandchild]) await store.tasks.create(t);
    const l = lease(grandchild.id);
    await store.leases.createPending(l);
    await store.leases.activate(l.id, activation);
    const outcome = await store.tasks.end(root.id, "completed", now, "o");
    expect(outcome?.revoking).toEqual([l.id]);
    expect((await store.tasks.get(grandchild.id))?.state).toBe("completed");
  });

  it("the deadline index hands each due lease to one poller and brings it back if its job is lost", async () => {
    const t = task();
    await store.tasks.create(t);
    const l = lease(t.id, { expiresAt: now + 1_000 });
    await store.leases.createPending(l);
    await store.leases.activate(l.id, activation);
    expect(await store.leases.claimDue(now, 10, 5_000)).toEqual([]);
    expect(await store.leases.claimDue(now + 1_000, 10, 5_000)).toEqual([l.id]);
    expect(await store.leases.claimDue(now + 2_000, 10, 5_000)).toEqual([]);
    expect(await store.leases.claimDue(now + 6_000, 10, 5_000)).toEqual([l.id]);
    expect(await store.leases.markExpired(l.id, now + 6_000)).toBe(true);
    expect(await store.leases.claimDue(now + 60_000, 10, 5_000)).toEqual([]);
  });

  it("revocation: revoking -> revoke_failed -> revoked, each transition once", async () => {
    const t = task();
    await store.tasks.create(t);
    const l = lease(t.id);
    await store.leases.createPending(l);
    await store.leases.activate(l.id, activation);
    expect(await store.leases.requestRevocation([{ leaseId: l.id, cause: "returned", actor: "a" }])).toEqual([
      l.id,
    ]);
    expect(await store.leases.markRevokeFailed(l.id, "provider down")).toBe(true);
    expect(await store.leases.markRevokeFailed(l.id, "provider down")).toBe(false);
    expect(await store.leases.markRevoked(l.id)).toBe(true);
    expect(await store.leases.markRevoked(l.id)).toBe(false);
    const revoked = await store.leases.get(l.id);
    expect(revoked).toMatchObject({ state: "revoked", revokeReason: "returned" });
    expect(await store.leases.liveCount({})).toBe(0);
  });

  it("lists newest first with a cursor, and selects live leases by selector", async () => {
    const t = task();
    await store.tasks.create(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const l = lease(t.id, {
        id: newId("ls", now + i),
        agent: i % 2 ? "spiffe://t/agent/b" : "spiffe://t/agent/a",
      });
      await store.leases.createPending(l);
      await store.leases.activate(l.id, activation);
      ids.push(l.id);
    }
    const page1 = await store.leases.list({ limit: 2 });
    expect(page1.items.map((l) => l.id)).toEqual([ids[4], ids[3]]);
    const page2 = await store.leases.list({ limit: 2, cursor: page1.nextCursor ?? undefined });
    expect(page2.items.map((l) => l.id)).toEqual([ids[2], ids[1]]);
    const page3 = await store.leases.list({ limit: 2, cursor: page2.nextCursor ?? undefined });
    expect(page3.items.map((l) => l.id)).toEqual([ids[0]]);
    expect(page3.nextCursor).toBeNull();
    const b = await store.leases.selectLive({ agentPrefix: "spiffe://t/agent/b" });
    expect(b.map((l) => l.id).sort()).toEqual([ids[1], ids[3]].sort());
    expect(await store.leases.liveCount({ agent: "spiffe://t/agent/a" })).toBe(3);
  });
});
