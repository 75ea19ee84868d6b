import {
  type ApprovalStore,
  type BreakGlassStore,
  type Clock,
  type DpopReplayCache,
  type GatewayRevocations,
  type OAuthRevocationFeed,
  systemClock,
} from "@leash/core";
import { RedisApprovalStore } from "./approval-store.js";
import { RedisAuditLog } from "./audit-log.js";
import { RedisBreakGlassStore } from "./break-glass-store.js";
import { RedisCampaignStore } from "./campaign-store.js";
import type { RedisClient } from "./connection.js";
import type { CrossShardHooks } from "./cross-shard.js";
import type { Durability } from "./durable.js";
import { RedisGatewayRevocations } from "./gateway-revocations.js";
import { RedisGatewayTraffic } from "./gateway-traffic.js";
import { keyspace } from "./keys.js";
import { RedisLeaseStore } from "./lease-store.js";
import { RedisDpopReplayCache, RedisOAuthRevocationFeed } from "./oauth.js";
import { RedisPolicySetStore, RedisReevaluationStore } from "./reevaluation-store.js";
import { RedisRetention } from "./retention.js";
import { loadScripts } from "./scripts.js";
import { RedisSuspensionStore } from "./suspension-store.js";
import { RedisTaskStore } from "./task-store.js";
import { RedisWorkerHeartbeat, type WorkerHeartbeat } from "./worker-heartbeat.js";

export const DEFAULT_PREFIX = "leash:{leash}:";

/** A Redis connection for BullMQ (queues, the queue dashboard), with the prefix its keys must carry. */
export interface QueueConnection {
  connection: RedisClient;
  prefix: string;
}

/** An object of a class's public members: what a shard router can stand in for. */
export type Public<T> = { [K in keyof T]: T[K] };

/** What the apps get of Redis: ports, and a connection for BullMQ only. */
export interface Store {
  /** The key prefix of this store (of one shard, for a shard's store). */
  readonly prefix: string;
  leases: Public<RedisLeaseStore>;
  tasks: Public<RedisTaskStore>;
  campaigns: Public<RedisCampaignStore>;
  /** Removes ended leases, tasks and campaigns past LEASH_LEASE_RETENTION_SECONDS. */
  retention: Public<RedisRetention>;
  approvals: ApprovalStore;
  breakGlass: BreakGlassStore;
  /** The hash-chained audit log (the worker chains the receipts the scripts leave in its outbox: `drain`). */
  audit: Public<RedisAuditLog>;
  /** Worker liveness, written by the worker and read by the API's readiness. */
  workers: WorkerHeartbeat;
  /** Suspended identities (and, in the same step as a suspension, the revocation of their leases). */
  suspensions: Public<RedisSuspensionStore>;
  /** Revocations of gateway leases, recorded and announced to the gateways (see `createLiveLeaseView`). */
  gatewayRevocations: GatewayRevocations;
  /** Gateway traffic per lease and per agent, counted from the gateways' audited batches (for the console). */
  gatewayTraffic: Public<RedisGatewayTraffic>;
  /** Re-evaluations of the live leases (after a policy reload or on request), with their progress. */
  reevaluations: Public<RedisReevaluationStore>;
  /** The policy sets loaded (and dry runs' candidates), so a worker decides with exactly the same set. */
  policySets: Public<RedisPolicySetStore>;
  /** DPoP proofs seen by the token endpoint (RFC 9449 replay protection). */
  dpopReplay: DpopReplayCache;
  /** Ended OAuth access tokens, in the order they ended, for resource servers (`GET /oauth/revocations`). */
  oauthRevocations: OAuthRevocationFeed;
  /** The store's connection for BullMQ, which keeps its own keys under `prefix`. */
  queueConnection(): QueueConnection;
}

export interface StoreOptions {
  /** Acknowledged writes wait for this many replicas (WAIT); none by default. */
  durability?: Durability;
  /** Where the store's recorded times come from (the system clock by default). */
  clock?: Clock;
  /** What a store over several shards does elsewhere when this shard's leases change (sharded/index.ts). */
  crossShard?: CrossShardHooks;
}

export function createStore(
  redis: RedisClient,
  prefix: string = DEFAULT_PREFIX,
  options: StoreOptions = {},
): Store {
  const keys = keyspace(prefix);
  const scripts = loadScripts(redis, options.durability);
  const clock = options.clock ?? systemClock;
  return {
    prefix,
    leases: new RedisLeaseStore(redis, keys, scripts, clock, options.crossShard),
    tasks: new RedisTaskStore(redis, keys, scripts),
    campaigns: new RedisCampaignStore(redis, keys, scripts, options.durability, clock),
    retention: new RedisRetention(redis, keys, scripts, options.crossShard),
    approvals: new RedisApprovalStore(redis, keys, scripts, clock),
    breakGlass: new RedisBreakGlassStore(redis, keys, scripts),
    audit: new RedisAuditLog(redis, prefix, {
      durability: options.durability,
      clock,
      onReceipts: options.crossShard?.receiptsChained,
    }),
    workers: new RedisWorkerHeartbeat(redis, keys, clock),
    suspensions: new RedisSuspensionStore(redis, keys, scripts),
    gatewayRevocations: new RedisGatewayRevocations(keys, scripts, clock),
    gatewayTraffic: new RedisGatewayTraffic(redis, keys, clock),
    reevaluations: new RedisReevaluationStore(redis, keys, scripts),
    policySets: new RedisPolicySetStore(redis, keys, scripts),
    dpopReplay: new RedisDpopReplayCache(redis, keys, clock),
    oauthRevocations: new RedisOAuthRevocationFeed(redis, keys, scripts, clock),
    queueConnection: () => ({ connection: redis, prefix: keys.queues }),
  };
}
