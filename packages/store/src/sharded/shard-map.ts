import type { RedisClient } from "../connection.js";
import { guard } from "../guard.js";
import { keyspace } from "../keys.js";
import { validShardCount } from "./router.js";

/**
 * The shard map, a hash on shard 0 every process reads at start: how many shards hold data (`count`: every one is
 * read, consumed by workers and swept), how many take new task trees (`open`: the first `open`), and a generation
 * bumped by each change. No map means one shard, as before sharding.
 */
export interface ShardMap {
  count: number;
  open: number;
  generation: number;
}

const SINGLE_SHARD: ShardMap = { count: 1, open: 1, generation: 0 };

export async function readShardMap(redis: RedisClient, prefix: string): Promise<ShardMap | null> {
  const raw = await guard("read the shard map", () => redis.hgetall(keyspace(prefix).shardMap));
  if (!raw.count) return null;
  return {
    count: validShardCount(Number(raw.count)),
    open: validShardCount(Number(raw.open)),
    generation: Number(raw.generation ?? 0),
  };
}

export async function writeShardMap(redis: RedisClient, prefix: string, map: ShardMap): Promise<void> {
  await guard("write the shard map", () =>
    redis.hset(keyspace(prefix).shardMap, {
      count: map.count,
      open: map.open,
      generation: map.generation,
    }),
  );
}

/** Whether shard 0 holds any task or lease (a store laid out for one shard that a migration must change). */
async function holdsData(redis: RedisClient, prefix: string): Promise<boolean> {
  const k = keyspace(prefix);
  const found = await guard("look for data", () =>
    Promise.all([redis.exists(k.leases), redis.exists(k.activeTasks), redis.exists(k.tasksEnded)]),
  );
  return found.some((n) => n > 0);
}

export class ShardMapMismatch extends Error {}

/**
 * The map a process runs with, given LEASH_SHARDS: the recorded one (a process configured otherwise follows it and
 * is told so), or for a store with no map yet, LEASH_SHARDS itself when the store is empty (a new deployment starts
 * sharded at once). A store with data and no map was laid out for one shard: more needs `leash shards migrate`.
 */
export async function resolveShardMap(
  redis: RedisClient,
  prefix: string,
  wanted: number,
): Promise<{ map: ShardMap; note?: string }> {
  const recorded = await readShardMap(redis, prefix);
  if (recorded) {
    if (recorded.open === wanted) return { map: recorded };
    const note = `LEASH_SHARDS is ${wanted} but the shard map has ${recorded.open} open of ${recorded.count}; following the map (leash shards migrate changes it)`;
    return { map: recorded, note };
  }
  if (wanted === 1) return { map: SINGLE_SHARD };
  if (await holdsData(redis, prefix)) {
    throw new ShardMapMismatch(
      `LEASH_SHARDS is ${wanted} but the store holds data laid out for one shard: run \`leash shards migrate\` first`,
    );
  }
  const map = { count: wanted, open: wanted, generation: 1 };
  await writeShardMap(redis, prefix, map);
  return { map };
}
