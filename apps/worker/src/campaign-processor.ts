import { type CampaignRunDeps, runCampaign } from "@leash/core";
import { CampaignJob } from "@leash/queue";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import type { WorkerContext } from "./context.js";

/**
 * Runs a campaign (core `runCampaign`) as a BullMQ job. When BullMQ aborts the job's signal (the worker is
 * stopping), the campaign stops between chunks and the job goes back to the queue, to resume at the saved cursor.
 */
export function campaignProcessor(ctx: WorkerContext) {
  const deps: CampaignRunDeps = {
    leases: ctx.store.leases,
    campaigns: ctx.store.campaigns,
    queue: ctx.producers,
    audit: ctx.audit,
    clock: ctx.clock,
    providers: ctx.revoker.providers,
    cutTimeoutMs: ctx.env.LEASH_MINT_TIMEOUT_MS,
  };
  return async function processCampaign(job: Job, token?: string, signal?: AbortSignal): Promise<string> {
    const parsed = CampaignJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed campaign job ${job.id}`);
    const { campaignId } = parsed.data;
    const run = await runCampaign(
      deps,
      campaignId,
      {
        settled: (leases) => {
          for (const l of leases) ctx.metrics.revocations.inc({ provider: l.provider, outcome: "revoked" });
        },
        cutFailed: (provider, target, error) =>
          ctx.logger.warn({ provider, target, error: error.message }, "target cut failed"),
        progress: async ({ ordered, matched }) => {
          await ctx.audit.drain();
          await job.updateProgress(Math.round((ordered / Math.max(matched, 1)) * 100));
        },
      },
      signal,
    );
    if (run.kind === "missing") throw new UnrecoverableError(`campaign ${campaignId} does not exist`);
    if (run.kind === "paused" && token) {
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    return `ordered ${run.ordered} of ${run.matched}`;
  };
}
