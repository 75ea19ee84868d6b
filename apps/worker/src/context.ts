import type { Clock, RevokerDeps } from "@leash/core";
import type { Producers } from "@leash/queue";
import type { Logger, RuntimeEnv, WorkerMetrics } from "@leash/runtime";
import type { Store } from "@leash/store";

export interface WorkerContext {
  env: RuntimeEnv;
  /** Every time the worker reads or records (the revoker's clock too). */
  clock: Clock;
  store: Store;
  producers: Producers;
  revoker: RevokerDeps;
  /** The audit log: the worker chains the receipts its transitions leave in the outbox (`drain`). */
  audit: Store["audit"];
  logger: Logger;
  metrics: WorkerMetrics;
  /**
   * Whether this shard's consumers also do the work that spans shards (lifting lapsed suspensions, which are kept
   * on every shard): shard 0's. With one shard, always.
   */
  crossShard: boolean;
}
