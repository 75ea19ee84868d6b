import type { Lease, NarrowTaskInput } from "@leash/core";
import { leaseFromHash } from "./codec.js";
import type { RedisClient } from "./connection.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** Rounds of "declare what the tree grew by, judge it, call again" before giving up on a tree that keeps growing. */
const ROUNDS = 10;

const LIVE = new Set(["pending", "active", "revoking", "revoke_failed"]);

/** What the script did; the caller reads the task back. */
export type NarrowReply =
  | { kind: "narrowed"; revoked: string[]; due: string[] }
  | { kind: "not_active" }
  | { kind: "changed" }
  | null;

interface Walk {
  /** Every key the script may touch besides its head: tree tasks' `:leases` and `:children`, live leases. */
  keys: Set<string>;
  outside: Set<string>;
  inside: Set<string>;
}

/**
 * The narrowing's store step (narrow_task.lua): the tree and its live leases are read and judged here, then the
 * script checks that nothing live went unjudged, replaces the ceiling and orders the revocations atomically.
 * Whatever the tree grew by meanwhile comes back named, is judged, and the script runs again.
 */
export async function narrowTaskTree(
  redis: RedisClient,
  keys: Keyspace,
  scripts: Scripts,
  input: NarrowTaskInput,
): Promise<NarrowReply> {
  const walk = await readTree(redis, keys, input);
  const head = [keys.task(input.taskId), keys.deadline, keys.pending];
  for (let round = 0; round < ROUNDS; round++) {
    for (const key of head) walk.keys.delete(key);
    const reply = await scripts.narrowTask(
      [...head, ...walk.keys],
      [
        keys.prefix,
        input.taskId,
        JSON.stringify(input.from),
        JSON.stringify(input.to),
        input.at,
        input.actor,
        walk.outside.size,
        ...walk.outside,
        ...walk.inside,
      ],
    );
    if (!Array.isArray(reply)) return null;
    const [kind, ...rest] = reply.map(String);
    if (kind === "not_active" || kind === "changed") return { kind };
    if (kind === "narrowed") {
      const count = Number(rest[0]);
      return { kind, revoked: rest.slice(1, 1 + count), due: rest.slice(1 + count) };
    }
    const names = kind === "unjudged" ? rest.map((id) => keys.lease(id)) : rest;
    for (const name of names) walk.keys.add(name);
    await judge(redis, keys, input, walk, leaseIdsOf(keys, names));
  }
  throw new Error(`the task tree of ${input.taskId} kept growing while it was being narrowed`);
}

function leaseIdsOf(keys: Keyspace, names: readonly string[]): string[] {
  const marker = keys.lease("");
  return names.filter((n) => n.startsWith(marker)).map((n) => n.slice(marker.length));
}

/** The tree's `:leases` and `:children` keys, one pipelined read per level, then its live leases judged. */
async function readTree(redis: RedisClient, keys: Keyspace, input: NarrowTaskInput): Promise<Walk> {
  const walk: Walk = { keys: new Set(), outside: new Set(), inside: new Set() };
  const leaseIds: string[] = [];
  const seen = new Set<string>();
  let level = [input.taskId];
  while (level.length > 0) {
    const pipeline = redis.pipeline();
    for (const id of level) {
      seen.add(id);
      walk.keys.add(keys.taskLeases(id)).add(keys.taskChildren(id));
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

/** Reads the leases, declares the live ones and sorts the pending or active ones by the caller's judgement. */
async function judge(
  redis: RedisClient,
  keys: Keyspace,
  input: NarrowTaskInput,
  walk: Walk,
  ids: readonly string[],
): Promise<void> {
  for (const lease of await readLeases(redis, keys, ids)) {
    if (!LIVE.has(lease.state)) continue;
    walk.keys.add(keys.lease(lease.id));
    if (lease.state !== "pending" && lease.state !== "active") continue;
    (input.outside(lease) ? walk.outside : walk.inside).add(lease.id);
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
