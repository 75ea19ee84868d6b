import { randomUUID } from "node:crypto";
import { type Clock, type CredentialProvider, LEASH_ACTOR, LeashError, type ProviderName } from "@leash/core";
import { createProducers, QUEUES, queuePrefix } from "@leash/queue";
import { createLogger, RuntimeEnv, workerMetrics } from "@leash/runtime";
import { connectRedis, createStore, RedisAuditLog } from "@leash/store";
import { activationFixture, leaseFixture, taskFixture } from "@leash/store/testing";
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import type { WorkerContext } from "./context.js";
import { reconcile, STUCK_AFTER_MS } from "./reconciler.js";
import { revokeProcessor } from "./revoke-processor.js";

/** Far longer than the test waits: a revocation that lands in time did not wait for the lock to lapse. */
const LOCK_MS = 60_000;

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => redis.quit());

/** A provider whose credentials die in a call that always works, counting the calls. */
function provider(): CredentialProvider & { revoked: string[] } {
  const revoked: string[] = [];
  return {
    name: "vault",
    revoked,
    maxTtlSeconds: () => undefined,
    validate: () => undefined,
    mint: () => Promise.reject(new Error("not used")),
    async revoke(request) {
      revoked.push(request.leaseId);
      return {};
    },
    reclaim: () => Promise.resolve(),
  };
}

function context(clock: Clock) {
  const prefix = `rec:{${randomUUID()}}:`;
  const store = createStore(redis, prefix, { clock });
  const audit = new RedisAuditLog(redis, prefix, { clock });
  const producers = createProducers(redis, queuePrefix(prefix));
  cleanups.push(() => producers.close());
  const fake = provider();
  const env = RuntimeEnv.parse({
    REDIS_URL: inject("redisUrl"),
    LEASH_CONFIG: "unused",
    LEASH_SIGNING_KEY_FILE: "unused",
    LEASH_REDIS_PREFIX: prefix,
    LEASH_JOB_LOCK_MS: String(LOCK_MS),
  });
  const ctx: WorkerContext = {
    env,
    clock,
    store,
    producers,
    revoker: {
      leases: store.leases,
      providers: new Map<ProviderName, CredentialProvider>([["vault", fake]]),
      audit,
      clock,
      timeoutMs: 5_000,
    },
    audit,
    logger: createLogger("test", "silent"),
    metrics: workerMetrics(),
    crossShard: true,
  };
  return { ctx, fake, prefix: queuePrefix(prefix) };
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("reconciler: a revocation whose job is stuck runs again at once", () => {
  it("an overdue lease whose job is locked by a dead worker is revoked without waiting LEASH_JOB_LOCK_MS", async () => {
    let now = Date.now();
    const { ctx, fake, prefix } = context({ now: () => now });
    const task = taskFixture({}, now);
    await ctx.store.tasks.create(task);
    const lease = leaseFixture(task.id, { provider: "vault" }, now);
    await ctx.store.leases.createPending(lease);
    await ctx.store.leases.activate(lease.id, { taskId: task.id, ...activationFixture(now) });
    const [due] = await ctx.store.leases.requestRevocation(
      [{ leaseId: lease.id, cause: "security", actor: LEASH_ACTOR }],
      now,
    );
    expect(due).toBe(lease.id);
    expect(await ctx.store.leases.claimDue(now, 10, 30_000)).toEqual([lease.id]);
    await ctx.producers.revoke([{ leaseId: lease.id, reason: "security" }]);

    // A worker takes the job and dies: the job stays active, locked for LOCK_MS, and nobody renews the lock.
    const dead = new Worker(QUEUES.revoke, null, {
      connection: redis,
      prefix,
      lockDuration: LOCK_MS,
      autorun: false,
    });
    cleanups.push(() => dead.close());
    const taken = await dead.getNextJob("dead-worker-token");
    expect(taken?.id).toBe(lease.id);
    expect((await ctx.producers.revokeJobs([lease.id])).get(lease.id)?.state).toBe("active");

    // Not yet overdue: nothing is run again.
    expect((await reconcile(ctx)).rerun).toBe(0);
    now += STUCK_AFTER_MS + 1_000;
    expect((await reconcile(ctx)).rerun).toBe(1);
    // The same window again: the re-run is not duplicated.
    expect((await reconcile(ctx)).rerun).toBe(1);
    expect(
      await ctx.producers.revokeJobs([`${lease.id}-rerun${Math.floor(now / STUCK_AFTER_MS)}`]),
    ).toHaveProperty("size", 1);

    const live = new Worker(QUEUES.revoke, revokeProcessor(ctx), {
      connection: redis,
      prefix,
      lockDuration: LOCK_MS,
      stalledInterval: LOCK_MS,
    });
    cleanups.push(() => live.close());
    const ended = await until(
      async () => {
        const state = (await ctx.store.leases.get(lease.id))?.state;
        return state === "revoked" ? state : undefined;
      },
      10_000,
      "the lease to be revoked by the re-run",
    );
    expect(ended).toBe("revoked");
    expect(fake.revoked).toEqual([lease.id]);
    // Settled: the next pass finds nothing overdue.
    expect((await reconcile(ctx)).rerun).toBe(0);
  });

  it("a lease whose revoke job is lost is run again; jobs waiting or backing off are left alone", async () => {
    let now = Date.now();
    const { ctx } = context({ now: () => now });
    const task = taskFixture({}, now);
    await ctx.store.tasks.create(task);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const lease = leaseFixture(task.id, { provider: "vault" }, now);
      await ctx.store.leases.createPending(lease);
      await ctx.store.leases.activate(lease.id, { taskId: task.id, ...activationFixture(now) });
      ids.push(lease.id);
    }
    const [lost, queued] = ids as [string, string];
    await ctx.store.leases.requestRevocation(
      ids.map((leaseId) => ({ leaseId, cause: "security" as const, actor: LEASH_ACTOR })),
      now,
    );
    expect((await ctx.store.leases.claimDue(now, 10, 30_000)).sort()).toEqual([...ids].sort());
    // Only the second got its job (waiting: no worker runs here); the first one's was lost.
    await ctx.producers.revoke([{ leaseId: queued, reason: "security" }]);
    now += STUCK_AFTER_MS + 1_000;
    expect((await reconcile(ctx)).rerun).toBe(1);
    const jobs = await ctx.producers.revokeJobs([`${lost}-rerun${Math.floor(now / STUCK_AFTER_MS)}`, queued]);
    expect([...jobs.keys()].sort()).toEqual(
      [`${lost}-rerun${Math.floor(now / STUCK_AFTER_MS)}`, queued].sort(),
    );
  });
});

describe("reconciler: a campaign whose job was lost is started again", () => {
  it("an unfinished campaign without a job gets one; a finished one does not", async () => {
    const now = Date.now();
    const { ctx, prefix } = context({ now: () => now });
    const campaign = (id: string, matched: number) => ({
      id,
      reason: "test",
      requestedBy: "spiffe://t/security/sam",
      selector: { all: true as const },
      createdAt: now,
      matched,
    });
    // Recorded (and acknowledged) by the API, but its job was lost, e.g. by a failover.
    await ctx.store.campaigns.create(campaign("rv_lost", 1), ["ls_x"]);
    await ctx.store.campaigns.create(campaign("rv_empty", 0), []);
    const queue = new Queue(QUEUES.campaign, { connection: redis, prefix });
    cleanups.push(() => queue.close());
    expect(await queue.getJob("rv_lost")).toBeUndefined();
    await reconcile(ctx);
    expect(await queue.getJob("rv_lost")).toBeDefined();
    expect(await queue.getJob("rv_empty")).toBeUndefined();
  });
});

describe("revoke jobs: errors keep their type", () => {
  it("a provider's permanent error reaches BullMQ as the typed error, to be retried like any other", async () => {
    const now = Date.now();
    const { ctx, fake } = context({ now: () => now });
    fake.revoke = () => Promise.reject(new LeashError("provider_access_denied", "vault: permission denied"));
    const task = taskFixture({}, now);
    await ctx.store.tasks.create(task);
    const lease = leaseFixture(task.id, { provider: "vault" }, now);
    await ctx.store.leases.createPending(lease);
    await ctx.store.leases.activate(lease.id, { taskId: task.id, ...activationFixture(now) });
    await ctx.store.leases.requestRevocation(
      [{ leaseId: lease.id, cause: "security", actor: LEASH_ACTOR }],
      now,
    );
    const job = { id: lease.id, data: { leaseId: lease.id, reason: "security" }, attemptsMade: 0 } as Job;
    const failure = await revokeProcessor(ctx)(job, "token", new AbortController().signal).catch((e) => e);
    expect(failure).toBeInstanceOf(LeashError);
    expect(failure).not.toBeInstanceOf(UnrecoverableError);
    expect(failure).toMatchObject({ code: "provider_access_denied" });
    expect((await ctx.store.leases.get(lease.id))?.state).toBe("revoke_failed");
  });
});
