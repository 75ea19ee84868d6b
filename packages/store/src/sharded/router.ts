import { MAX_SHARDS, shardInId } from "@leash/core";
import type { RedisClient } from "../connection.js";
import { guard } from "../guard.js";
import { digest, keyspace } from "../keys.js";
import type { Store } from "../store.js";
import { crc16, homeShard } from "./slots.js";

/** Placements remembered in process (they never change); past this many the cache starts over. */
const PLACEMENT_CACHE = 100_000;

/**
 * Finds the shard of a task, a lease or a value, and runs reads over every shard. Leases and generated task ids
 * carry their shard; a task whose id an orchestrator chose has a placement record on a home shard picked by its id
 * (immutable, so it is cached once read). A task with neither lives in shard 0, as every task did before sharding.
 */
export class ShardRouter {
  private readonly placements = new Map<string, number>();

  constructor(
    readonly shards: readonly Store[],
    private readonly redis: RedisClient,
    /** The map's `homes`: placement records are kept on one of the first `homes` shards, by task id. */
    private readonly homes = 1,
  ) {}

  get count(): number {
    return this.shards.length;
  }

  at(shard: number): Store {
    const store = this.shards[shard];
    if (!store) throw new RangeError(`shard ${shard} is not in the shard map (${this.count} shards)`);
    return store;
  }

  get home(): Store {
    return this.at(0);
  }

  /** Shard of a lease (its id names it) or of a generated task id; shard 0 for an id that names none. */
  ofId(id: string): Store {
    return this.at(this.shardOfLease(id));
  }

  /**
   * An id naming a shard the map does not have was never issued here: it goes to shard 0, where it is not found
   * either (a `404`, not a failure).
   */
  shardOfLease(leaseId: string): number {
    const shard = shardInId(leaseId) ?? 0;
    return shard < this.count ? shard : 0;
  }

  /** Shard of a task by id, whoever chose it. */
  async ofTask(taskId: string): Promise<Store> {
    return this.at(await this.shardOfTask(taskId));
  }

  async shardOfTask(taskId: string): Promise<number> {
    const named = shardInId(taskId);
    if (named !== null) return named < this.count ? named : 0;
    const cached = this.placements.get(taskId);
    if (cached !== undefined) return cached;
    if (this.count === 1) return 0;
    const recorded = await guard("read task placement", () => this.redis.get(this.placementKey(taskId)));
    if (recorded === null) return 0;
    return this.remember(taskId, Number(recorded));
  }

  /**
   * Records where a task whose id an orchestrator chose lives, unless it is recorded already (a re-registration):
   * returns the shard it lives in. Kept until `expireAt` (its deadline plus retention).
   */
  async place(taskId: string, shard: number, expireAt: number): Promise<number> {
    const key = this.placementKey(taskId);
    return await guard("record task placement", async () => {
      // A task registered before sharding has no placement and lives in shard 0.
      const before = await this.home.tasks.get(taskId);
      const wanted = before ? 0 : shard;
      const set = await this.redis.set(key, String(wanted), "PXAT", expireAt, "NX");
      const placed = set === "OK" ? wanted : Number((await this.redis.get(key)) ?? wanted);
      return this.remember(taskId, placed);
    });
  }

  /** The shard a value with no task (an agent, a pool) reads from, spread by its hash. */
  ofValue(value: string): Store {
    return this.at(crc16(value) % this.count);
  }

  all<T>(read: (store: Store, shard: number) => Promise<T>): Promise<T[]> {
    return Promise.all(this.shards.map(read));
  }

  /** Items grouped by the shard their lease (or generated) id names, one call per shard that has any. */
  byId<T, R>(
    items: readonly T[],
    idOf: (item: T) => string,
    run: (store: Store, part: T[]) => Promise<R[]>,
  ): Promise<R[]> {
    return this.grouped(items, (item) => this.shardOfLease(idOf(item)), run);
  }

  /** Items grouped by shard, one call per shard that has any; the results in no particular order. */
  async grouped<T, R>(
    items: readonly T[],
    shardOf: (item: T) => number,
    run: (store: Store, part: T[]) => Promise<R[]>,
  ): Promise<R[]> {
    const parts = new Map<number, T[]>();
    for (const item of items) {
      const shard = shardOf(item);
      const part = parts.get(shard);
      if (part) part.push(item);
      else parts.set(shard, [item]);
    }
    const results = await Promise.all([...parts].map(([shard, part]) => run(this.at(shard), part)));
    return results.flat();
  }

  /** On a home shard fixed by the id (sharded/pools.ts `homeShard`), so placements spread and growing moves none. */
  private placementKey(taskId: string): string {
    const home = this.at(homeShard(digest(taskId), Math.min(this.homes, this.count)));
    return keyspace(home.prefix).placement(taskId);
  }

  private remember(taskId: string, shard: number): number {
    if (this.placements.size >= PLACEMENT_CACHE) this.placements.clear();
    this.placements.set(taskId, shard);
    return shard;
  }
}

export function validShardCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new RangeError(`the number of shards must be an integer from 1 to ${MAX_SHARDS}`);
  return count;
}
