import { randomUUID } from "node:crypto";
import { type RedisServer, startRedisServer, waitFor } from "@leash/devstack";
import { connectRedis, createStore, keyspace, RedisAuditLog, type RedisClient } from "@leash/store";
import { taskFixture } from "@leash/store/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Redis replicates asynchronously, so an acknowledged write can vanish in a failover. With a replica count, the
 * writes Leash acknowledges return only once that many replicas hold them, and are refused (503) otherwise.
 */
let primary: RedisServer;
let replica: RedisServer;
let redis: RedisClient;
let replicaClient: RedisClient;

beforeAll(async () => {
  primary = await startRedisServer({ extraArgs: ["--repl-diskless-sync-delay", "0"] });
  replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(primary.port)] });
  redis = connectRedis(primary.url, { mode: "request" });
  replicaClient = connectRedis(replica.url, { mode: "worker" });
  await waitFor(async () => ((await redis.info("replication")).includes("state=online") ? true : undefined), {
    timeoutMs: 10_000,
    what: "the replica to be in sync",
  });
});
afterAll(async () => {
  await redis?.quit();
  await replicaClient?.quit();
  await replica?.stop();
  await primary?.stop();
});

const task = () => taskFixture();

const waitCalls = async () =>
  Number(/cmdstat_wait:calls=(\d+)/.exec(await redis.info("commandstats"))?.[1] ?? 0);

describe("acknowledged writes wait for replicas (LEASH_REDIS_WAIT_REPLICAS)", () => {
  it("a write is acknowledged once the replica holds it, and concurrent writes share one WAIT", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const store = createStore(redis, prefix, { durability: { replicas: 1, timeoutMs: 2_000 } });
    const before = await waitCalls();
    const tasks = Array.from({ length: 50 }, task);
    await Promise.all(tasks.map((t) => store.tasks.create(t)));
    const waits = (await waitCalls()) - before;
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThan(10);
    const onReplica = await Promise.all(tasks.map((t) => replicaClient.exists(keyspace(prefix).task(t.id))));
    expect(onReplica.every((n) => n === 1)).toBe(true);
  });

  it("a write fewer replicas confirm than required is refused as store_unavailable, after the timeout", async () => {
    const store = createStore(redis, `t:{${randomUUID()}}:`, { durability: { replicas: 2, timeoutMs: 300 } });
    const started = Date.now();
    await expect(store.tasks.create(task())).rejects.toMatchObject({ code: "store_unavailable" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("scripts flushed from the server's cache are sent again in full", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const store = createStore(redis, prefix, { durability: { replicas: 1, timeoutMs: 2_000 } });
    await store.tasks.create(task());
    await redis.script("FLUSH");
    const again = task();
    expect((await store.tasks.create(again)).created).toBe(true);
    expect(await replicaClient.exists(keyspace(prefix).task(again.id))).toBe(1);
  });

  it("without a replica count no WAIT is sent", async () => {
    const store = createStore(redis, `t:{${randomUUID()}}:`);
    const before = await waitCalls();
    await store.tasks.create(task());
    expect(await waitCalls()).toBe(before);
  });
});

describe("audit appends and campaign creation wait for replicas like lease writes", () => {
  const durability = { replicas: 1, timeoutMs: 2_000 };
  const campaign = (id: string) => ({
    id,
    reason: "test",
    requestedBy: "spiffe://t/security/sam",
    selector: { all: true as const },
    createdAt: Date.now(),
    matched: 2,
  });

  it("an audit event and a campaign are acknowledged once the replica holds them", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const audit = new RedisAuditLog(redis, prefix, { durability });
    const store = createStore(redis, prefix, { durability });
    let before = await waitCalls();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit.append({ type: `test.${i}`, actor: null, outcome: "ok" })),
    );
    // The appends of one turn are chained in one call, closed by one WAIT.
    expect((await waitCalls()) - before).toBeGreaterThanOrEqual(1);
    expect((await waitCalls()) - before).toBeLessThan(5);
    expect(await replicaClient.xlen(audit.stream)).toBe(20);

    before = await waitCalls();
    await store.campaigns.create(campaign("rv_durable"), ["ls_a", "ls_b"]);
    expect((await waitCalls()) - before).toBe(1);
    expect(await replicaClient.exists(keyspace(prefix).campaign("rv_durable"))).toBe(1);
    expect(await replicaClient.llen(keyspace(prefix).campaignTargets("rv_durable"))).toBe(2);
  });

  it("fewer replicas than required: both are refused as store_unavailable, after the timeout", async () => {
    const prefix = `t:{${randomUUID()}}:`;
    const strict = { replicas: 2, timeoutMs: 300 };
    const audit = new RedisAuditLog(redis, prefix, { durability: strict });
    const store = createStore(redis, prefix, { durability: strict });
    const started = Date.now();
    await expect(audit.append({ type: "test", actor: null, outcome: "ok" })).rejects.toMatchObject({
      code: "store_unavailable",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await expect(store.campaigns.create(campaign("rv_strict"), ["ls_a"])).rejects.toMatchObject({
      code: "store_unavailable",
    });
  });
});
