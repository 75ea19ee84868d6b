import { systemClock } from "@leash/core";
import {
  createGatewayTokenVerifier,
  createVaultKvReader,
  SigningKeyFile,
  type VaultKvReader,
} from "@leash/providers";
import {
  buildProviders,
  gatewayMetrics,
  gatewayPublicUrl,
  type LeashConfigFile,
  type Logger,
  publicUrl,
  type RuntimeEnv,
} from "@leash/runtime";
import {
  connectRedis,
  createLiveLeaseView,
  describeTarget,
  openConfiguredStore,
  redisTargetOf,
  waitReady,
} from "@leash/store";
import { AuditBatcher } from "./audit.js";
import type { GatewayEnv } from "./env.js";
import { type Gateway, startGateway } from "./gateway.js";
import { cachedVerifier } from "./token-cache.js";
import { buildUpstreams } from "./upstreams.js";

/** Builds every client once at boot and starts listening; the returned `close` stops it all within `deadline`. */
export async function wireGateway(
  env: RuntimeEnv,
  own: GatewayEnv,
  config: LeashConfigFile,
  logger: Logger,
): Promise<{ gateway: Gateway; close(deadline?: AbortSignal): Promise<boolean> }> {
  if (!config.gateway) throw new Error(`${config.path}: no gateway section: nothing to serve`);
  const clock = systemClock;
  const target = redisTargetOf(env);
  const redis = connectRedis(target, { mode: "request", name: "leash-gateway" });
  redis.on("error", (error) => logger.warn({ err: { message: error.message } }, "redis connection problem"));
  await waitReady(redis, 10_000, describeTarget(target));
  const subscriber = connectRedis(target, { mode: "worker", name: "leash-gateway-feed" });
  subscriber.on("error", () => undefined); // reported through the view's onError
  const opened = await openConfiguredStore(redis, env, clock, (detail, message) =>
    logger.warn(detail, message),
  );
  // Gateway revocations and traffic live on shard 0, which the feed below follows.
  const store = opened.store;
  const view = createLiveLeaseView(
    { redis, subscriber, prefix: env.LEASH_REDIS_PREFIX },
    {
      staleMs: env.LEASH_GATEWAY_STALE_MS,
      clock,
      onError: (error) => logger.warn({ err: { message: error.message } }, "live lease view: redis problem"),
    },
  );
  // Listening before the view is current would answer 503 to the first requests; waiting for ever on an
  // unreachable Redis would keep the gateway down when it could come up and fail closed until Redis is back.
  await view.start(AbortSignal.timeout(5_000)).then(
    () => logger.info("live lease view current"),
    () => logger.warn("live lease view not current yet: requests are refused (503) until it is"),
  );
  const registry = await buildProviders(env, config, clock, { gatewayRevocations: store.gatewayRevocations });
  const needsKv = Object.values(config.gateway.upstreams).some(
    (u) => u.auth.type === "header" || u.auth.type === "query",
  );
  const vaultSection = config.gateway.vault ?? config.providers.vault;
  const kv: VaultKvReader | undefined =
    needsKv && vaultSection !== undefined
      ? createVaultKvReader(vaultSection, { cacheMs: own.LEASH_GATEWAY_SECRET_CACHE_MS })
      : undefined;
  await kv?.start();
  const upstreams = buildUpstreams(config.gateway, {
    kv,
    providers: registry.providers,
    clock,
    timeoutMs: env.LEASH_MINT_TIMEOUT_MS,
    onRevokeError: (error, leaseId) =>
      logger.warn(
        { lease_id: leaseId, err: { message: (error as Error)?.message } },
        "revoking an upstream credential failed",
      ),
  });
  const metrics = gatewayMetrics();
  // Each audited batch also feeds the console's traffic counters (per lease, per agent and day).
  const sink = store.gatewayTraffic.counting(store.audit, {
    retentionMs: env.LEASH_LEASE_RETENTION_SECONDS * 1000,
    onError: (error) => logger.warn({ err: { message: (error as Error)?.message } }, "traffic not counted"),
  });
  const audit = new AuditBatcher(sink, {
    metrics,
    onError: (error, events) =>
      logger.warn(
        { events, err: { message: (error as Error)?.message } },
        "audit batch not written yet; retrying",
      ),
  });
  const gateway = await startGateway(
    {
      upstreams,
      verifier: cachedVerifier(
        createGatewayTokenVerifier({
          keys: new SigningKeyFile(env.LEASH_SIGNING_KEY_FILE),
          issuer: publicUrl(env),
          publicUrl: gatewayPublicUrl(env),
          clock,
        }),
        { clock },
      ),
      leases: view,
      audit,
      metrics,
      logger,
      clock,
    },
    {
      host: env.HOST,
      port: env.LEASH_GATEWAY_PORT,
      upstreamTimeoutMs: own.LEASH_GATEWAY_UPSTREAM_TIMEOUT_MS,
      maxBodyBytes: own.LEASH_GATEWAY_MAX_BODY_BYTES,
    },
  );
  logger.info(
    {
      port: gateway.port,
      host: env.HOST,
      public_url: gatewayPublicUrl(env),
      upstreams: [...upstreams.keys()],
    },
    "leash gateway listening",
  );
  return {
    gateway,
    async close(deadline) {
      // Past the deadline nothing may wait on Redis: drop the connections (quit would wait for an answer).
      deadline?.addEventListener("abort", () => redis.disconnect(), { once: true });
      const clean = await gateway.close(deadline);
      await view.close();
      kv?.close();
      await registry.close();
      await redis.quit().catch(() => redis.disconnect());
      return clean;
    },
  };
}
