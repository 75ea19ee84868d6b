import { RedisApprovalStore } from "./approval-store.js";
import { RedisBreakGlassStore } from "./break-glass-store.js";
import { RedisCampaignStore } from "./campaign-store.js";
import type { RedisClient } from "./connection.js";
import type { Durability } from "./durable.js";
import { type Keyspace, keyspace } from "./keys.js";
import { RedisLeaseStore } from "./lease-store.js";
import { RedisRetention } from "./retention.js";
import { loadScripts } from "./scripts.js";
import { RedisTaskStore } from "./task-store.js";

export { RedisApprovalStore } from "./approval-store.js";
export { RedisBreakGlassStore } from "./break-glass-store.js";
export type { Campaign, CampaignState } from "./campaign-store.js";
export { RedisCampaignStore } from "./campaign-store.js";
export {
  connectRedis,
  describeTarget,
  type HostPort,
  type RedisClient,
  type RedisSettings,
  type RedisTarget,
  redisEnvOf,
  redisTargetOf,
  waitReady,
} from "./connection.js";
export { type Chains, DelegationReader } from "./delegation.js";
export { type Durability, NotReplicatedError } from "./durable.js";
export { HASH_TAG, type Keyspace, keyspace } from "./keys.js";
export { type ExposedLease, matches, RedisLeaseStore } from "./lease-store.js";
export { RedisRetention, type SweepResult } from "./retention.js";
export { RedisTaskStore } from "./task-store.js";

export const DEFAULT_PREFIX = "leash:{leash}:";

export interface Store {
  redis: RedisClient;
  keys: Keyspace;
  leases: RedisLeaseStore;
  tasks: RedisTaskStore;
  campaigns: RedisCampaignStore;
  /** Removes ended leases, tasks and campaigns past LEASH_LEASE_RETENTION_SECONDS. */
  retention: RedisRetention;
  approvals: RedisApprovalStore;
  breakGlass: RedisBreakGlassStore;
}

export interface StoreOptions {
  /** Acknowledged writes wait for this many replicas (WAIT); none by default. */
  durability?: Durability;
}

export function createStore(
  redis: RedisClient,
  prefix: string = DEFAULT_PREFIX,
  options: StoreOptions = {},
): Store {
  const keys = keyspace(prefix);
  const scripts = loadScripts(redis, options.durability);
  return {
    redis,
    keys,
    leases: new RedisLeaseStore(redis, keys, scripts),
    tasks: new RedisTaskStore(redis, keys, scripts),
    campaigns: new RedisCampaignStore(redis, keys, scripts, options.durability),
    retention: new RedisRetention(redis, keys, scripts),
    approvals: new RedisApprovalStore(redis, prefix),
    breakGlass: new RedisBreakGlassStore(redis, keys),
  };
}
export { chainHash, RedisAuditLog, type StoredAuditEvent } from "./audit-log.js";
export type { AuditCheckpoint, CheckpointSigner, TrimResult } from "./audit-retention.js";
