import type { CheckpointSigner } from "../audit-retention.js";
import type { RedisClient } from "../connection.js";
import { createStore, type Store, type StoreOptions } from "../store.js";
import { ShardedAuditLog } from "./audit.js";
import { ShardedLeaseStore } from "./leases.js";
import { ShardedRetention, ShardedSuspensionStore } from "./misc.js";
import {
  CellCampaignStore,
  CellReevaluationStore,
  ShardedCampaignStore,
  ShardedReevaluationStore,
} from "./parts.js";
import { ShardRouter } from "./router.js";
import { resolveShardMap, type ShardMap } from "./shard-map.js";
import { shardPrefixes } from "./slots.js";
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
  prefix: string,
  map: ShardMap,
  options: ShardedStoreOptions,
): ShardedStore {
  const shards = shardPrefixes(prefix, map.count).map((p) => createStore(redis, p, options));
  const router = new ShardRouter(shards, redis, map.open);
  const home = router.home;
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
    prefix,
    router,
    leases: new ShardedLeaseStore(router),
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
  if (map.count === 1) {
    const store = createStore(redis, prefix, options);
    return { store, cells: [store], prefixes: [prefix], map, anchor: async () => false, ...extra };
  }
  const store = createShardedStore(redis, prefix, map, options);
  return {
    store,
    cells: store.cells(),
    prefixes: store.router.shards.map((s) => s.prefix),
    map,
    anchor: (signer, at) => store.audit.anchor(signer, at),
    ...extra,
  };
}
