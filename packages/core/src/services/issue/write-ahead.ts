import type { IdempotencyRecord } from "../../ports.js";
import type { Decided } from "./context.js";
import { ensureGrantOpen } from "./verify.js";

/**
 * Records the lease as `pending` before anything exists at the provider, so a crash between here and activation
 * leaves something the reconciler can find and reclaim. With an Idempotency-Key already used, nothing is written
 * and the earlier request's record is returned instead.
 */
export async function writeAhead(ctx: Decided): Promise<IdempotencyRecord | null> {
  const key = ctx.options.idempotencyKey;
  const earlier = await ctx.deps.leases.createPending(
    ctx.lease,
    key ? { key, bodyHash: ctx.requestHash } : undefined,
  );
  if (earlier) return earlier;
  await ensureGrantOpen(ctx);
  return null;
}
