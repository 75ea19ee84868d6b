import type { Clock, RevokerDeps } from "@leash/core";
import type { Producers } from "@leash/queue";
import type { Logger, RuntimeEnv, WorkerMetrics } from "@leash/runtime";
import type { RedisAuditLog, Store } from "@leash/store";

export interface WorkerContext {
  env: RuntimeEnv;
  /** Every time the worker reads or records (the revoker's clock too). */
  clock: Clock;
  store: Store;
  producers: Producers;
  revoker: RevokerDeps;
  /** The audit log: the worker chains the receipts its transitions leave in the outbox (`drain`). */
  audit: RedisAuditLog;
  logger: Logger;
  metrics: WorkerMetrics;
}
