export { RedisApprovalStore } from "./approval-store.js";
export { chainHash, RedisAuditLog, type StoredAuditEvent } from "./audit-log.js";
export type { AuditCheckpoint, CheckpointSigner, TrimResult } from "./audit-retention.js";
export { RedisBreakGlassStore } from "./break-glass-store.js";
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
export type { AgentGatewayTraffic, GatewayTraffic, RedisGatewayTraffic } from "./gateway-traffic.js";
export { HASH_TAG, type Keyspace, keyspace } from "./keys.js";
export { type ExposedLease, matches, RedisLeaseStore } from "./lease-store.js";
export {
  createLiveLeaseView,
  type LiveLeaseStatus,
  type LiveLeaseView,
  type LiveLeaseViewDeps,
  type LiveLeaseViewOptions,
} from "./live-lease-view.js";
export { isFeedCursor } from "./oauth.js";
export { RedisRetention, type SweepResult } from "./retention.js";
export {
  createShardedStore,
  type OpenedStore,
  openConfiguredStore,
  openStore,
  type ShardedStore,
  type ShardedStoreOptions,
  type StoreSettings,
} from "./sharded/index.js";
export { type MigrationOptions, type MigrationReport, migrateShards } from "./sharded/migrate.js";
export {
  readShardMap,
  resolveShardMap,
  type ShardMap,
  ShardMapMismatch,
  writeShardMap,
} from "./sharded/shard-map.js";
export { keySlot, shardPrefixes } from "./sharded/slots.js";
export {
  createStore,
  DEFAULT_PREFIX,
  type Public,
  type QueueConnection,
  type Store,
  type StoreOptions,
} from "./store.js";
export {
  createSuspensionView,
  type SuspensionView,
  type SuspensionViewDeps,
  type SuspensionViewOptions,
  tellingView,
} from "./suspension-view.js";
export { RedisTaskStore } from "./task-store.js";
export {
  WORKER_HEARTBEAT_INTERVAL_MS,
  WORKER_HEARTBEAT_TTL_MS,
  type WorkerHeartbeat,
} from "./worker-heartbeat.js";
