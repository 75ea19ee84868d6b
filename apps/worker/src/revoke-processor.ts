import { type RevokeResult, revokeLease } from "@leash/core";
import { QUEUES, RevokeJob } from "@leash/queue";
import { type Job, UnrecoverableError } from "bullmq";
import type { WorkerContext } from "./context.js";

/**
 * Revokes one lease. A provider failure throws so BullMQ backs off and retries (the lease shows `revoke_failed`
 * meanwhile); only a malformed job is unrecoverable.
 */
export function revokeProcessor(ctx: WorkerContext) {
  return async function processRevoke(job: Job, _token?: string, signal?: AbortSignal): Promise<string> {
    const parsed = RevokeJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed revoke job ${job.id}`);
    const { leaseId, campaignId } = parsed.data;
    try {
      const result = await revokeLease(ctx.revoker, leaseId, signal);
      const campaign = result.campaignId ?? campaignId;
      if (
        campaign &&
        (result.kind === "revoked" || result.kind === "already_ended" || result.kind === "expired")
      ) {
        await ctx.store.campaigns.ended(campaign, leaseId, ctx.clock.now());
      }
      observe(ctx, result);
      if (result.kind === "revoked" || result.kind === "expired") {
        ctx.logger.debug({ lease_id: leaseId, outcome: result.kind }, "lease ended");
        // The receipt is in the outbox already; chain it now rather than at the next poll. A failure here loses
        // nothing: the deadline poller drains the outbox too.
        await ctx.audit
          .drain()
          .catch((error: Error) => ctx.logger.warn({ error: error.message }, "could not chain receipts yet"));
      }
      return result.kind;
    } catch (error) {
      ctx.metrics.jobFailures.inc({ queue: QUEUES.revoke });
      if (campaignId) await ctx.store.campaigns.failing(campaignId, leaseId, ctx.clock.now());
      const message = error instanceof Error ? error.message : String(error);
      ctx.logger.warn(
        { lease_id: leaseId, attempt: job.attemptsMade + 1, error: message },
        "revocation failed; retrying",
      );
      // A revocation must never be dropped: every error, "permanent" provider errors included, is thrown as it is
      // and retried with the cap on backoff (only a malformed job is an UnrecoverableError).
      throw error;
    }
  };
}

function observe(ctx: WorkerContext, result: RevokeResult): void {
  if (result.provider === null) return;
  ctx.metrics.revocations.inc({ provider: result.provider, outcome: result.kind });
  if (result.latencyMs !== null)
    ctx.metrics.revocationLatency.observe({ provider: result.provider }, result.latencyMs / 1000);
}
