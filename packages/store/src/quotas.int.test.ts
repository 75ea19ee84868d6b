import { randomUUID } from "node:crypto";
import { type Lease, LeashError, type QuotaPool, type Task } from "@leash/core";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { keyspace } from "./keys.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

let prefix: string;
let store: Store;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  store = createStore(redis, prefix);
});

const now = Date.now();
const task = (overrides: Partial<Task> = {}) => taskFixture(overrides, now);
const lease = (taskId: string, overrides: Partial<Lease> = {}) => leaseFixture(taskId, overrides, now);

const live = (max?: number): QuotaPool => ({ quota: "q", pool: "q", live: max === undefined ? {} : { max } });
const perMinute = (max?: number): QuotaPool => ({
  quota: "rate",
  pool: "rate",
  perMinute: max === undefined ? {} : { max },
});
const ofTask = (taskId: string, max: { live?: number; issued?: number } = {}): QuotaPool => ({
  quota: `task:${taskId}`,
  pool: `task:${taskId}`,
  live: max.live === undefined ? {} : { max: max.live },
  issued: max.issued === undefined ? { taskId } : { max: max.issued, taskId },
});

/** Writes ahead, resolving to the refusal (or null once written). */
async function attempt(l: Lease, pools: QuotaPool[], idem?: { key: string; bodyHash: string }) {
  try {
    await store.leases.createPending(l, idem, pools);
    return null;
  } catch (error) {
    if (error instanceof LeashError) return error;
    throw error;
  }
}

async function usage(pool: QuotaPool, at = now) {
  const [u] = await store.leases.quotaUsage([pool], at);
  return u;
}

/** Every lease key under the prefix, to prove a refusal wrote nothing. */
async function leaseKeys(): Promise<string[]> {
  return (await redis.keys(`${prefix}lease:*`)).sort();
}

describe("atomic enforcement: 256 concurrent write-aheads against a limit of 10", () => {
  it("max_live: exactly 10 leases exist, the other 246 are refused and wrote nothing", async () => {
    const t = task();
    await store.tasks.create(t);
    const outcomes = await Promise.all(Array.from({ length: 256 }, () => attempt(lease(t.id), [live(10)])));
    expect(outcomes.filter((o) => o === null)).toHaveLength(10);
    const refused = outcomes.filter((o) => o !== null);
    expect(refused).toHaveLength(246);
    expect(refused[0]).toMatchObject({
      code: "quota_exceeded",
      extensions: { quota: "q", limit: "max_live", max: 10 },
    });
    expect(await leaseKeys()).toHaveLength(10);
    expect(await store.leases.liveCount({})).toBe(10);
    expect(await usage(live())).toEqual({ live: 10, perMinute: 0, issued: 0 });
  });

  it("max_per_minute: exactly 10, refused with Retry-After until the oldest leaves the window", async () => {
    const t = task();
    await store.tasks.create(t);
    const outcomes = await Promise.all(
      Array.from({ length: 256 }, () => attempt(lease(t.id), [perMinute(10)])),
    );
    expect(outcomes.filter((o) => o === null)).toHaveLength(10);
    expect(await leaseKeys()).toHaveLength(10);
    const refused = outcomes.find((o) => o !== null);
    expect(refused).toMatchObject({
      extensions: { limit: "max_per_minute", max: 10 },
      retryAfterSeconds: 60,
    });
    // 45.2 s later the first entries leave the window in 14.8 s: 15 whole seconds.
    const later = await attempt(lease(t.id, { issuedAt: now + 45_200 }), [perMinute(10)]);
    expect(later?.retryAfterSeconds).toBe(15);
    expect(await attempt(lease(t.id, { issuedAt: now + 60_000 }), [perMinute(10)])).toBeNull();
    expect(await usage(perMinute(), now + 60_000)).toMatchObject({ perMinute: 1 });
  });

  it("a task's max_issued: exactly 10, and ending leases gives nothing back", async () => {
    const t = task();
    await store.tasks.create(t);
    const outcomes = await Promise.all(
      Array.from({ length: 256 }, () => attempt(lease(t.id), [ofTask(t.id, { issued: 10 })])),
    );
    expect(outcomes.filter((o) => o === null)).toHaveLength(10);
    expect(outcomes.find((o) => o !== null)).toMatchObject({
      extensions: { quota: `task:${t.id}`, limit: "max_issued", max: 10 },
      retryAfterSeconds: undefined,
    });
    expect(await usage(ofTask(t.id))).toEqual({ live: 10, perMinute: 0, issued: 10 });
    const ids = (await store.leases.selectLive({ taskId: t.id })).map((l) => l.id);
    for (const id of ids) await store.leases.activate(id, activationFixture(now));
    await store.tasks.end(t.id, "completed", now, "o");
    for (const id of ids) await store.leases.markRevoked(id, now);
    expect(await usage(ofTask(t.id))).toEqual({ live: 0, perMinute: 0, issued: 10 });
  });

  it("all pools are checked before any is counted: a refusal by the last counts nothing in the first", async () => {
    const t = task();
    await store.tasks.create(t);
    const pools = [live(), perMinute(), ofTask(t.id, { issued: 1 })];
    expect(await attempt(lease(t.id), pools)).toBeNull();
    expect((await attempt(lease(t.id), pools))?.extensions).toMatchObject({ limit: "max_issued" });
    expect(await usage(live())).toMatchObject({ live: 1 });
    expect(await usage(perMinute())).toMatchObject({ perMinute: 1 });
  });
});

describe("what frees a slot, and what counts nothing", () => {
  it("revoked, expired and aborted free a max_live slot; revoking and revoke_failed do not", async () => {
    const t = task();
    await store.tasks.create(t);
    const pools = [live(1)];
    const first = lease(t.id);
    await store.leases.createPending(first, undefined, pools);
    await store.leases.activate(first.id, activationFixture(now));
    await store.leases.requestRevocation([{ leaseId: first.id, cause: "returned", actor: "a" }], now);
    await store.leases.markRevokeFailed(first.id, "down");
    expect((await attempt(lease(t.id), pools))?.code).toBe("quota_exceeded");
    await store.leases.markRevoked(first.id, now);

    const second = lease(t.id);
    expect(await attempt(second, pools)).toBeNull();
    await store.leases.activate(second.id, activationFixture(now));
    expect((await attempt(lease(t.id), pools))?.code).toBe("quota_exceeded");
    await store.leases.markExpired(second.id, now + 60_000);

    const third = lease(t.id);
    expect(await attempt(third, pools)).toBeNull();
    await store.leases.abort(third.id, "mint failed");
    expect(await attempt(lease(t.id), pools)).toBeNull();
  });

  it("an aborted write-ahead leaves the per-minute window and the task's issued total", async () => {
    const t = task();
    await store.tasks.create(t);
    const pools = [perMinute(1), ofTask(t.id, { issued: 1 })];
    const aborted = lease(t.id);
    await store.leases.createPending(aborted, undefined, pools);
    await store.leases.abort(aborted.id, "mint failed");
    expect(await usage(perMinute())).toMatchObject({ perMinute: 0 });
    expect(await usage(ofTask(t.id))).toMatchObject({ live: 0, issued: 0 });
    expect(await attempt(lease(t.id), pools)).toBeNull();
  });

  it("an Idempotency-Key replay returns the first lease, even with the quota full, and counts nothing", async () => {
    const t = task();
    await store.tasks.create(t);
    const pools = [live(1), perMinute(1), ofTask(t.id, { issued: 1 })];
    const first = lease(t.id);
    await store.leases.createPending(first, { key: "k", bodyHash: "b" }, pools);
    expect(await store.leases.createPending(lease(t.id), { key: "k", bodyHash: "b" }, pools)).toEqual({
      leaseId: first.id,
      bodyHash: "b",
    });
    expect(await usage(pools[0] as QuotaPool)).toMatchObject({ live: 1 });
    expect(await usage(pools[1] as QuotaPool)).toMatchObject({ perMinute: 1 });
    expect(await usage(pools[2] as QuotaPool)).toMatchObject({ issued: 1 });
  });

  it("settling many at once (a target cut) frees each slot once, however often it is repeated", async () => {
    const t = task();
    await store.tasks.create(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const l = lease(t.id);
      await store.leases.createPending(l, undefined, [live(5)]);
      await store.leases.activate(l.id, activationFixture(now));
      ids.push(l.id);
    }
    const orders = ids.map((leaseId) => ({ leaseId, cause: "security" as const, actor: "s" }));
    await store.leases.settleMany(orders, now);
    await store.leases.settleMany(orders, now);
    for (const id of ids) await store.leases.markRevoked(id, now);
    expect(await usage(live())).toMatchObject({ live: 0 });
  });
});

describe("nothing drifts or grows without bound", () => {
  it("after random traffic the counters equal a recount, and empty pools leave no field behind", async () => {
    const t = task();
    await store.tasks.create(t);
    const pools = [live(), { quota: "a", pool: "a\nspiffe://t/agent/a", live: { max: 50 } }];
    const ids: string[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 300; i++) {
      const roll = random();
      if (roll < 0.5 || ids.length === 0) {
        const l = lease(t.id);
        if ((await attempt(l, pools)) === null) ids.push(l.id);
        continue;
      }
      const id = ids[Math.floor(random() * ids.length)] ?? "";
      const current = await store.leases.get(id);
      if (current?.state === "pending") {
        if (roll < 0.6) await store.leases.abort(id, "x");
        else await store.leases.activate(id, activationFixture(now));
      } else if (current?.state === "active") {
        if (roll < 0.75) await store.leases.markExpired(id, now + 60_000);
        else await store.leases.requestRevocation([{ leaseId: id, cause: "returned", actor: "a" }], now);
      } else if (current?.state === "revoking") {
        await store.leases.markRevoked(id, now);
        await store.leases.markRevoked(id, now); // repeated: must not count twice
      }
    }
    const stillLive = (await store.leases.selectLive({ all: true })).length;
    const [shared, perAgent] = await store.leases.quotaUsage(pools, now);
    expect(shared?.live).toBe(stillLive);
    expect(perAgent?.live).toBe(stillLive);

    for (const l of await store.leases.selectLive({ all: true })) {
      if (l.state === "pending") await store.leases.abort(l.id, "x");
      else if (l.state === "active") await store.leases.markExpired(l.id, now + 60_000);
      else await store.leases.markRevoked(l.id, now);
    }
    const fields = Object.keys(await redis.hgetall(keyspace(prefix).counters));
    expect(fields.filter((f) => f.startsWith("ql:"))).toEqual([]);
  });

  it("a per-minute window expires with its last entry; a task's issued total lives on the task's record", async () => {
    const t = task();
    await store.tasks.create(t);
    await store.leases.createPending(lease(t.id), undefined, [perMinute(5), ofTask(t.id)]);
    const ttl = await redis.pttl(keyspace(prefix).quotaRate("rate"));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await redis.hget(keyspace(prefix).task(t.id), "q_issued")).toBe("1");
  });

  it("keeps a task's quota on its record", async () => {
    const t = task({ quota: { maxLive: 3, maxIssued: 9 } });
    await store.tasks.create(t);
    expect((await store.tasks.get(t.id))?.quota).toEqual({ maxLive: 3, maxIssued: 9 });
    const plain = task();
    await store.tasks.create(plain);
    expect((await store.tasks.get(plain.id))?.quota).toBeUndefined();
  });
});
