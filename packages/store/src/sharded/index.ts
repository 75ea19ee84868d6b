import type { Clock, TaskPlacement } from "@leash/core";
import type { CheckpointSigner } from "../audit-retention.js";
import type { RedisClient } from "../connection.js";
import type { CrossShardHooks } from "../cross-shard.js";
import { keyspace } from "../keys.js";
import { loadScripts } from "../scripts.js";
import { createStore, type Store, type StoreOptions } from "../store.js";
import { ShardedAuditLog } from "./audit.js";
import { IdempotencyClaims } from "./idempotency.js";
import { ShardedLeaseStore } from "./leases.js";
import { ShardedRetention, ShardedSuspensionStore } from "./misc.js";
import {
  CellCampaignStore,
  CellReevaluationStore,
  ShardedCampaignStore,
  ShardedReevaluationStore,
} from "./parts.js";
import { PoolReservations } from "./pools.js";
import { ShardRouter } from "./router.js";
import { followShardMap, type MapFollower, resolveShardMap, type ShardMap } from "./shard-map.js";
import { ShardedTaskStore } from "./tasks.js";

export interface ShardedStore extends Store {
  readonly router: ShardRouter;
  readonly audit: ShardedAuditLog;
  /** Each shard's store as its worker runs it: its own keys, with what all shards share taken from the whole. */
  cells(): Store[];
}

export interface ShardedStoreOptions extends StoreOptions {
  /** How long ended records are kept (LEASH_LEASE_RETENTION_SECONDS, in ms). */
  retentionMs: number;
}

/**
 * The store over `map.count` shards, each a copy of the one-shard keyspace under a hash tag of its own (see
 * slots.ts). Calls about one task tree or lease go to its shard whole; reads of many fan out and merge; what has no
 * task (approvals, break-glass grants, policy sets, worker heartbeats, DPoP proofs, the gateway and OAuth
 * revocation feeds, gateway traffic) lives on shard 0.
 */
export function createShardedStore(
  redis: RedisClient,
  map: ShardMap,
  options: ShardedStoreOptions,
): ShardedStore {
  // Values shared across task trees (quota pools, idempotency claims) are kept by these shards (sharded/pools.ts).
  const homes = map.prefixes.slice(0, map.homes ?? 1).map(keyspace);
  // The leases are read through the whole store, which needs the shards, which tell the places of receipts.
  const lookup: { leases?: ShardedLeaseStore } = {};
  const places = new PoolReservations(
    redis,
    homes,
    loadScripts(redis, options.durability).quotaReserve,
    (ids) => (lookup.leases ? lookup.leases.getMany(ids) : Promise.resolve([])),
  );
  const claims = new IdempotencyClaims(redis, homes);
  const crossShard: CrossShardHooks = {
    receiptsChained: (receipts) => places.releaseEnded(receipts),
    leaseAborted: (leaseId, pools) => places.release(leaseId, pools, true),
    leasesSwept: (swept) => claims.releaseSwept(swept),
  };
  const shards = map.prefixes.map((p) => createStore(redis, p, { ...options, crossShard }));
  const router = new ShardRouter(shards, redis, homes.length);
  const home = router.home;
  const leases = new ShardedLeaseStore(router, places, claims);
  lookup.leases = leases;
  const campaigns = new ShardedCampaignStore(router);
  const reevaluations = new ShardedReevaluationStore(router);
  const shared = {
    approvals: home.approvals,
    breakGlass: home.breakGlass,
    workers: home.workers,
    gatewayRevocations: home.gatewayRevocations,
    gatewayTraffic: home.gatewayTraffic,
    policySets: home.policySets,
    dpopReplay: home.dpopReplay,
    oauthRevocations: home.oauthRevocations,
  };
  const suspensions = new ShardedSuspensionStore(router);
  return {
    prefix: home.prefix,
    router,
    leases,
    tasks: new ShardedTaskStore(router, options.retentionMs),
    campaigns,
    retention: new ShardedRetention(router),
    audit: new ShardedAuditLog(router, redis),
    suspensions,
    reevaluations,
    ...shared,
    queueConnection: () => home.queueConnection(),
    cells: () =>
      shards.map((own) => ({
        ...own,
        ...shared,
        suspensions,
        campaigns: new CellCampaignStore(own.campaigns, campaigns),
        reevaluations: new CellReevaluationStore(own.reevaluations, reevaluations),
      })),
  };
}

/** A store as a process runs it: the whole, each shard's own (for the worker), and the map they follow. */
export interface OpenedStore {
  store: Store;
  cells: Store[];
  /** Each shard's key prefix, shard 0 first. */
  prefixes: string[];
  map: ShardMap;
  /** Said at start when LEASH_SHARDS differs from the map the process follows. */
  note?: string;
  /** Records every shard's audit chain head in a signed anchor (nothing to do with one shard: false). */
  anchor(signer: CheckpointSigner, at: number): Promise<boolean>;
  /** Where new task trees go, following the shard map as it changes. */
  placement: TaskPlacement;
  /**
   * Follows the shard map: shards opened or drained take effect at once; shards added call `grew`, after which the
   * process must start again to serve them.
   */
  follow(processId: string, on: { grew(map: ShardMap): void; error?(error: Error): void }): MapFollower;
}

/** Opens the store laid out as the shard map says (see `resolveShardMap`); one shard is the plain store. */
export async function openStore(
  redis: RedisClient,
  prefix: string,
  shards: number,
  options: ShardedStoreOptions,
): Promise<OpenedStore> {
  const { map, note } = await resolveShardMap(redis, prefix, shards);
  const extra = note === undefined ? {} : { note };
  let open = map.open;
  const placement = {
    get open() {
      return open;
    },
  };
  const follow = (processId: string, on: { grew(map: ShardMap): void; error?(error: Error): void }) =>
    followShardMap(redis, prefix, processId, map, {
      ...on,
      opened: (n) => {
        open = n;
      },
    });
  if (map.count === 1) {
    const store = createStore(redis, prefix, options);
    const anchor = async () => false;
    return { store, cells: [store], prefixes: [prefix], map, anchor, placement, follow, ...extra };
  }
  const store = createShardedStore(redis, map, options);
  return {
    store,
    cells: store.cells(),
    prefixes: map.prefixes,
    map,
    anchor: (signer, at) => store.audit.anchor(signer, at),
    placement,
    follow,
    ...extra,
  };
}

/** What a process opens its store with, from its validated environment. */
export interface StoreSettings {
  LEASH_REDIS_PREFIX: string;
  LEASH_SHARDS: number;
  LEASH_REDIS_WAIT_REPLICAS: number;
  LEASH_REDIS_WAIT_TIMEOUT_MS: number;
  LEASH_LEASE_RETENTION_SECONDS: number;
}

/**
 * `openStore` as every process does it: acknowledged writes (audit appends and campaigns included) wait for
 * LEASH_REDIS_WAIT_REPLICAS replicas, and a LEASH_SHARDS the map overrides is said through `warn`.
 */
export async function openConfiguredStore(
  redis: RedisClient,
  settings: StoreSettings,
  clock: Clock,
  warn: (detail: Record<string, unknown>, message: string) => void,
): Promise<OpenedStore> {
  const opened = await openStore(redis, settings.LEASH_REDIS_PREFIX, settings.LEASH_SHARDS, {
    durability: {
      replicas: settings.LEASH_REDIS_WAIT_REPLICAS,
      timeoutMs: settings.LEASH_REDIS_WAIT_TIMEOUT_MS,
    },
    clock,
    retentionMs: settings.LEASH_LEASE_RETENTION_SECONDS * 1000,
  });
  if (opened.note) warn({ shards: opened.map }, opened.note);
  return opened;
}
