import type { Lease, NarrowTaskInput } from "@leash/core";
import { leaseFromHash } from "./codec.js";
import type { RedisClient } from "./connection.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** What the script did; the caller reads the task back. */
export type NarrowReply =
  | { kind: "narrowed"; revoked: string[]; due: string[] }
  | { kind: "not_active" }
  | { kind: "changed" }
  | null;

interface Walk {
  /** The live leases of the tree judged outside the new ceiling. */
  outside: Set<string>;
}

/**
 * The narrowing's store step, in two: narrow_fence.lua records the new ceiling (if the task's is still the one it
 * was judged against), then the tree and its live leases are read and judged here (the ceiling grammar lives in
 * TypeScript) and narrow_task.lua orders the revocation of those outside it. Every lease written ahead before the
 * fence is in that read; every one written after is its issuance's to abort, since issuance reads the task again
 * after its write-ahead. So an agent that keeps asking for leases cannot hold a narrowing off, as it could when
 * the script refused to change anything while the tree held a lease it had not been told about.
 */
export async function narrowTaskTree(
  redis: RedisClient,
  keys: Keyspace,
  scripts: Scripts,
  input: NarrowTaskInput,
): Promise<NarrowReply> {
  const fenced = await scripts.narrowFence(
    [keys.task(input.taskId)],
    [JSON.stringify(input.from), JSON.stringify(input.to), input.at, input.actor],
  );
  if (!Array.isArray(fenced)) return null;
  const [kind] = fenced.map(String);
  if (kind === "not_active" || kind === "changed") return { kind };
  const walk = await readTree(redis, keys, input);
  const outside = [...walk.outside];
  const reply = await scripts.narrowTask(
    [keys.deadline, ...outside.map((id) => keys.lease(id))],
    [input.at, input.actor, ...outside],
  );
  const [, count = "0", ...ids] = Array.isArray(reply) ? reply.map(String) : [];
  const n = Number(count);
  return { kind: "narrowed", revoked: ids.slice(0, n), due: ids.slice(n) };
}

/** The tree's `:leases` and `:children` keys, one pipelined read per level, then its live leases judged. */
async function readTree(redis: RedisClient, keys: Keyspace, input: NarrowTaskInput): Promise<Walk> {
  const walk: Walk = { outside: new Set() };
  const leaseIds: string[] = [];
  const seen = new Set<string>();
  let level = [input.taskId];
  while (level.length > 0) {
    const pipeline = redis.pipeline();
    for (const id of level) {
      seen.add(id);
      pipeline.zrange(keys.taskLeases(id), 0, -1).smembers(keys.taskChildren(id));
    }
    const next: string[] = [];
    for (const [i, [error, members]] of ((await pipeline.exec()) ?? []).entries()) {
      if (error) throw error;
      if (i % 2 === 0) leaseIds.push(...(members as string[]));
      else next.push(...(members as string[]).filter((id) => !seen.has(id)));
    }
    level = [...new Set(next)];
  }
  await judge(redis, keys, input, walk, leaseIds);
  return walk;
}

/** Reads the leases and keeps the pending or active ones the caller judges outside the new ceiling. */
async function judge(
  redis: RedisClient,
  keys: Keyspace,
  input: NarrowTaskInput,
  walk: Walk,
  ids: readonly string[],
): Promise<void> {
  for (const lease of await readLeases(redis, keys, ids)) {
    if (lease.state !== "pending" && lease.state !== "active") continue;
    if (input.outside(lease)) walk.outside.add(lease.id);
  }
}

async function readLeases(redis: RedisClient, keys: Keyspace, ids: readonly string[]): Promise<Lease[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.lease(id));
  const out: Lease[] = [];
  for (const [i, [error, hash]] of ((await pipeline.exec()) ?? []).entries()) {
    if (error) throw error;
    const lease = leaseFromHash(ids[i] ?? "", hash as Record<string, string>);
    if (lease) out.push(lease);
  }
  return out;
}
