import { revokeRequestOf } from "@leash/core";
import type { WorkerContext } from "./context.js";

/**
 * How long past its due time a revocation may go unconfirmed before it is run again beside its job. A revocation
 * normally ends well within a second; a slower one is run twice, which is harmless.
 */
export const STUCK_AFTER_MS = 2_000;
/** Claimed deadline entries looked at per pass, nearest deadline first. */
const OVERDUE_SCAN = 1_000;

/**
 * Settles leases left `pending` by a process that died between write-ahead and activation: whatever the provider
 * may have minted under the lease id is reclaimed, then the lease is aborted. Re-runs stuck revocations. Also lets
 * providers prune.
 */
export async function reconcile(ctx: WorkerContext): Promise<{ settled: number; rerun: number }> {
  const now = ctx.clock.now();
  const rerun = await rerunStuckRevocations(ctx, now);
  await resumeCampaigns(ctx);
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
  return { settled, rerun };
}

/** Recent campaigns looked at per pass: a campaign is rare, and one that has waited this long has been seen. */
const CAMPAIGN_SCAN = 50;

/**
 * A campaign is recorded (and acknowledged, with WAIT) before its job is queued on another connection; a failover
 * or a crash in between loses the job. Unfinished campaigns get theirs again: the job id is the campaign id, so
 * for one that still has its job this changes nothing.
 */
async function resumeCampaigns(ctx: WorkerContext): Promise<void> {
  for (const id of await ctx.store.campaigns.unfinished(CAMPAIGN_SCAN)) await ctx.producers.startCampaign(id);
}

/**
 * An overdue lease whose revoke job exists but sits in BullMQ's active list (taken by a worker that died, or
 * completed just before a Redis failover that undid the completion), or whose job is gone, would wait for the
 * job's lock to lapse (LEASH_JOB_LOCK_MS) or for its deadline claim to come due again (30 s). It is run again now,
 * under a fresh job id. Jobs waiting in the queue or backing off after a provider failure are on their way and left
 * alone.
 */
async function rerunStuckRevocations(ctx: WorkerContext, now: number): Promise<number> {
  const overdue = await ctx.store.leases.overdue(now, now - STUCK_AFTER_MS, OVERDUE_SCAN);
  if (overdue.length === 0) return 0;
  const jobs = await ctx.producers.revokeJobs(overdue.map((l) => l.id));
  const stuck = overdue.filter((l) => {
    const job = jobs.get(l.id);
    if (job === undefined) return true;
    return job.state === "active" && (job.processedOn ?? 0) <= now - STUCK_AFTER_MS;
  });
  if (stuck.length === 0) return 0;
  // One re-run per lease and STUCK_AFTER_MS window, however many passes see it meanwhile.
  await ctx.producers.rerunRevocations(
    stuck.map((l) => ({ leaseId: l.id, reason: "revocation stuck: run again" })),
    `rerun${Math.floor(now / STUCK_AFTER_MS)}`,
  );
  ctx.logger.warn(
    { leases: stuck.length, sample: stuck.slice(0, 5).map((l) => l.id) },
    "revocations overdue with their job stuck or lost; running them again",
  );
  return stuck.length;
}
