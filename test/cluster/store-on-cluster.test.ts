import { randomUUID } from "node:crypto";
import { type Lease, newId, type Task, withShard } from "@leash/core";
import {
  connectRedis,
  createStore,
  keyspace,
  migrateShards,
  openStore,
  RedisAuditLog,
  type RedisClient,
  readShardMap,
  waitReady,
} from "@leash/store";
import { activationFixture, leaseFixture, taskFixture } from "@leash/store/testing";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * The store's every kind of write on a 3-primary Redis Cluster: scripts (with list and optional keys), MULTI,
 * pipelines and the audit stream. Redis refuses a script, transaction or pipeline whose keys span slots
 * (CROSSSLOT), so this passing means each of them stays within the prefix's hash tag.
 */
let redis: RedisClient;
beforeAll(async () => {
  redis = connectRedis(inject("redisTarget"), { mode: "worker" });
  await waitReady(redis);
});
afterAll(() => redis?.quit());

const now = Date.now();
const task = (overrides: Partial<Task> = {}) => taskFixture(overrides, now);
const lease = (taskId: string, overrides: Partial<Lease> = {}) => leaseFixture(taskId, overrides, now);
const activation = activationFixture(now);

describe("the store on a Redis Cluster", () => {
  it("is a cluster of three primaries, and different hash tags land on different slots", async () => {
    const cluster = redis as Cluster;
    expect(cluster.isCluster).toBe(true);
    expect(cluster.nodes("master")).toHaveLength(3);
    const slots = new Set(
      await Promise.all(["{a}", "{b}", "{c}", "{d}"].map((tag) => cluster.call("CLUSTER", "KEYSLOT", tag))),
    );
    expect(slots.size).toBe(4);
  });

  it("runs every transition, sub-tasks, idempotency keys, campaigns, approvals and the audit chain", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const store = createStore(redis, prefix);
    const root = task();
    const child = task({ parentId: root.id, depth: 1 });
    for (const t of [root, child]) await store.tasks.create(t);
    const leases = Array.from({ length: 20 }, (_, i) => lease(i % 2 ? child.id : root.id));
    for (const [i, l] of leases.entries())
      await store.leases.createPending(l, i === 0 ? { key: "k", bodyHash: "b" } : undefined);
    for (const l of leases.slice(1)) await store.leases.activate(l.id, activation);
    expect(await store.leases.abort(leases[0]?.id ?? "", "mint refused")).toBe(true);

    const campaignTargets = leases.slice(1, 5).map((l) => l.id);
    await store.campaigns.create(
      {
        id: "c1",
        reason: "drill",
        requestedBy: "s",
        selector: { taskId: root.id },
        createdAt: now,
        matched: 4,
      },
      campaignTargets,
    );
    const ordered = await store.leases.requestRevocation(
      campaignTargets.map((leaseId) => ({
        leaseId,
        cause: "campaign" as const,
        actor: "s",
        campaignId: "c1",
      })),
    );
    expect(ordered.sort()).toEqual([...campaignTargets].sort());
    await store.campaigns.advance("c1", 4, [], Date.now());
    for (const id of campaignTargets) {
      expect(await store.leases.markRevoked(id)).toBe(true);
      await store.campaigns.ended("c1", id, Date.now());
    }
    expect(await store.campaigns.get("c1")).toMatchObject({ state: "done", revoked: 4 });

    const ended = await store.tasks.end(root.id, "completed", now, "o");
    expect(ended?.revoking).toHaveLength(15);
    expect(await store.tasks.leaseCounts(child.id)).toEqual({ revoking: 8, revoked: 2 });
    expect(await store.leases.claimDue(Date.now(), 100, 5_000)).toHaveLength(15);
    expect(await store.leases.getMany(leases.map((l) => l.id))).toHaveLength(20);

    await store.approvals.create({
      id: "ap1",
      agent: "spiffe://t/agent/a",
      taskId: root.id,
      provider: "leash-jwt",
      target: null,
      intent: { action: "write", resource: "docs/a" },
      ttlSeconds: undefined,
      requestHash: "r",
      state: "pending",
      reasons: [],
      createdAt: now,
      expiresAt: now + 60_000,
      decidedBy: null,
      decidedAt: null,
      leaseId: null,
    });
    expect(await store.approvals.decide("ap1", "approved", "spiffe://t/security/b", now)).toBe(true);
    expect(await store.approvals.redeem("ap1", "ls_x")).toBe(true);

    const audit = new RedisAuditLog(redis, prefix);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        audit.append({ type: "lease.issued", actor: null, outcome: "ok", detail: { i } }),
      ),
    );
    expect(await audit.verify()).toEqual({ ok: true, checked: 50 });
  });
});

describe("a store over 12 shards on a Redis Cluster", () => {
  it("counts pools and claims Idempotency-Keys on home shards of every node, and gives them back", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const { store } = await openStore(redis, prefix, 12, { retentionMs: 60_000 });
    // Six pools, homed by name over the shards (and so over the three primaries); one place each.
    const pools = Array.from({ length: 6 }, (_, i) => ({
      quota: `q${i}`,
      pool: `q${i}-${randomUUID()}`,
      live: { max: 1 },
      perMinute: { max: 10 },
    }));
    const shardTask = async (shard: number) => {
      const t = task({ id: withShard(newId("tk"), shard) });
      await store.tasks.create(t);
      return t;
    };
    const [a, b] = [await shardTask(5), await shardTask(9)];
    const first = lease(a.id, { id: withShard(newId("ls"), 5) });
    expect(await store.leases.createPending(first, { key: "k1", bodyHash: "h" }, pools)).toBeNull();
    const second = lease(b.id, { id: withShard(newId("ls"), 9) });
    await expect(store.leases.createPending(second, undefined, pools)).rejects.toThrow(/at most/);
    // An abort gives every place back, on every node, at once.
    expect(await store.leases.abort(first.id, "mint failed")).toBe(true);
    expect(await store.leases.createPending(second, { key: "k2", bodyHash: "h" }, pools)).toBeNull();
    // So does the chaining of the receipt of a lease's end.
    await store.leases.activate(second.id, activation);
    await store.leases.requestRevocation([{ leaseId: second.id, cause: "returned", actor: "t" }], Date.now());
    await store.leases.settle(second.id, Date.now(), "revoked");
    await store.audit.drain();
    const usage = await store.leases.quotaUsage(pools, Date.now());
    expect(usage.map((u) => u.live)).toEqual([0, 0, 0, 0, 0, 0]);

    // The claims of the keys go with their leases.
    const { prefixes } = (await readShardMap(redis, prefix)) ?? { prefixes: [] };
    const claims = (key: string) => prefixes.map((p) => keyspace(p).idempotency(first.agent, key));
    const held = async (key: string) =>
      (await Promise.all(claims(key).map((k) => redis.exists(k)))).reduce((n, x) => n + x, 0);
    expect((await held("k1")) + (await held("k2"))).toBeGreaterThan(0);
    await store.retention.sweep(Date.now() + 1);
    expect((await held("k1")) + (await held("k2"))).toBe(0);
  });

  it("moves the counts of a one-shard store's live leases into their pools when it is first sharded", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const plain = createStore(redis, prefix);
    const pools = Array.from({ length: 4 }, (_, i) => ({
      quota: `q${i}`,
      pool: `q${i}-${randomUUID()}`,
      live: { max: 1 },
    }));
    const old = task();
    await plain.tasks.create(old);
    await plain.leases.createPending(lease(old.id), undefined, pools);
    await migrateShards(redis, prefix, 6, {
      report: () => undefined,
      signal: AbortSignal.timeout(20_000),
      pollMs: 50,
    });
    const { store } = await openStore(redis, prefix, 6, { retentionMs: 60_000 });
    const usage = await store.leases.quotaUsage(pools, Date.now());
    expect(usage.map((u) => u.live)).toEqual([1, 1, 1, 1]);
    const t = task({ id: withShard(newId("tk"), 4) });
    await store.tasks.create(t);
    await expect(
      store.leases.createPending(lease(t.id, { id: withShard(newId("ls"), 4) }), undefined, pools),
    ).rejects.toThrow(/at most/);
  });
});
