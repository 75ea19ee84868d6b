import { CampaignJob } from "@leash/queue";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import { cutTargets, isCut } from "./campaign-cuts.js";
import type { WorkerContext } from "./context.js";

const CHUNK = 500;
const TERMINAL = new Set(["revoked", "aborted", "expired"]);

/**
 * Works through a campaign's frozen target list in chunks, saving its cursor after each one, so a worker that
 * dies or stops resumes where it left off. Leases already ended count as revoked.
 */
export function campaignProcessor(ctx: WorkerContext) {
  return async function processCampaign(job: Job, token?: string): Promise<string> {
    const parsed = CampaignJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed campaign job ${job.id}`);
    const { campaignId } = parsed.data;
    let campaign = await ctx.store.campaigns.get(campaignId);
    if (!campaign) throw new UnrecoverableError(`campaign ${campaignId} does not exist`);
    // Whole-target cuts first (one provider call per target), before any per-lease work.
    const firstChunk = await ctx.store.leases.getMany(
      await ctx.store.campaigns.targets(campaignId, 0, campaign.matched),
    );
    const cut = await cutTargets(ctx, campaignId, campaign.selector, campaign.createdAt, firstChunk);
    while (campaign.ordered < campaign.matched) {
      if (ctx.stopping.value && token) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const ids = await ctx.store.campaigns.targets(campaignId, campaign.ordered, CHUNK);
      const reason = `revocation ${campaignId}: ${campaign.reason}`;
      const settled = (await ctx.store.leases.getMany(ids)).filter(
        (l) =>
          l.state !== "pending" && (isCut(cut, l) || ctx.revoker.providers.get(l.provider)?.revokesInStore),
      );
      const viaCut = settled.map((l) => l.id);
      if (viaCut.length > 0) {
        // Dead at the provider already (target cut), or revoked by this very transition (task tokens).
        await ctx.store.leases.requestRevocation(viaCut.map((leaseId) => ({ leaseId, reason, campaignId })));
        await Promise.all(viaCut.map((id) => ctx.store.leases.markRevoked(id)));
        for (const l of settled) ctx.metrics.revocations.inc({ provider: l.provider, outcome: "revoked" });
      }
      const cutIds = new Set(viaCut);
      const due = await ctx.store.leases.requestRevocation(
        ids.filter((id) => !cutIds.has(id)).map((leaseId) => ({ leaseId, reason, campaignId })),
      );
      await ctx.producers.revoke(due.map((leaseId) => ({ leaseId, reason, campaignId })));
      const states = await ctx.store.leases.getMany(ids);
      const alreadyEnded = states.filter((l) => TERMINAL.has(l.state)).map((l) => l.id);
      await ctx.store.campaigns.advance(campaignId, campaign.ordered + ids.length, alreadyEnded);
      campaign = { ...campaign, ordered: campaign.ordered + ids.length };
      await job.updateProgress(Math.round((campaign.ordered / Math.max(campaign.matched, 1)) * 100));
      if (ids.length === 0) break;
    }
    return `ordered ${campaign.ordered} of ${campaign.matched}`;
  };
}
