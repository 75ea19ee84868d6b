import type { RedisClient } from "../connection.js";
import { keyspace } from "../keys.js";
import { seedPoolPlaces } from "./seed.js";
import {
  followers,
  readShardMap,
  type ShardMap,
  singleShard,
  syncSuspensions,
  writeShardMap,
} from "./shard-map.js";
import { grownPrefixes } from "./slots.js";

/** What a migration reports as it goes: each step done, and what it is waiting for. */
export interface MigrationReport {
  step: "added" | "waiting_for_processes" | "opened" | "closed" | "waiting_for_drain" | "done";
  map: ShardMap;
  /** Processes not yet following the map (waiting_for_processes), or live leases and active tasks left in the
   * shards being drained (waiting_for_drain). */
  left?: number;
}

export interface MigrationOptions {
  report(progress: MigrationReport): void;
  /** Gives up (the next run continues from the step reached) once it aborts. */
  signal: AbortSignal;
  now?: () => number;
  pollMs?: number;
}

/**
 * Moves the shard map to `target` open shards, one recorded step at a time, so it is safe to interrupt and to run
 * again (it continues from the map as it finds it). Growing: the map counts the new shards (every process restarts
 * to serve them), and once every live process follows it they get the suspensions and open to new task trees.
 * Shrinking: the shards past `target` close to new trees, and the command waits until they hold no live lease and
 * no active task. No task or lease ever moves: ids name their shard, and a closed shard keeps being read, worked
 * and swept.
 */
export async function migrateShards(
  redis: RedisClient,
  prefix: string,
  target: number,
  options: MigrationOptions,
): Promise<ShardMap> {
  const now = options.now ?? Date.now;
  let map = (await readShardMap(redis, prefix)) ?? singleShard(prefix);
  if (target > map.count) {
    const prefixes = grownPrefixes(map.prefixes, target);
    // The first sharding fixes the pools' homes; growing later keeps them where they are.
    const homes = map.count === 1 ? target : (map.homes ?? 1);
    map = { ...map, count: target, generation: map.generation + 1, prefixes, homes };
    await writeShardMap(redis, prefix, map);
    options.report({ step: "added", map });
  }
  if (target > map.open) {
    await waitUntil(options, async () => {
      const behind = [...(await followers(redis, prefix, now())).values()].filter((g) => g < map.generation);
      if (behind.length > 0) options.report({ step: "waiting_for_processes", map, left: behind.length });
      return behind.length === 0;
    });
    // Now every process records a suspension on every shard; one recorded before, by a process that did not know
    // the new shards yet, is copied here, before any task tree can land there.
    await syncSuspensions(redis, prefix, map.prefixes.slice(map.open));
    // Likewise the leases a process counted in shard 0's own counters go into their pools' places.
    await seedPoolPlaces(redis, map.prefixes, map.homes ?? 1);
    map = { ...map, open: target, generation: map.generation + 1 };
    await writeShardMap(redis, prefix, map);
    options.report({ step: "opened", map });
  } else if (target < map.open) {
    map = { ...map, open: target, generation: map.generation + 1 };
    await writeShardMap(redis, prefix, map);
    options.report({ step: "closed", map });
  }
  await waitUntil(options, async () => {
    const left = await liveIn(redis, map.prefixes.slice(map.open));
    if (left > 0) options.report({ step: "waiting_for_drain", map, left });
    return left === 0;
  });
  options.report({ step: "done", map });
  return map;
}

async function waitUntil(options: MigrationOptions, done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) {
    options.signal.throwIfAborted();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.pollMs ?? 1_000);
      options.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    options.signal.throwIfAborted();
  }
}

/** Live leases (pending or due) and active tasks in these shards. */
async function liveIn(redis: RedisClient, prefixes: readonly string[]): Promise<number> {
  const counts = await Promise.all(
    prefixes.map(async (p) => {
      const k = keyspace(p);
      const [due, pending, tasks] = await Promise.all([
        redis.zcard(k.deadline),
        redis.zcard(k.pending),
        redis.zcard(k.activeTasks),
      ]);
      return due + pending + tasks;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}
