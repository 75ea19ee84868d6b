import { randomInt } from "node:crypto";
import type { Task } from "./task.js";

/**
 * Ids Leash generates carry the shard of the task tree they belong to as a suffix (`tk_<25>.<n>`, `ls_<25>.<n>`),
 * so a lease or task is found without a lookup and changing the number of shards re-hashes nothing. Shard 0 has
 * no suffix: with one shard, ids are exactly what they were before sharding. Only ids of the generated form are
 * read this way, so an orchestrator's own task id that happens to end in `.<digits>` means nothing.
 */
const SHARDED_ID = /^(?:tk|ls)_[0-9a-z]{25}\.(\d{1,4})$/;

/** Most shards a deployment may have (the design's 1,024 buckets bound it). */
export const MAX_SHARDS = 1024;

/** The shard an id names, or null when it names none (shard 0, or an id an orchestrator chose). */
export function shardInId(id: string): number | null {
  const match = SHARDED_ID.exec(id);
  if (!match) return null;
  const shard = Number(match[1]);
  return shard > 0 && shard < MAX_SHARDS ? shard : null;
}

const GENERATED = /^(?:tk|ls)_[0-9a-z]{25}(?:\.\d{1,4})?$/;

/**
 * Whether the id alone says the shard: an id of the generated form naming it (or naming none, for shard 0). Any
 * other task id (an orchestrator's choice) needs its placement recorded.
 */
export function idNamesShard(id: string, shard: number): boolean {
  return GENERATED.test(id) && (shardInId(id) ?? 0) === shard;
}

/** `id` placed in `shard` (unchanged for shard 0). */
export function withShard(id: string, shard: number): string {
  return shard === 0 ? id : `${id}.${shard}`;
}

/**
 * The shard of a task: the one recorded at registration (a task whose id an orchestrator chose), else the one its
 * id names, else 0. Every lease and sub-task of a tree lives in its root's shard.
 */
export function taskShard(task: Pick<Task, "id" | "shard">): number {
  return task.shard ?? shardInId(task.id) ?? 0;
}

/** Where new root tasks go: one of the shards open for them, at random, so trees spread evenly. */
export interface TaskPlacement {
  /** Shards taking new root tasks (1: everything in shard 0). */
  readonly open: number;
}

export function placeRoot(placement: TaskPlacement | undefined): number {
  const open = placement?.open ?? 1;
  return open <= 1 ? 0 : randomInt(open);
}
