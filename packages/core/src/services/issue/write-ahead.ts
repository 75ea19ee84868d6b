import { isLeashError } from "../../errors.js";
import type { IdempotencyRecord } from "../../ports.js";
import { type QuotaPool, quotaPools } from "../../quota.js";
import { deny } from "./audit.js";
import type { Decided } from "./context.js";
import { ensureStillStanding } from "./standing.js";
import { ensureGrantOpen } from "./verify.js";

/**
 * Records the lease as `pending` before anything exists at the provider, so a crash between here and activation
 * leaves something the reconciler can find and reclaim. With an Idempotency-Key already used, nothing is written
 * and the earlier request's record is returned instead. The quotas that count the lease are checked and counted in
 * the same atomic step (a replay counts nothing; a full pool writes nothing and is `429 quota_exceeded`).
 */
export async function writeAhead(ctx: Decided): Promise<IdempotencyRecord | null> {
  try {
    const earlier = await createPending(ctx);
    if (earlier) return earlier;
    await ensureGrantOpen(ctx);
    await ensureStillStanding(ctx);
    return null;
  } catch (error) {
    // Nothing was minted: an approval this request redeemed is not spent, and the agent's retry gets the lease.
    // Failing to give it back leaves it spent (a person asked again), never hides why the request was refused.
    if (ctx.approvalId) await ctx.deps.approvals.release(ctx.approvalId, ctx.lease.id).catch(() => false);
    throw error;
  }
}

function createPending(ctx: Decided): Promise<IdempotencyRecord | null> {
  return writeCounted(ctx, (idem, pools) => ctx.deps.leases.createPending(ctx.lease, idem, pools));
}

/** Runs the store step that writes the lease with its key and quota pools; a full pool is audited as a denial. */
export async function writeCounted<T>(
  ctx: Decided,
  write: (idem: { key: string; bodyHash: string } | undefined, pools: QuotaPool[] | undefined) => Promise<T>,
): Promise<T> {
  const key = ctx.options.idempotencyKey;
  const pools = quotaPools(ctx.deps.config.quotas ?? [], ctx.lease, [ctx.task, ...ctx.ancestors]);
  return write(
    key ? { key, bodyHash: ctx.requestHash } : undefined,
    pools.length > 0 ? pools : undefined,
  ).catch(async (error: unknown) => {
    if (isLeashError(error) && error.code === "quota_exceeded") {
      // The store's step checked the task's state and stamps before the pools (`createActive`), so cached records
      // were current: the refusal stands as decided.
      await deny({ ...ctx, cached: false }, [`quota ${error.extensions?.quota} ${error.extensions?.limit}`], {
        quota: error.extensions,
      });
    }
    throw error;
  });
}
