import type { RedisClient } from "../connection.js";
import { guard } from "../guard.js";
import { type Keyspace, keyspace } from "../keys.js";
import { loadScripts, type ScriptRunner } from "../scripts.js";
import { pipelinedByHome, poolHome } from "./pools.js";

const PAGE = 500;
/** A place outlives its lease's expiry by this much, as quota_reserve.lua keeps it. */
const GRACE_MS = 60_000;

/**
 * Counts shard 0's live leases that a store with one shard counted in its own counters into the pools' places on
 * their home shards, so that a pool's limit still sees them once the store is sharded. Idempotent: a lease moved
 * already is skipped. Returns how many leases it moved.
 */
export async function seedPoolPlaces(
  redis: RedisClient,
  prefixes: readonly string[],
  homes: number,
): Promise<number> {
  const shard0 = keyspace(prefixes[0] ?? "");
  const seeder = {
    redis,
    shard0,
    homes: prefixes.slice(0, homes).map(keyspace),
    seed: loadScripts(redis).quotaSeed,
  };
  return await guard("count live leases in their pools", async () => {
    let moved = 0;
    for (const index of [shard0.pending, shard0.deadline]) {
      // ZSCAN returns every member present from start to end, however the index changes meanwhile.
      let cursor = "0";
      do {
        const [next, flat] = await redis.zscan(index, cursor, "COUNT", PAGE);
        cursor = next;
        moved += await seedLeases(
          seeder,
          flat.filter((_, i) => i % 2 === 0),
        );
      } while (cursor !== "0");
    }
    return moved;
  });
}

async function seedLeases(
  s: { redis: RedisClient; shard0: Keyspace; homes: Keyspace[]; seed: ScriptRunner },
  ids: readonly string[],
): Promise<number> {
  const read = s.redis.pipeline();
  for (const id of ids) read.hmget(s.shard0.lease(id), "qlive", "expires");
  const fields = ((await read.exec()) ?? []).map(([, reply]) => reply as (string | null)[]);
  let moved = 0;
  for (const [i, id] of ids.entries()) {
    const [qlive, expires] = fields[i] ?? [];
    if (!qlive) continue;
    const pools = (JSON.parse(qlive) as string[]).map((field) => field.slice("ql:".length));
    const until = Number(expires) + GRACE_MS;
    await pipelinedByHome(
      s.redis,
      pools,
      (pool) => poolHome(s.homes, pool),
      (write, pool, home) => {
        const held = home.quotaHeld(pool);
        write.zadd(held, Number(expires), id);
        // A new set gets its lifetime; one that has a shorter lifetime gets a longer one.
        write.pexpireat(held, until, "NX");
        write.pexpireat(held, until, "GT");
      },
    );
    moved += Number(await s.seed([s.shard0.lease(id), s.shard0.counters], [qlive, JSON.stringify(pools)]));
  }
  return moved;
}
