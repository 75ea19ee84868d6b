import type { RedisClient } from "../connection.js";
import { guard } from "../guard.js";
import { keyspace } from "../keys.js";
import { validShardCount } from "./router.js";
import { shardPrefixes } from "./slots.js";

/**
 * The shard map, a hash on shard 0 every process reads at start: how many shards hold data (`count`: every one is
 * read, consumed by workers and swept), how many take new task trees (`open`: the first `open`), and a generation
 * bumped by each change. No map means one shard, as before sharding.
 */
export interface ShardMap {
  count: number;
  open: number;
  generation: number;
  /** Each shard's key prefix, shard 0 (the configured prefix) first: recorded, as growing keeps the old tags. */
  prefixes: string[];
  /**
   * How many shards, the first ones, are home to the trust file's quota pools (sharded/pools.ts): the count the store
   * was first sharded with, kept when it grows so that no pool moves (1 when absent).
   */
  homes?: number;
}

/** The map of a store that has none: one shard, the configured prefix. */
export function singleShard(prefix: string): ShardMap {
  return { count: 1, open: 1, generation: 0, prefixes: [prefix] };
}

export async function readShardMap(redis: RedisClient, prefix: string): Promise<ShardMap | null> {
  const raw = await guard("read the shard map", () => redis.hgetall(keyspace(prefix).shardMap));
  if (!raw.count) return null;
  const count = validShardCount(Number(raw.count));
  const prefixes = JSON.parse(raw.prefixes ?? "[]") as string[];
  if (prefixes.length !== count || prefixes[0] !== prefix)
    throw new Error(`the shard map at ${prefix} is damaged`);
  return {
    count,
    open: validShardCount(Number(raw.open)),
    generation: Number(raw.generation ?? 0),
    prefixes,
    homes: Math.min(count, Math.max(1, Number(raw.homes ?? 1))),
  };
}

export async function writeShardMap(redis: RedisClient, prefix: string, map: ShardMap): Promise<void> {
  await guard("write the shard map", () =>
    redis.hset(keyspace(prefix).shardMap, {
      count: map.count,
      open: map.open,
      generation: map.generation,
      prefixes: JSON.stringify(map.prefixes),
      homes: map.homes ?? 1,
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
  if (wanted === 1) return { map: singleShard(prefix) };
  if (await holdsData(redis, prefix)) {
    throw new ShardMapMismatch(
      `LEASH_SHARDS is ${wanted} but the store holds data laid out for one shard: run \`leash shards migrate\` first`,
    );
  }
  const map = {
    count: wanted,
    open: wanted,
    generation: 1,
    prefixes: shardPrefixes(prefix, wanted),
    homes: wanted,
  };
  // A store with no task yet may already hold suspensions: every shard must hold them before it serves.
  await syncSuspensions(redis, prefix, map.prefixes.slice(1));
  await writeShardMap(redis, prefix, map);
  return { map };
}

/**
 * Makes these shards' suspensions exactly shard 0's (replacing what they held): every shard must hold every
 * suspension before it takes a task tree. Idempotent.
 */
export async function syncSuspensions(
  redis: RedisClient,
  prefix: string,
  shards: readonly string[],
): Promise<void> {
  const home = keyspace(prefix);
  await guard("copy suspensions", async () => {
    const [all, until] = await Promise.all([
      redis.hgetall(home.suspensions),
      redis.zrange(home.suspensionsUntil, 0, -1, "WITHSCORES"),
    ]);
    for (const p of shards) {
      const k = keyspace(p);
      const multi = redis.multi().del(k.suspensions, k.suspensionsUntil);
      if (Object.keys(all).length > 0) multi.hset(k.suspensions, all);
      if (until.length > 0)
        multi.zadd(k.suspensionsUntil, ...until.flatMap((v, i) => (i % 2 ? [] : [until[i + 1] ?? "0", v])));
      await multi.exec();
    }
  });
}

/** How often a process reads the shard map and says which generation it follows. */
const FOLLOW_INTERVAL_MS = 1_000;
/** A process that has not said so for this long is taken for gone (a migration does not wait for it). */
const FOLLOWER_GONE_MS = 15_000;

export interface MapFollower {
  stop(): void;
}

/**
 * Reads the shard map every second and records, under `processId`, the generation this process follows, so a
 * migration knows when every process has seen a step. Shards opened or drained are followed at once (`opened`);
 * shards added need the process to start over with them (`grew`).
 */
export function followShardMap(
  redis: RedisClient,
  prefix: string,
  processId: string,
  current: ShardMap,
  on: { opened(open: number): void; grew(map: ShardMap): void; error?(error: Error): void },
  now: () => number = Date.now,
): MapFollower {
  let generation = current.generation;
  let stopped = false;
  const keys = keyspace(prefix);
  const tick = async () => {
    const map = (await readShardMap(redis, prefix)) ?? singleShard(prefix);
    if (stopped) return;
    if (map.count !== current.count) {
      // This process serves only the shards it started with: it stops, and says nothing more about what it follows.
      stopped = true;
      clearInterval(timer);
      on.grew(map);
      return;
    }
    if (map.generation !== generation) {
      on.opened(map.open);
      generation = map.generation;
    }
    await redis.hset(keys.shardFollowers, processId, `${generation} ${now()}`);
  };
  const timer = setInterval(() => void tick().catch((e: Error) => on.error?.(e)), FOLLOW_INTERVAL_MS);
  timer.unref();
  void tick().catch((e: Error) => on.error?.(e));
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      void redis.hdel(keys.shardFollowers, processId).catch(() => undefined);
    },
  };
}

/** The processes that follow the shard map and are alive, with the generation each follows. */
export async function followers(
  redis: RedisClient,
  prefix: string,
  now: number,
): Promise<Map<string, number>> {
  const raw = await guard("read the shard map's followers", () =>
    redis.hgetall(keyspace(prefix).shardFollowers),
  );
  const alive = new Map<string, number>();
  const gone: string[] = [];
  for (const [id, value] of Object.entries(raw)) {
    const [generation = "0", at = "0"] = value.split(" ");
    if (now - Number(at) <= FOLLOWER_GONE_MS) alive.set(id, Number(generation));
    else gone.push(id);
  }
  // A process that died without a word leaves its entry: the next reader clears it.
  if (gone.length > 0)
    await guard("prune the shard map's followers", () =>
      redis.hdel(keyspace(prefix).shardFollowers, ...gone),
    );
  return alive;
}
