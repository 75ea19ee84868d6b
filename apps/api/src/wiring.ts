import { randomUUID } from "node:crypto";
import { type BrokerDeps, cachingTasks, createTaskCache, systemClock } from "@leash/core";
import { createIdentityVerifier, rolesFor } from "@leash/identity";
import { createPolicyEngine, OffThreadLoader, type PolicyEngine, snapshotOf } from "@leash/policy";
import { checkpointSigner, SigningKeyFile } from "@leash/providers";
import { createShardedProducers } from "@leash/queue";
import {
  apiMetrics,
  buildProviders,
  createLogger,
  gatewayHealthUrl,
  type LeashConfigFile,
  publicUrl,
  type RuntimeEnv,
} from "@leash/runtime";
import {
  connectRedis,
  createSuspensionView,
  describeTarget,
  openConfiguredStore,
  redisTargetOf,
  tellingView,
  waitReady,
} from "@leash/store";
import type { ApiContext } from "./context.js";
import { policyFollower } from "./policy-follower.js";
import { createReplayCache } from "./replay-cache.js";

/**
 * How long the door trusts its in-memory suspensions without a ping back from Redis (then it reads Redis per
 * request): the bound, at other API processes, between a suspension's acknowledgement and the refusal of its
 * identity's every request (issuance is refused at once everywhere by the store's own checks).
 */
const SUSPENSION_VIEW_STALE_MS = 1_000;

/** True when `url` answers 200 within a second (the gateway's liveness, for the API's readiness). */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000), redirect: "manual" });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Builds every client once at boot; `close()` releases them in reverse order. */
export async function wireApi(env: RuntimeEnv, config: LeashConfigFile) {
  const logger = createLogger("leash-api", env.LOG_LEVEL);
  const target = redisTargetOf(env);
  const redis = connectRedis(target, { mode: "request", name: "leash-api" });
  redis.on("error", (error) => logger.warn({ err: { message: error.message } }, "redis connection problem"));
  await waitReady(redis, 10_000, describeTarget(target));
  const queueRedis = connectRedis(target, { mode: "worker", name: "leash-api-queue" });
  const clock = systemClock;
  const policyDir = env.LEASH_POLICY_DIR ?? config.policyDir;
  // Compiled before the store is opened, so a set that does not load is what start-up reports, whatever the store.
  // Its reloads, recorded in the store (`follow`) and audited, come only once it watches its directory (below).
  // An invalid policy set at start is fatal (PolicyLoadError names file, line and problem): no policy, no credential.
  const policy: PolicyEngine | undefined = policyDir
    ? await createPolicyEngine({
        dir: policyDir,
        // A reload compiles on a thread: the event loop keeps serving issuance meanwhile.
        reloadWith: new OffThreadLoader().load,
        onReload: (set) => {
          logger.info({ policies: set.policies.size }, "policy set reloaded");
          void follow(snapshotOf(set));
          audit
            .append({
              type: "policy.reloaded",
              actor: null,
              outcome: "ok",
              detail: { policies: set.policies.size },
            })
            .catch(() => {});
        },
        onReloadError: (error) => {
          logger.error({ error: error.message }, "policy reload rejected; keeping the previous set");
          audit
            .append({
              type: "policy.reload_failed",
              actor: null,
              outcome: "failed",
              detail: { error: error.message },
            })
            .catch(() => {});
        },
      })
    : undefined;
  const opened = await openConfiguredStore(redis, env, clock, (detail, message) =>
    logger.warn(detail, message),
  );
  const store = opened.store;
  const audit = store.audit;
  const producers = createShardedProducers(queueRedis, opened.prefixes);
  const verifier = createIdentityVerifier(config.trust);
  const registry = await buildProviders(env, config, clock, {
    gatewayRevocations: store.gatewayRevocations,
    oauthRevocations: store.oauthRevocations,
  });
  const gatewayHealth = config.gateway ? gatewayHealthUrl(env) : undefined;
  // Each set loaded is recorded for the worker; one that replaces another re-evaluates every live lease.
  const follower = policyFollower({
    store,
    producers,
    clock,
    logger,
    keepMs: env.LEASH_LEASE_RETENTION_SECONDS * 1000,
  });
  const follow = (snapshot: ReturnType<typeof snapshotOf>) =>
    follower.loaded(snapshot).catch((error: Error) => {
      logger.error({ error: error.message }, "could not record the policy set or start its re-evaluation");
    });
  if (policy) await follow(policy.snapshot());
  policy?.watch();
  const providers = registry.providers;
  const subscriber = connectRedis(target, { mode: "worker", name: "leash-api-suspensions" });
  subscriber.on("error", () => undefined); // reported through the view's onError
  const suspensionView = createSuspensionView(
    { redis, subscriber, prefix: opened.prefixes[0] ?? env.LEASH_REDIS_PREFIX, fallback: store.suspensions },
    {
      staleMs: SUSPENSION_VIEW_STALE_MS,
      clock,
      onError: (error) => logger.warn({ error: error.message }, "suspension view: reading Redis per request"),
    },
  );
  suspensionView.start();
  // Task records for the issuance in one step: a task's leases after its first read nothing (see task-cache.ts).
  const taskCache = createTaskCache();
  const broker: BrokerDeps = {
    tasks: cachingTasks(store.tasks, taskCache),
    taskCache,
    leases: store.leases,
    queue: producers,
    providers,
    policy,
    audit,
    clock,
    replay: createReplayCache(),
    approvals: store.approvals,
    breakGlass: store.breakGlass,
    suspensions: tellingView(store.suspensions, suspensionView),
    placement: opened.placement,
    config: {
      defaultTtlSeconds: env.LEASH_DEFAULT_TTL_SECONDS,
      maxTtlSeconds: env.LEASH_MAX_TTL_SECONDS,
      maxTaskTtlSeconds: env.LEASH_MAX_TASK_TTL_SECONDS,
      mintTimeoutMs: env.LEASH_MINT_TIMEOUT_MS,
      environment: env.LEASH_ENVIRONMENT,
      maxDelegationDepth: env.LEASH_MAX_DELEGATION_DEPTH,
      approvalTtlSeconds: env.LEASH_APPROVAL_TTL_SECONDS,
      maxBreakGlassSeconds: env.LEASH_BREAK_GLASS_MAX_SECONDS,
      quotas: config.quotas ?? [],
    },
  };
  const signingKeys = new SigningKeyFile(env.LEASH_SIGNING_KEY_FILE);
  const ctx: ApiContext = {
    broker,
    campaigns: {
      leases: store.leases,
      campaigns: store.campaigns,
      queue: producers,
      audit,
      clock: broker.clock,
    },
    store,
    queueShards: opened.cells.map((cell) => cell.queueConnection()),
    door: { suspensions: suspensionView, clock },
    producers,
    verifier,
    audit,
    signingKeys,
    checkpoints: checkpointSigner(signingKeys),
    publicUrl: publicUrl(env),
    rolesOf: (subject) => rolesFor(subject, config.trust.roles),
    mcpAllowedOrigins: env.LEASH_MCP_ALLOWED_ORIGINS,
    logger,
    bodyLimitBytes: env.LEASH_BODY_LIMIT_BYTES,
    rateLimit: { perSecond: env.LEASH_RATE_LIMIT_PER_SECOND, burst: env.LEASH_RATE_LIMIT_BURST },
    metrics: apiMetrics(),
    policyStats: () => policy && { reloads: policy.stats.reloads, reloadErrors: policy.stats.reloadErrors },
    policySnapshot: () => policy?.snapshot(),
    async readiness() {
      const gateway = gatewayHealth ? { gateway: await answers(gatewayHealth) } : {};
      try {
        const alive = await store.workers.alive();
        return { redis: true, worker: alive > 0, ...gateway };
      } catch {
        return { redis: false, worker: false, ...gateway };
      }
    },
  };
  let mapFollower: { stop(): void } | undefined;
  return {
    ctx,
    /** Follows the shard map; `grew` when shards were added, which this process can serve only once restarted. */
    followShards(grew: () => void) {
      mapFollower = opened.follow(`api-${randomUUID()}`, {
        grew: (map) => {
          logger.warn({ shards: map.count }, "the shard map grew: stopping to start again with it");
          grew();
        },
        error: (error) => logger.warn({ error: error.message }, "could not read the shard map"),
      });
    },
    async close() {
      mapFollower?.stop();
      await producers.close();
      await registry.close();
      policy?.close();
      verifier.close?.();
      suspensionView.close();
      await Promise.allSettled([redis.quit(), queueRedis.quit()]);
    },
  };
}
