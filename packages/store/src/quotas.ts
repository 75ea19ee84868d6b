import {
  QUOTA_WINDOW_MS,
  type QuotaLimit,
  type QuotaPool,
  type QuotaRefusal,
  type QuotaUsage,
} from "@leash/core";
import type { RedisClient } from "./connection.js";
import type { Keyspace } from "./keys.js";
import type { ScriptReply } from "./scripts.js";

/**
 * Where create_pending.lua keeps a pool's counters: its live count is a field of `counters` (removed at 0), its
 * per-minute window a sorted set expiring a minute after its last entry, its issued total a field of the task's
 * own record (removed with the task by retention). So nothing a quota counts outlives what it counts.
 */
const liveField = (pool: QuotaPool) => `ql:${pool.pool}`;
const ISSUED_FIELD = "q_issued";

/** "" for a counter the pool does not keep, "0" for one kept without a limit, else the limit. */
function limitArg(counter: { max?: number } | undefined): string {
  if (!counter) return "";
  return String(counter.max ?? 0);
}

/** The KEYS (two per pool, after the script's fixed ones) and ARGV (five per pool) of create_pending.lua. */
export function quotaScriptArgs(
  keys: Keyspace,
  pools: readonly QuotaPool[],
): { keys: string[]; args: string[] } {
  return {
    keys: pools.flatMap((p) => [
      p.perMinute ? keys.quotaRate(p.pool) : keys.none,
      p.issued ? keys.task(p.issued.taskId) : keys.none,
    ]),
    args: [
      String(pools.length),
      ...pools.flatMap((p) => [p.quota, p.pool, limitArg(p.live), limitArg(p.perMinute), limitArg(p.issued)]),
    ],
  };
}

/** create_pending.lua's refusal `{"quota", quota, limit, max, retry-after or ""}`, or null for any other reply. */
export function quotaRefusalOf(reply: ScriptReply): QuotaRefusal | null {
  if (!Array.isArray(reply) || reply[0] !== "quota") return null;
  const [, quota, limit, max, retry] = reply.map(String);
  return {
    quota: quota ?? "",
    limit: (limit ?? "max_live") as QuotaLimit,
    max: Number(max),
    ...(retry ? { retryAfterSeconds: Number(retry) } : {}),
  };
}

/** How full each pool is at `now`: one pipelined round trip, reads only. */
export async function readQuotaUsage(
  redis: RedisClient,
  keys: Keyspace,
  pools: readonly QuotaPool[],
  now: number,
): Promise<QuotaUsage[]> {
  if (pools.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const pool of pools) {
    pipeline.hget(keys.counters, liveField(pool));
    pipeline.zcount(keys.quotaRate(pool.pool), `(${now - QUOTA_WINDOW_MS}`, "+inf");
    pipeline.hget(pool.issued ? keys.task(pool.issued.taskId) : keys.none, ISSUED_FIELD);
  }
  const replies = (await pipeline.exec()) ?? [];
  const value = (index: number) => {
    const [error, reply] = replies[index] ?? [null, null];
    if (error) throw error;
    return Number(reply ?? 0);
  };
  return pools.map((pool, i) => ({
    live: pool.live ? value(3 * i) : 0,
    perMinute: pool.perMinute ? value(3 * i + 1) : 0,
    issued: pool.issued ? value(3 * i + 2) : 0,
  }));
}
