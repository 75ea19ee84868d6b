import { Redis } from "ioredis";
import type { Cluster } from "./cluster.js";

/**
 * For a credential that missed its bound: what Leash's own records say (the lease's state and reason, and the
 * revoke job BullMQ holds for it). Read straight from Redis; it explains a failure, it never decides one.
 */
export async function insideView(
  cluster: Cluster,
  leaseIds: readonly string[],
): Promise<Map<string, string>> {
  const redis = new Redis(cluster.redis.url, { maxRetriesPerRequest: 1 });
  const out = new Map<string, string>();
  try {
    for (const id of leaseIds) {
      const lease = await redis.hmget(`${cluster.prefix}lease:${id}`, "state", "reason", "last_error");
      const job = await redis.hmget(
        `${cluster.prefix}q:revoke:${id}`,
        "attemptsMade",
        "stc",
        "failedReason",
        "defa",
        "finishedOn",
      );
      const due = await redis.zscore(`${cluster.prefix}deadline`, id);
      out.set(
        id,
        `lease ${lease[0]} (${lease[1] ?? "-"}${lease[2] ? `; ${lease[2]}` : ""}), deadline entry ${due ?? "none"}, ` +
          `revoke job ${job.every((v) => v === null) ? "none" : `attempts ${job[0]}, stalled ${job[1] ?? 0}, failed ${job[2] ?? job[3] ?? "-"}`}`,
      );
    }
  } finally {
    redis.disconnect();
  }
  return out;
}
