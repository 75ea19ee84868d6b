import { randomUUID } from "node:crypto";
import { newId, withShard } from "@leash/core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connectRedis } from "../connection.js";
import { createStore } from "../store.js";
import { activationFixture, leaseFixture, taskFixture } from "../testing/fixtures.js";
import { openStore } from "./index.js";
import { migrateShards } from "./migrate.js";
import { seedPoolPlaces } from "./seed.js";
import { followShardMap, readShardMap } from "./shard-map.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

const newPrefix = () => `t:{${randomUUID()}}:`;
const options = { retentionMs: 60_000 };

describe("leash shards migrate", () => {
  it("keeps counting a pool's leases issued before the store was sharded", async () => {
    const prefix = newPrefix();
    const plain = createStore(redis, prefix);
    const pool = { quota: "q", pool: "q-before", live: { max: 2 } };
    const old = taskFixture();
    await plain.tasks.create(old);
    const before = leaseFixture(old.id);
    await plain.leases.createPending(before, undefined, [pool]);
    await migrateShards(redis, prefix, 4, {
      report: () => undefined,
      signal: AbortSignal.timeout(10_000),
      pollMs: 50,
    });

    const { store } = await openStore(redis, prefix, 4, options);
    const write = async () => {
      const task = taskFixture({ id: withShard(newId("tk"), 3) });
      await store.tasks.create(task);
      const lease = leaseFixture(task.id, { id: withShard(newId("ls"), 3) });
      return await store.leases.createPending(lease, undefined, [pool]).then(
        () => "ok",
        () => "full",
      );
    };
    expect([await write(), await write()]).toEqual(["ok", "full"]);
    // Counted once: moved from shard 0's counters to the pool's places, and a second pass moves nothing.
    expect((await store.leases.quotaUsage([pool], Date.now()))[0]?.live).toBe(2);
    expect(await seedPoolPlaces(redis, (await readShardMap(redis, prefix))?.prefixes ?? [], 4)).toBe(0);
    expect((await store.leases.quotaUsage([pool], Date.now()))[0]?.live).toBe(2);
    expect(await store.leases.abort(before.id, "gone")).toBe(true);
    expect(await write()).toBe("ok");
    expect((await store.leases.quotaUsage([pool], Date.now()))[0]?.live).toBe(2);
  });

  it("grows a one-shard store with data: nothing moves, new shards open once every process follows", async () => {
    const prefix = newPrefix();
    const plain = createStore(redis, prefix);
    const old = taskFixture();
    await plain.tasks.create(old);
    const suspended = { agent: "spiffe://t/agent/s", reason: "r", until: null, by: "sec", at: Date.now() };
    await plain.suspensions.suspend(suspended, false);
    await expect(openStore(redis, prefix, 4, options)).rejects.toThrow(/leash shards migrate/);

    // A running process follows the map: the migration waits for it before opening the new shards.
    const grew: number[] = [];
    const before = (await readShardMap(redis, prefix)) ?? {
      count: 1,
      open: 1,
      generation: 0,
      prefixes: [prefix],
    };
    const steps: string[] = [];
    // A process that sees shards added stops and is started again by its supervisor, following the new map.
    let follower = followShardMap(redis, prefix, "proc-1", before, {
      opened: () => undefined,
      grew: (grown) => {
        grew.push(grown.count);
        // Meanwhile a process still on the old map records a suspension, and lifts another, on shard 0 alone.
        void plain.suspensions.record({ ...suspended, agent: "spiffe://t/agent/late" });
        void plain.suspensions.lift(suspended.agent);
        follower.stop();
        follower = followShardMap(redis, prefix, "proc-1-restarted", grown, {
          opened: () => undefined,
          grew: () => undefined,
        });
      },
    });
    const map = await migrateShards(redis, prefix, 4, {
      report: (r) => steps.push(r.step),
      signal: AbortSignal.timeout(10_000),
      pollMs: 50,
    });
    follower.stop();
    expect(map).toMatchObject({ count: 4, open: 4 });
    expect(steps[0]).toBe("added");
    expect(steps.at(-1)).toBe("done");
    expect(steps).toContain("opened");
    expect(grew).toEqual([4]);

    const opened = await openStore(redis, prefix, 4, options);
    expect(opened.note).toBeUndefined();
    expect((await opened.store.tasks.get(old.id))?.id).toBe(old.id);
    for (const cell of opened.cells) {
      expect((await cell.suspensions.get("spiffe://t/agent/late"))?.reason).toBe("r");
      expect(await cell.suspensions.get(suspended.agent)).toBeNull();
    }
    // Running it again changes nothing.
    expect(
      await migrateShards(redis, prefix, 4, { report: () => undefined, signal: AbortSignal.timeout(5_000) }),
    ).toEqual(map);
  });

  it("shrinks: closed shards take no new trees, and the command waits until they hold nothing live", async () => {
    const prefix = newPrefix();
    const opened = await openStore(redis, prefix, 4, options);
    const task = taskFixture({ id: withShard(newId("tk"), 3) });
    await opened.store.tasks.create(task);
    const lease = leaseFixture(task.id, { id: withShard(newId("ls"), 3) });
    await opened.store.leases.createPending(lease);
    await opened.store.leases.activate(lease.id, activationFixture());

    const waiting: number[] = [];
    // Interrupted while shard 3 still holds a live lease and an active task: the map is already closed.
    await expect(
      migrateShards(redis, prefix, 2, {
        report: (r) => r.step === "waiting_for_drain" && waiting.push(r.left ?? 0),
        signal: AbortSignal.timeout(300),
        pollMs: 50,
      }),
    ).rejects.toThrow();
    expect(waiting[0]).toBe(2);
    expect(await readShardMap(redis, prefix)).toMatchObject({ count: 4, open: 2 });

    await opened.store.tasks.end(task.id, "completed", Date.now(), "orch", ["leash-jwt"]);
    const done = await migrateShards(redis, prefix, 2, {
      report: () => undefined,
      signal: AbortSignal.timeout(5_000),
    });
    expect(done).toMatchObject({ count: 4, open: 2 });
    // The closed shard is still read.
    expect((await (await openStore(redis, prefix, 2, options)).store.leases.get(lease.id))?.state).toBe(
      "revoked",
    );
  });
});
