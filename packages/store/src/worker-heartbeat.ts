import type { Clock } from "@leash/core";
import type { RedisClient } from "./connection.js";
import type { Keyspace } from "./keys.js";

/**
 * A worker counts as alive while its last heartbeat is younger than this; it beats three times per period, so one
 * late beat on a loaded machine does not make the API report it gone.
 */
export const WORKER_HEARTBEAT_TTL_MS = 10_000;
export const WORKER_HEARTBEAT_INTERVAL_MS = Math.floor(WORKER_HEARTBEAT_TTL_MS / 3);

/** Workers announce themselves here; the API's readiness asks whether any is alive. */
export interface WorkerHeartbeat {
  /** Records a beat of `workerId` now, and forgets workers silent for longer than the TTL. */
  beat(workerId: string): Promise<void>;
  /** Forgets `workerId` (on a clean stop). */
  leave(workerId: string): Promise<void>;
  /** The number of workers that beat within the TTL. */
  alive(): Promise<number>;
}

export class RedisWorkerHeartbeat implements WorkerHeartbeat {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly clock: Clock,
  ) {}

  async beat(workerId: string): Promise<void> {
    const now = this.clock.now();
    await this.redis
      .multi()
      .zadd(this.keys.workers, now, workerId)
      .zremrangebyscore(this.keys.workers, "-inf", now - WORKER_HEARTBEAT_TTL_MS)
      .exec();
  }

  async leave(workerId: string): Promise<void> {
    await this.redis.zrem(this.keys.workers, workerId);
  }

  alive(): Promise<number> {
    return this.redis.zcount(this.keys.workers, this.clock.now() - WORKER_HEARTBEAT_TTL_MS, "+inf");
  }
}
