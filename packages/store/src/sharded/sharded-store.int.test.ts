import { randomUUID } from "node:crypto";
import { type Lease, newId, type Task, withShard } from "@leash/core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connectRedis } from "../connection.js";
import { digest, keyspace } from "../keys.js";
import { createStore } from "../store.js";
import { activationFixture, leaseFixture, taskFixture } from "../testing/fixtures.js";
import { createShardedStore, openStore } from "./index.js";
import { poolHome } from "./pools.js";
import { homeShard, keySlot, shardPrefixes } from "./slots.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

const SHARDS = 4;
const newPrefix = () => `t:{${randomUUID()}}:`;
const signer = {
  sign: async (c: { first_id: string; prev_hash: string; at: number }) => JSON.stringify(c),
  verify: async (token: string) => JSON.parse(token) as { first_id: string; prev_hash: string; at: number },
};

const mapOf = (prefix: string) => ({
  count: SHARDS,
  open: SHARDS,
  generation: 1,
  prefixes: shardPrefixes(prefix, SHARDS),
  homes: SHARDS,
});

/** Where a pool's places are kept: its home shard's keys. */
const heldKey = (store: ReturnType<typeof sharded>, pool: string) =>
  poolHome(
    store.router.shards.map((s) => keyspace(s.prefix)),
    pool,
  ).quotaHeld(pool);

function sharded(prefix = newPrefix()) {
  return createShardedStore(redis, mapOf(prefix), { retentionMs: 60_000 });
}

/** A task of shard `shard`, with `n` active leases. */
async function tree(
  store: ReturnType<typeof sharded>,
  shard: number,
  n: number,
  agent = "spiffe://t/agent/a",
) {
  const task: Task = taskFixture({ id: withShard(newId("tk"), shard), agent });
  await store.tasks.create(task);
  const leases: Lease[] = [];
  for (let i = 0; i < n; i++) {
    const lease = leaseFixture(task.id, { id: withShard(newId("ls"), shard), agent });
    await store.leases.createPending(lease);
    await store.leases.activate(lease.id, activationFixture());
    leases.push(lease);
  }
  return { task, leases };
}

describe("a store over several shards", () => {
  it("keeps each task tree whole in its shard's slot, and finds it from the id alone", async () => {
    const store = sharded();
    for (let shard = 0; shard < SHARDS; shard++) {
      const { task, leases } = await tree(store, shard, 2);
      const own = keyspace(store.router.at(shard).prefix);
      expect(await redis.exists(own.task(task.id), own.lease(leases[0]?.id ?? ""))).toBe(2);
      expect(keySlot(own.task(task.id))).toBe(keySlot(store.router.at(shard).prefix));
      expect((await store.tasks.get(task.id))?.id).toBe(task.id);
      expect((await store.leases.get(leases[1]?.id ?? ""))?.state).toBe("active");
    }
    expect(new Set(store.router.shards.map((s) => keySlot(s.prefix))).size).toBe(SHARDS);
    // An id naming a shard there is not is simply not found.
    const stray = withShard(newId("ls"), 99);
    expect(await store.leases.get(stray)).toBeNull();
    expect(await store.leases.getMany([stray])).toEqual([]);
    expect(await store.tasks.get(withShard(newId("tk"), 99))).toBeNull();
  });

  it("places a task whose id an orchestrator chose once: a re-registration finds it where it went", async () => {
    const store = sharded();
    const id = `job-${randomUUID()}`;
    const first = await store.tasks.create(taskFixture({ id, shard: 3 }));
    expect(first.created).toBe(true);
    const again = await store.tasks.create(taskFixture({ id, shard: 1 }));
    expect(again.created).toBe(false);
    expect((await store.tasks.get(id))?.shard).toBe(3);
    const fresh = createShardedStore(redis, mapOf(store.prefix), { retentionMs: 60_000 });
    expect((await fresh.tasks.get(id))?.id).toBe(id);
    // Placements are kept on home shards by id, not all on shard 0.
    const kept = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const chosen = `job-${randomUUID()}`;
      await store.tasks.create(taskFixture({ id: chosen, shard: i % SHARDS }));
      for (const [shard, s] of store.router.shards.entries())
        if (await redis.exists(keyspace(s.prefix).placement(chosen))) kept.add(shard);
    }
    expect(kept.size).toBe(SHARDS);
  });

  it("lists, counts and exposes the leases of every shard, newest first, across pages", async () => {
    const store = sharded();
    const all: string[] = [];
    for (let shard = 0; shard < SHARDS; shard++)
      all.push(...(await tree(store, shard, 3)).leases.map((l) => l.id));
    expect(await store.leases.liveCount({ agent: "spiffe://t/agent/a" })).toBe(12);
    expect((await store.leases.exposure("spiffe://t/agent/a", true)).length).toBe(12);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const got = await store.leases.list({
        agent: "spiffe://t/agent/a",
        limit: 5,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...got.items.map((l) => l.id));
      if (got.nextCursor === null) break;
      cursor = got.nextCursor;
    }
    expect(seen).toEqual([...all].sort().reverse());
  });

  it("holds a trust-file pool's limit exactly across shards, and frees a place when its lease ends", async () => {
    const store = sharded();
    const pool = { quota: "q", pool: `q-${randomUUID()}`, live: { max: 3 } };
    const write = async (shard: number) => {
      const task = taskFixture({ id: withShard(newId("tk"), shard) });
      await store.tasks.create(task);
      const lease = leaseFixture(task.id, { id: withShard(newId("ls"), shard) });
      return await store.leases.createPending(lease, undefined, [pool]).then(
        () => lease.id,
        (e: Error) => (e.message.includes("at most") ? "full" : e.message),
      );
    };
    // All three in the last shard: a pool is one limit wherever its leases live, not a slice per shard.
    const held = [await write(3), await write(3), await write(3)];
    expect(held.filter((id) => id.startsWith("ls_"))).toHaveLength(3);
    expect([await write(0), await write(1)]).toEqual(["full", "full"]);
    expect((await store.leases.quotaUsage([pool], Date.now()))[0]?.live).toBe(3);
    // The places go with their leases' expiry at the latest: nothing a pool holds outlives what it counts.
    const ttl = await redis.pttl(heldKey(store, pool.pool));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(leaseFixture("t").expiresAt - Date.now() + 61_000);

    // A lease's end frees its place once its receipt is chained; an abort at once.
    const [first = "", second = ""] = held;
    await store.leases.activate(first, activationFixture());
    await store.leases.requestRevocation([{ leaseId: first, cause: "returned", actor: "t" }], Date.now());
    await store.leases.settle(first, Date.now(), "revoked");
    await store.audit.drain();
    expect(await write(1)).toMatch(/^ls_/);
    expect(await store.leases.abort(second, "mint failed")).toBe(true);
    expect(await write(2)).toMatch(/^ls_/);
    expect(await write(0)).toBe("full");
    expect((await store.leases.quotaUsage([pool], Date.now()))[0]?.live).toBe(3);
  });

  it("keeps each pool on a home shard of its own, spread over the shards", async () => {
    const store = sharded();
    const homes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const pool = { quota: "q", pool: `per-agent:spiffe://t/agent/${i}`, live: { max: 5 } };
      const task = taskFixture({ id: withShard(newId("tk"), i % SHARDS) });
      await store.tasks.create(task);
      await store.leases.createPending(
        leaseFixture(task.id, { id: withShard(newId("ls"), i % SHARDS) }),
        undefined,
        [pool],
      );
      const key = heldKey(store, pool.pool);
      expect(await redis.zcard(key)).toBe(1);
      homes.add(key.slice(0, key.indexOf("}") + 1));
    }
    expect(homes.size).toBe(SHARDS);
  });

  it("answers 503 store_unavailable, reserving nothing, when a pool's home cannot count", async () => {
    const store = sharded();
    const pool = { quota: "q", pool: `q-${randomUUID()}`, live: { max: 5 } };
    const other = { quota: "r", pool: `r-${randomUUID()}`, live: { max: 5 } };
    // A value of the wrong type stands for a home whose primary refuses the script.
    await redis.set(heldKey(store, pool.pool), "not a set");
    const task = taskFixture({ id: withShard(newId("tk"), 1) });
    await store.tasks.create(task);
    const lease = leaseFixture(task.id, { id: withShard(newId("ls"), 1) });
    await expect(store.leases.createPending(lease, undefined, [other, pool])).rejects.toMatchObject({
      code: "store_unavailable",
    });
    expect(await store.leases.get(lease.id)).toBeNull();
    expect((await store.leases.quotaUsage([other], Date.now()))[0]?.live).toBe(0);
  });

  it("answers a used Idempotency-Key with its lease even when the pool is full", async () => {
    const store = sharded();
    const pool = { quota: "q", pool: `q-${randomUUID()}`, live: { max: 1 } };
    const task = taskFixture({ id: withShard(newId("tk"), 1) });
    await store.tasks.create(task);
    const idem = { key: "k-1", bodyHash: "h" };
    const lease = leaseFixture(task.id, { id: withShard(newId("ls"), 1) });
    expect(await store.leases.createPending(lease, idem, [pool])).toBeNull();
    const replay = leaseFixture(task.id, { id: withShard(newId("ls"), 1) });
    expect(await store.leases.createPending(replay, idem, [pool])).toEqual({
      leaseId: lease.id,
      bodyHash: "h",
    });
    expect((await store.leases.quotaUsage([pool], Date.now()))[0]?.live).toBe(1);
  });

  it("catches one Idempotency-Key used at once for tasks of two shards, and frees it when nothing was written", async () => {
    const store = sharded();
    const agent = "spiffe://t/agent/idem";
    const [one, two] = [
      taskFixture({ id: withShard(newId("tk"), 1), agent }),
      taskFixture({ id: withShard(newId("tk"), 2), agent }),
    ];
    await Promise.all([store.tasks.create(one), store.tasks.create(two)]);
    const a = leaseFixture(one.id, { id: withShard(newId("ls"), 1), agent });
    const b = leaseFixture(two.id, { id: withShard(newId("ls"), 2), agent });
    const [ra, rb] = await Promise.all([
      store.leases.createPending(a, { key: "same", bodyHash: "ha" }),
      store.leases.createPending(b, { key: "same", bodyHash: "hb" }),
    ]);
    // One was written; the other got its record (another body: the API answers 409).
    expect([ra, rb].filter((r) => r === null)).toHaveLength(1);
    const written = ra === null ? a : b;
    expect(ra ?? rb).toEqual({ leaseId: written.id, bodyHash: written === a ? "ha" : "hb" });
    expect((await store.leases.getMany([a.id, b.id])).map((l) => l.id)).toEqual([written.id]);

    // A refusal writes nothing, the key's claim included: a retry once a slot frees gets a lease.
    const pool = { quota: "q", pool: `q-${randomUUID()}`, live: { max: 1 } };
    const holder = leaseFixture(one.id, { id: withShard(newId("ls"), 1), agent });
    await store.leases.createPending(holder, undefined, [pool]);
    const refused = leaseFixture(two.id, { id: withShard(newId("ls"), 2), agent });
    await expect(
      store.leases.createPending(refused, { key: "later", bodyHash: "h" }, [pool]),
    ).rejects.toThrow(/at most/);
    await store.leases.abort(holder.id, "mint failed");
    const retry = leaseFixture(two.id, { id: withShard(newId("ls"), 2), agent });
    expect(await store.leases.createPending(retry, { key: "later", bodyHash: "h" }, [pool])).toBeNull();

    // The claim goes with its lease when the retention removes it: nothing outlives what it stands for.
    const everywhere = (key: string) =>
      store.router.shards.map((s) => keyspace(s.prefix).idempotency(agent, key));
    expect(await redis.exists(...everywhere("later"))).toBeGreaterThan(0);
    await store.leases.abort(retry.id, "mint failed");
    await store.retention.sweep(Date.now() + 1);
    expect(await redis.exists(...everywhere("later"))).toBe(0);

    // Claims are spread over the shards by key, not all kept by one.
    const holders = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const key = `spread-${i}`;
      await store.leases.createPending(leaseFixture(one.id, { id: withShard(newId("ls"), 1), agent }), {
        key,
        bodyHash: "h",
      });
      const held = await Promise.all(everywhere(key).map((k) => redis.exists(k)));
      for (const [shard, n] of held.entries()) if (n > 0 && shard !== 1) holders.add(shard);
    }
    expect(holders.size).toBe(SHARDS - 1);
  });

  it("takes over an Idempotency-Key claimed by a request that died before writing its lease", async () => {
    const store = sharded();
    const agent = "spiffe://t/agent/crashed";
    const homes = store.router.shards.map((sh) => keyspace(sh.prefix));
    const homeOf = (key: string) => {
      const home = homes[homeShard(digest(`${agent}\n${key}`), SHARDS)];
      if (!home) throw new Error("no home");
      return home;
    };
    for (const shard of [0, 1, 2, 3]) {
      const task = taskFixture({ id: withShard(newId("tk"), shard), agent });
      await store.tasks.create(task);
      const key = `died-${shard}`;
      // What a process left at the key's home when it died between its claim and its write, two minutes ago.
      const dead = withShard(newId("ls", Date.now() - 120_000), shard);
      await redis.set(homeOf(key).idempotency(agent, key), `${dead} h`, "PX", 60_000);
      const retry = leaseFixture(task.id, { id: withShard(newId("ls"), shard), agent });
      expect(await store.leases.createPending(retry, { key, bodyHash: "h" })).toBeNull();
      // A claim of a few seconds ago is a request still under way: the retry gets its record.
      const fresh = withShard(newId("ls", Date.now() - 5_000), shard);
      await redis.set(homeOf(`${key}-fresh`).idempotency(agent, `${key}-fresh`), `${fresh} h`, "PX", 60_000);
      const other = leaseFixture(task.id, { id: withShard(newId("ls"), shard), agent });
      expect(await store.leases.createPending(other, { key: `${key}-fresh`, bodyHash: "h" })).toEqual({
        leaseId: fresh,
        bodyHash: "h",
      });
    }
  });

  it("recovers a place whose receipt was not chained, and one whose lease was never written", async () => {
    const store = sharded();
    const pool = { quota: "q", pool: `q-${randomUUID()}`, live: { max: 1 }, perMinute: { max: 10 } };
    const task = taskFixture({ id: withShard(newId("tk"), 2) });
    await store.tasks.create(task);
    const lease = leaseFixture(task.id, { id: withShard(newId("ls"), 2) });
    await store.leases.createPending(lease, undefined, [pool]);
    await store.leases.activate(lease.id, activationFixture());
    await store.leases.requestRevocation([{ leaseId: lease.id, cause: "returned", actor: "t" }], Date.now());
    await store.leases.settle(lease.id, Date.now(), "revoked");
    // No drain: the full pool reads what it holds before refusing.
    const next = leaseFixture(task.id, { id: withShard(newId("ls"), 2) });
    await expect(store.leases.createPending(next, undefined, [pool])).resolves.toBeNull();

    // A place reserved by a process that died before writing its lease (an id from two minutes ago).
    const lost = leaseFixture(task.id, { id: withShard(newId("ls", Date.now() - 120_000), 1) });
    await redis.zadd(heldKey(store, pool.pool), Date.now() + 60_000, lost.id);
    await store.leases.abort(next.id, "mint failed");
    const third = leaseFixture(task.id, { id: withShard(newId("ls"), 2) });
    await expect(store.leases.createPending(third, undefined, [pool])).resolves.toBeNull();
  });

  it("runs a campaign in parts and audits its completion once, for the whole", async () => {
    const store = sharded();
    const targets = [...(await tree(store, 1, 2)).leases, ...(await tree(store, 2, 3)).leases].map(
      (l) => l.id,
    );
    const id = newId("rv");
    const campaign = { id, reason: "r", requestedBy: "sec", selector: {}, createdAt: Date.now(), matched: 5 };
    await store.campaigns.create(campaign, targets);
    expect(await store.campaigns.parts(id)).toEqual([0, 1, 2]);
    expect((await store.campaigns.get(id))?.matched).toBe(5);
    const cells = store.cells();
    const completed: boolean[] = [];
    for (const shard of [0, 1, 2]) {
      const cell = cells[shard];
      if (!cell) throw new Error("no cell");
      const part = await cell.campaigns.targets(id, 0, 10);
      completed.push(await cell.campaigns.advance(id, part.length, part));
    }
    expect(completed).toEqual([false, false, true]);
    expect(await store.campaigns.get(id)).toMatchObject({ matched: 5, revoked: 5, state: "done" });
    await store.audit.drain();
    const events = (await store.audit.tail(50)).filter((e) => e.type === "revocation.completed");
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({ campaign: id, matched: 5, revoked: 5 });
  });

  it("records a suspension on every shard before revoking, and each shard revokes its own leases", async () => {
    const store = sharded();
    const agent = `spiffe://t/agent/${randomUUID()}`;
    const a = await tree(store, 0, 1, agent);
    const b = await tree(store, 3, 2, agent);
    const outcome = await store.suspensions.suspend(
      { agent, reason: "x", until: null, by: "sec", at: Date.now() },
      true,
    );
    expect(outcome.revoked.sort()).toEqual([...a.leases, ...b.leases].map((l) => l.id).sort());
    for (const shard of store.router.shards) expect((await shard.suspensions.get(agent))?.reason).toBe("x");
    expect((await store.suspensions.firstSuspended([agent], Date.now()))?.agent).toBe(agent);
    // A task registered afterwards, on any shard, is marked reached in its own shard (which holds a copy).
    for (let shard = 0; shard < SHARDS; shard++) {
      const { task } = await tree(store, shard, 0, agent);
      expect((await store.tasks.get(task.id))?.reachedBySuspension, `shard ${shard}`).toBe(true);
    }
    await store.suspensions.lift(agent);
    for (const shard of store.router.shards) expect(await shard.suspensions.get(agent)).toBeNull();
    const lifted = (await tree(store, 2, 0, agent)).task;
    expect((await store.tasks.get(lifted.id))?.reachedBySuspension).toBeUndefined();
  });

  it("verifies every shard's chain and the anchors, and catches a shard whose chain lost its end", async () => {
    const store = sharded();
    for (let shard = 0; shard < SHARDS; shard++) {
      const { leases } = await tree(store, shard, 1);
      await store.audit.append({
        type: "lease.issued",
        actor: "a",
        leaseId: leases[0]?.id ?? "",
        outcome: "ok",
      });
    }
    await store.audit.append({ type: "policy.reloaded", actor: null, outcome: "ok" });
    expect(await store.audit.anchor(signer, Date.now())).toBe(true);
    expect(await store.audit.verify(signer)).toMatchObject({ ok: true, checked: SHARDS + 1 });
    expect((await store.audit.read("-", 100)).length).toBe(SHARDS + 1);
    // Dropping shard 2's last event and moving its head back keeps its own chain whole: only the anchor tells.
    const shard2 = keyspace(store.router.at(2).prefix);
    const [[lastId] = [""]] = await redis.xrevrange(shard2.audit, "+", "-", "COUNT", 1);
    await redis.xdel(shard2.audit, lastId);
    await redis.del(shard2.auditHead);
    const broken = await store.audit.verify(signer);
    expect(broken.ok).toBe(false);
    expect(broken.firstBad?.reason).toMatch(/shard 2/);
  });

  it("spreads audit events over the chains, passing over one whose primary is down", async () => {
    const store = sharded();
    const down = store.router.at(1).audit;
    let refused = 0;
    down.append = () => {
      refused++;
      return Promise.reject(new Error("CLUSTERDOWN"));
    };
    for (let i = 0; i < 8; i++)
      await store.audit.append({ type: "policy.reloaded", actor: null, outcome: "ok" });
    expect(refused).toBe(1);
    const perShard = await Promise.all(
      store.router.shards.map(async (s) => (await s.audit.tail(100)).length),
    );
    expect(perShard[1]).toBe(0);
    expect(perShard.reduce((a, b) => a + b, 0)).toBe(8);
    expect(perShard.filter((n) => n > 0).length).toBe(SHARDS - 1);
  });

  it("starts a new store sharded at once, and refuses to shard one that holds data without a migration", async () => {
    const fresh = newPrefix();
    // Suspensions recorded before any task: every shard holds them once the store is sharded.
    const agent = `spiffe://t/agent/${randomUUID()}`;
    await createStore(redis, fresh).suspensions.record({
      agent,
      reason: "early",
      until: null,
      by: "sec",
      at: 1,
    });
    const opened = await openStore(redis, fresh, SHARDS, { retentionMs: 60_000 });
    expect(opened.map).toMatchObject({ count: SHARDS, open: SHARDS });
    for (const cell of opened.cells) expect((await cell.suspensions.get(agent))?.reason).toBe("early");
    expect((await openStore(redis, fresh, 2, { retentionMs: 60_000 })).note).toMatch(/following the map/);
    const used = newPrefix();
    const plain = await openStore(redis, used, 1, { retentionMs: 60_000 });
    await plain.store.tasks.create(taskFixture());
    await expect(openStore(redis, used, SHARDS, { retentionMs: 60_000 })).rejects.toThrow(
      /leash shards migrate/,
    );
  });
});
