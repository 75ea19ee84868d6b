import { revokeRequestOf } from "@leash/core";
import type { WorkerContext } from "./context.js";

/**
 * Settles leases left `pending` by a process that died between write-ahead and activation: whatever the provider
 * may have minted under the lease id is reclaimed, then the lease is aborted. Also lets providers prune.
 * (Overdue leases need no scan: the deadline index brings back any lease whose revoke job was lost.)
 */
export async function reconcile(ctx: WorkerContext): Promise<{ settled: number }> {
  const now = Date.now();
  let settled = 0;
  const stale = await ctx.store.leases.stalePending(now - ctx.env.LEASH_PENDING_GRACE_MS, 200);
  for (const lease of await ctx.store.leases.getMany(stale)) {
    const provider = ctx.revoker.providers.get(lease.provider);
    if (!provider) continue;
    try {
      await provider.reclaim(revokeRequestOf(lease), AbortSignal.timeout(ctx.revoker.timeoutMs));
      if (await ctx.store.leases.abort(lease.id, "reclaimed: mint outcome unknown")) {
        settled++;
        await ctx.revoker.audit.append({
          type: "lease.reclaimed",
          actor: null,
          agent: lease.agent,
          taskId: lease.taskId,
          leaseId: lease.id,
          outcome: "warning",
          detail: { provider: lease.provider },
        });
      }
    } catch (error) {
      ctx.logger.warn(
        { lease_id: lease.id, error: (error as Error).message },
        "could not reclaim a pending lease yet",
      );
    }
  }
  for (const provider of ctx.revoker.providers.values()) {
    await provider.prune?.(now, AbortSignal.timeout(ctx.env.LEASH_MINT_TIMEOUT_MS)).catch((error: Error) => {
      ctx.logger.warn({ provider: provider.name, error: error.message }, "prune failed");
    });
  }
  return { settled };
}
