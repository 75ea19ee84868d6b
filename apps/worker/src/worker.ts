import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "@leash/core";
import { checkpointSigner, SigningKeyFile } from "@leash/providers";
import { createProducers, MaintenanceJob, QUEUES, revokeBackoffMs } from "@leash/queue";
import {
  buildProviders,
  createLogger,
  type LeashConfigFile,
  type Logger,
  type RuntimeEnv,
  type WorkerMetrics,
  workerMetrics,
} from "@leash/runtime";
import {
  type CheckpointSigner,
  connectRedis,
  type OpenedStore,
  openConfiguredStore,
  redisTargetOf,
  type Store,
  WORKER_HEARTBEAT_INTERVAL_MS,
} from "@leash/store";
import { Queue, Worker } from "bullmq";
import { auditAnchorer, auditTrimmer } from "./audit-trim.js";
import { campaignProcessor } from "./campaign-processor.js";
import type { WorkerContext } from "./context.js";
import { startDeadlinePoller } from "./deadline-poller.js";
import { serveWorkerMetrics } from "./metrics-server.js";
import { PolicySetCache } from "./policy-sets.js";
import { reconcile } from "./reconciler.js";
import { reevaluationProcessor, warmUp } from "./reevaluation-processor.js";
import { retentionSweeper, sweepIntervalMs } from "./retention-sweep.js";
import { revokeProcessor } from "./revoke-processor.js";

/**
 * A revocation may chain several provider calls, each bounded by LEASH_MINT_TIMEOUT_MS (an STS deny on a full
 * role: put, list, read the cut, put the cut, then prune). The attempt as a whole gets this many of them: with a
 * budget of one call, a slow provider times out every attempt at the same step and the revocation never lands.
 */
const REVOKE_CALL_BUDGET = 8;

/**
 * Starts every consumer of the worker process; the returned function stops them gracefully: jobs in flight finish
 * first. Once `deadline` aborts, nothing waits on Redis any more (the process exits right after).
 */
export async function startWorker(
  env: RuntimeEnv,
  config: LeashConfigFile,
  /** Shards were added: this process works them only once started again. */
  onShardMapGrew: () => void = () => undefined,
): Promise<(deadline?: AbortSignal) => Promise<void>> {
  const logger = createLogger("leash-worker", env.LOG_LEVEL);
  const redis = connectRedis(redisTargetOf(env), { mode: "worker", name: "leash-worker" });
  redis.on("error", (error) => logger.warn({ error: error.message }, "redis connection problem"));
  const clock = systemClock;
  const opened = await openConfiguredStore(redis, env, clock, (detail, message) =>
    logger.warn(detail, message),
  );
  const store = opened.store;
  const registry = await buildProviders(env, config, clock, {
    gatewayRevocations: store.gatewayRevocations,
    oauthRevocations: store.oauthRevocations,
  });
  const metrics = workerMetrics();
  const metricsServer =
    env.LEASH_WORKER_METRICS_PORT === undefined
      ? undefined
      : await serveWorkerMetrics(metrics, env.HOST, env.LEASH_WORKER_METRICS_PORT);
  const signer = checkpointSigner(new SigningKeyFile(env.LEASH_SIGNING_KEY_FILE));
  const policySets = new PolicySetCache(store.policySets);
  // Each shard is worked as a store of its own: its queues, its deadline index, its audit chain.
  const shards = await Promise.all(
    opened.cells.map((cell, shard) =>
      startShard({
        env,
        clock,
        logger,
        metrics,
        registry,
        shard,
        cell,
        anchor: opened.anchor,
        signer,
        policySets,
        sharded: opened.map.count > 1,
      }),
    ),
  );
  const workerId = randomUUID();
  const follower = opened.follow(`worker-${workerId}`, {
    grew: (map) => {
      logger.warn({ shards: map.count }, "the shard map grew: stopping to start again with it");
      onShardMapGrew();
    },
    error: (error) => logger.warn({ error: error.message }, "could not read the shard map"),
  });
  const beat = () => store.workers.beat(workerId).catch(() => undefined);
  await beat();
  const heartbeat = setInterval(beat, WORKER_HEARTBEAT_INTERVAL_MS);
  logger.info(
    {
      concurrency: env.LEASH_WORKER_CONCURRENCY,
      poll_ms: env.LEASH_DEADLINE_POLL_MS,
      shards: opened.map.count,
      ...(metricsServer ? { metrics_port: metricsServer.port } : {}),
    },
    "leash worker started",
  );

  let stopped = false;
  return async function stop(deadline?: AbortSignal) {
    if (stopped) return;
    stopped = true;
    // With maxRetriesPerRequest null every command waits for Redis forever, and BullMQ's close() waits for its
    // commands: past the deadline drop the connection so nothing is left pending.
    deadline?.addEventListener("abort", () => redis.disconnect(), { once: true });
    clearInterval(heartbeat);
    follower.stop();
    await Promise.all(shards.map((stopShard) => stopShard(deadline)));
    await registry.close();
    await metricsServer?.close();
    await store.workers.leave(workerId).catch(() => undefined);
    await redis.quit().catch(() => undefined);
    logger.info("leash worker stopped");
  };
}

interface ShardDeps {
  env: RuntimeEnv;
  clock: Clock;
  logger: Logger;
  metrics: WorkerMetrics;
  registry: Awaited<ReturnType<typeof buildProviders>>;
  /** Which shard, and its store. */
  shard: number;
  cell: Store;
  anchor: OpenedStore["anchor"];
  signer: CheckpointSigner;
  /** Compiled policy sets, shared by every shard's re-evaluations. */
  policySets: PolicySetCache;
  /** Whether there is more than one shard (then shard 0's consumers anchor the audit chains). */
  sharded: boolean;
}

/**
 * Starts the consumers of one shard; the returned function stops them gracefully: jobs in flight finish first.
 * Once `deadline` aborts, jobs in flight are cancelled too: their provider calls abort and they are retried later.
 */
async function startShard(deps: ShardDeps): Promise<(deadline?: AbortSignal) => Promise<void>> {
  const { env, cell: store, logger } = deps;
  const audit = store.audit;
  const { connection, prefix } = store.queueConnection();
  const producers = createProducers(connection, prefix);
  const providers = deps.registry.providers;
  const ctx: WorkerContext = {
    env,
    clock: deps.clock,
    store,
    producers,
    revoker: {
      leases: store.leases,
      providers,
      audit,
      clock: deps.clock,
      timeoutMs: env.LEASH_MINT_TIMEOUT_MS * REVOKE_CALL_BUDGET,
    },
    audit,
    logger: deps.shard === 0 ? logger : logger.child({ shard: deps.shard }),
    metrics: deps.metrics,
    crossShard: deps.shard === 0,
  };
  const trimAuditNow = auditTrimmer(ctx, audit);
  const sweepNow = retentionSweeper(ctx);
  const anchorNow = auditAnchorer(ctx, deps.anchor, deps.signer);
  if (ctx.crossShard) warmUp(ctx, deps.policySets);
  // A job held by a worker that died is handed to another after the lock lapses (and the stalled check runs).
  // BullMQ fails a job that stalls more than once (its worker died, or its event loop starved past the lock); a
  // failed revoke job would keep its id, so the deadline index could never enqueue that lease again. Revocations
  // and campaigns are idempotent: run them again however often they stall.
  const locking = {
    lockDuration: env.LEASH_JOB_LOCK_MS,
    stalledInterval: env.LEASH_JOB_LOCK_MS,
    maxStalledCount: Number.MAX_SAFE_INTEGER,
  };
  const campaigns = new Worker(QUEUES.campaign, campaignProcessor(ctx), {
    connection,
    prefix,
    concurrency: 2,
    ...locking,
  });
  // Two at once: a dry run (the API waits for it) is not held up behind a long re-evaluation.
  const reevaluations = new Worker(QUEUES.reevaluation, reevaluationProcessor(ctx, deps.policySets), {
    connection,
    prefix,
    concurrency: 2,
    ...locking,
  });
  const workers = [
    reevaluations,
    new Worker(QUEUES.revoke, revokeProcessor(ctx), {
      connection,
      prefix,
      concurrency: env.LEASH_WORKER_CONCURRENCY,
      ...locking,
      settings: { backoffStrategy: (attemptsMade: number) => revokeBackoffMs(attemptsMade) },
    }),
    campaigns,
    new Worker(
      QUEUES.maintenance,
      async (job) => {
        const { kind } = MaintenanceJob.parse(job.data);
        if (kind === "trim_audit") return trimAuditNow();
        if (kind === "sweep_retention") return sweepNow();
        if (kind === "anchor_audit") return anchorNow();
        return kind === "reconcile" ? reconcile(ctx) : {};
      },
      { connection, prefix, concurrency: 1 },
    ),
  ];
  for (const w of workers) {
    w.on("failed", (job, error) => {
      if (job && job.queueName !== QUEUES.revoke) ctx.metrics.jobFailures.inc({ queue: job.queueName });
      if (job?.queueName !== QUEUES.revoke)
        logger.warn({ queue: job?.queueName, job: job?.id, error: error.message }, "job failed");
    });
    w.on("error", (error) => logger.warn({ error: error.message }, "worker error"));
  }

  const maintenance = new Queue(QUEUES.maintenance, { connection, prefix });
  if (ctx.crossShard && deps.sharded) {
    await maintenance.upsertJobScheduler(
      "anchor-audit",
      { every: env.LEASH_AUDIT_ANCHOR_INTERVAL_MS },
      {
        name: "anchor-audit",
        data: { kind: "anchor_audit" },
        opts: { removeOnComplete: 10, removeOnFail: 10 },
      },
    );
  }
  await maintenance.upsertJobScheduler(
    "reconcile",
    { every: env.LEASH_RECONCILE_INTERVAL_MS },
    { name: "reconcile", data: { kind: "reconcile" }, opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
  await maintenance.upsertJobScheduler(
    "trim-audit",
    { every: env.LEASH_AUDIT_TRIM_INTERVAL_MS },
    { name: "trim-audit", data: { kind: "trim_audit" }, opts: { removeOnComplete: 10, removeOnFail: 10 } },
  );
  await maintenance.upsertJobScheduler(
    "sweep-retention",
    { every: sweepIntervalMs(env.LEASH_LEASE_RETENTION_SECONDS) },
    {
      name: "sweep-retention",
      data: { kind: "sweep_retention" },
      opts: { removeOnComplete: 10, removeOnFail: 10 },
    },
  );

  const stopPoller = startDeadlinePoller(ctx);
  return async function stopShard(deadline?: AbortSignal) {
    // A campaign in flight hands its remaining chunks back to the queue rather than hold up the stop.
    campaigns.cancelAllJobs("stopping");
    reevaluations.cancelAllJobs("stopping");
    deadline?.addEventListener(
      "abort",
      () => {
        for (const w of workers) w.cancelAllJobs("shutdown deadline");
      },
      { once: true },
    );
    await stopPoller();
    // close() waits for in-flight jobs to finish.
    await Promise.all(workers.map((w) => w.close()));
    await maintenance.close();
    await producers.close();
  };
}
