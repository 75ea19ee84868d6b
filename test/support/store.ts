import { openStore, type RedisClient, readShardMap, type Store } from "@leash/store";

/**
 * The store as the running services see it: over every shard when the stack runs with several (LEASH_SHARDS; the
 * shard map in Redis says how many), the plain store otherwise.
 */
export async function storeOf(redis: RedisClient, prefix: string): Promise<Store> {
  return (await openStore(redis, prefix, 1, { retentionMs: 3_600_000 })).store;
}

/** Every shard's key prefix, shard 0 (the configured prefix) first. */
export async function shardPrefixesOf(redis: RedisClient, prefix: string): Promise<string[]> {
  return (await readShardMap(redis, prefix))?.prefixes ?? [prefix];
}
