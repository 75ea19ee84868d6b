import { randomUUID } from "node:crypto";
import type { Lease, Task } from "@leash/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisCampaignStore } from "./campaign-store.js";
import { connectRedis } from "./connection.js";
import { keyspace } from "./keys.js";
import { RedisLeaseStore } from "./lease-store.js";
import { RedisRetention } from "./retention.js";
import { loadScripts, type Scripts } from "./scripts.js";
import { RedisTaskStore } from "./task-store.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

/**
 * Redis Cluster routes a script by its declared keys and migrates slots key by key, so a script that touches a key
 * it did not declare can read or write the wrong node's data mid-resharding. Each script here runs as an ACL user
 * allowed exactly the keys it declared: touching any other key fails with NOPERM.
 */
const url = inject("redisUrl");
const admin = connectRedis(url, { mode: "worker" });
const user = `scripts-check-${randomUUID()}`;
let checked: Redis;

const glob = (key: string) => `~${key.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}`;

/** Runs `work` with the user's key permissions narrowed to `keys`. */
async function withDeclaredKeys<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
  await admin.call("ACL", "SETUSER", user, "resetkeys", ...keys.map(glob));
  try {
    return await work();
  } finally {
    await admin.call("ACL", "SETUSER", user, "allkeys");
  }
}

/** Every script call runs with only its KEYS allowed. */
function declaredKeysOnly(scripts: Scripts): Scripts {
  const wrapped = Object.entries(scripts).map(([name, run]) => [
    name,
    (keys: readonly string[], args: readonly (string | number)[]) =>
      withDeclaredKeys(keys, () => run(keys, args)),
  ]);
  return Object.fromEntries(wrapped) as Scripts;
}

beforeAll(async () => {
  await admin.call("ACL", "SETUSER", user, "on", "nopass", "allkeys", "+@all");
  checked = new Redis(url, { username: user, password: "unused", maxRetriesPerRequest: null });
});
afterAll(async () => {
  await checked?.quit();
  await admin.call("ACL", "DELUSER", user);
  await admin.quit();
});

const now = Date.now();
const task = (overrides: Partial<Task> = {}) => taskFixture(overrides, now);
const lease = (taskId: string, overrides: Partial<Lease> = {}) => leaseFixture(taskId, overrides, now);
const activation = activationFixture(now);

describe("Lua scripts touch only the keys they declare (Redis Cluster safety)", () => {
  it("the check itself catches a script that touches an undeclared key", async () => {
    const [a, b] = [`t:{${randomUUID()}}:a`, `t:{${randomUUID()}}:b`];
    const get = (which: string) => checked.eval(`return redis.call("GET", ${which})`, 1, a, b);
    await expect(withDeclaredKeys([a], () => get("KEYS[1]"))).resolves.toBeNull();
    await expect(withDeclaredKeys([a], () => get("ARGV[1]"))).rejects.toThrow(/NOPERM|can.t access/);
  });

  it("every transition of tasks and leases, sub-tasks and idempotency keys included", async () => {
    const keys = keyspace(`t:{${randomUUID()}}:`);
    const scripts = declaredKeysOnly(loadScripts(checked));
    const tasks = new RedisTaskStore(checked, keys, scripts);
    const leases = new RedisLeaseStore(checked, keys, scripts);

    const root = task();
    const child = task({ parentId: root.id, depth: 1 });
    for (const t of [root, child]) expect((await tasks.create(t)).created).toBe(true);
    expect((await tasks.create(root)).created).toBe(false);

    const [active, pending, returned, failing, aborted, idem] = Array.from({ length: 6 }, (_, i) =>
      lease(i % 2 ? child.id : root.id),
    ) as [Lease, Lease, Lease, Lease, Lease, Lease];
    for (const l of [active, pending, returned, failing, aborted])
      expect(await leases.createPending(l)).toBeNull();
    expect(await leases.createPending(idem, { key: "k", bodyHash: "b" })).toBeNull();
    expect(await leases.createPending(lease(root.id), { key: "k", bodyHash: "b" })).toEqual({
      leaseId: idem.id,
      bodyHash: "b",
    });
    for (const l of [active, returned, failing, idem])
      expect(await leases.activate(l.id, activation)).toBe("active");
    expect(await leases.abort(aborted.id, "mint refused")).toBe(true);

    expect(await leases.requestRevocation([{ leaseId: returned.id, cause: "returned", actor: "a" }])).toEqual(
      [returned.id],
    );
    expect(await leases.markRevoked(returned.id)).toBe(true);
    expect(
      await leases.requestRevocation([
        { leaseId: failing.id, cause: "campaign", actor: "s", campaignId: "c1" },
      ]),
    ).toEqual([failing.id]);
    expect(await leases.markRevokeFailed(failing.id, "provider down")).toBe(true);
    expect(await leases.claimDue(Date.now(), 10, 5_000)).toContain(failing.id);
    expect(await leases.markExpired(idem.id)).toBe(true);

    const ended = await tasks.end(root.id, "completed", now, "o");
    expect(ended?.revoking.sort()).toEqual([active.id, failing.id].sort());
    expect((await tasks.get(child.id))?.state).toBe("completed");
    expect(await leases.activate(pending.id, activation)).toBe("revoke");
    expect(await leases.markRevoked(active.id)).toBe(true);

    // Mass revocation: leases settled in one call with their receipts, and the campaign counted to completion.
    const campaigns = new RedisCampaignStore(checked, keys, scripts);
    const mass = Array.from({ length: 3 }, () => lease(root.id));
    for (const l of mass) {
      await leases.createPending(l);
      await leases.activate(l.id, activation);
    }
    const ids = mass.map((l) => l.id);
    await campaigns.create(
      { id: "rv_x", reason: "r", requestedBy: "s", selector: {}, createdAt: now, matched: 3 },
      ids,
    );
    const orders = ids.map((leaseId) => ({
      leaseId,
      cause: "campaign" as const,
      actor: "s",
      campaignId: "rv_x",
    }));
    expect((await leases.settleMany(orders, now)).sort()).toEqual([...ids].sort());
    await campaigns.failing("rv_x", ids[0] ?? "");
    expect(await campaigns.advance("rv_x", 3, ids)).toBe(true);

    // Retention: everything ended goes, with its index entries, sub-tasks and idempotency keys included.
    for (const id of ended?.revoking ?? []) await leases.markRevoked(id);
    await leases.markRevoked(pending.id);
    const swept = await new RedisRetention(checked, keys, scripts).sweep(Date.now() + 60_000);
    expect(swept).toMatchObject({ leases: 9, tasks: 2, campaigns: 1, deferred: 0 });
  });

  it("ending a task whose tree grew after it was read names the missing keys and changes nothing", async () => {
    const keys = keyspace(`t:{${randomUUID()}}:`);
    const scripts = loadScripts(admin);
    const tasks = new RedisTaskStore(admin, keys, scripts);
    const leases = new RedisLeaseStore(admin, keys, scripts);
    const t = task();
    await tasks.create(t);
    const l = lease(t.id);
    await leases.createPending(l);
    await leases.activate(l.id, activation);
    const reply = await scripts.endTask(
      [
        keys.task(t.id),
        keys.activeTasks,
        keys.deadline,
        keys.tasksEnded,
        keys.agentsLive,
        keys.providersLive,
        keys.counters,
        keys.auditOutbox,
        keys.leasesEnded,
        keys.taskLeases(t.id),
        keys.taskChildren(t.id),
      ],
      [keys.prefix, t.id, "completed", now, "task completed", ""],
    );
    expect(reply).toEqual(["missing", keys.lease(l.id)]);
    expect((await tasks.get(t.id))?.state).toBe("active");
    expect((await leases.get(l.id))?.state).toBe("active");
    expect((await tasks.end(t.id, "completed", now, "o"))?.revoking).toEqual([l.id]);
  });
});
