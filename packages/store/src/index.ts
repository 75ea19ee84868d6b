import type { Redis } from "ioredis";
import { RedisApprovalStore, RedisBreakGlassStore } from "./approval-store.js";
import { RedisCampaignStore } from "./campaign-store.js";
import { type Keyspace, keyspace } from "./keys.js";
import { RedisLeaseStore } from "./lease-store.js";
import { loadScripts } from "./scripts.js";
import { RedisTaskStore } from "./task-store.js";

export { RedisApprovalStore, RedisBreakGlassStore } from "./approval-store.js";
export type { Campaign, CampaignState } from "./campaign-store.js";
export { RedisCampaignStore } from "./campaign-store.js";
export { connectRedis, waitReady } from "./connection.js";
export { type Keyspace, keyspace } from "./keys.js";
export { matches, RedisLeaseStore } from "./lease-store.js";
export { RedisTaskStore } from "./task-store.js";

export const DEFAULT_PREFIX = "leash:{leash}:";

export interface Store {
  redis: Redis;
  keys: Keyspace;
  leases: RedisLeaseStore;
  tasks: RedisTaskStore;
  campaigns: RedisCampaignStore;
  approvals: RedisApprovalStore;
  breakGlass: RedisBreakGlassStore;
}

export function createStore(redis: Redis, prefix: string = DEFAULT_PREFIX): Store {
  const keys = keyspace(prefix);
  const scripts = loadScripts(redis);
  return {
    redis,
    keys,
    leases: new RedisLeaseStore(redis, keys, scripts),
    tasks: new RedisTaskStore(redis, keys, scripts),
    campaigns: new RedisCampaignStore(redis, keys),
    approvals: new RedisApprovalStore(redis, prefix),
    breakGlass: new RedisBreakGlassStore(redis, prefix),
  };
}
export { chainHash, RedisAuditLog, type StoredAuditEvent } from "./audit-log.js";
