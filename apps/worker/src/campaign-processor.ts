import type { RevocationRequest } from "@leash/core";
import { CampaignJob } from "@leash/queue";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import { cutTargets, isCut } from "./campaign-cuts.js";
import type { WorkerContext } from "./context.js";

const CHUNK = 500;
const TERMINAL = new Set(["revoked", "aborted", "expired"]);

/**
 * Works through a campaign's frozen target list in chunks, saving its cursor after each one, so a worker that
 * dies or stops resumes where it left off. Leases already ended count as revoked. Leases already dead at their
 * provider (a whole-target cut, or task tokens, which die in the store) are ordered and settled in one script call
 * per chunk, receipts included; the others get a revoke job each. The call that counts the last lease ended audits
 * `revocation.completed`.
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
    const order = { cause: "campaign", actor: campaign.requestedBy, campaignId } as const;
    const reason = `campaign ${campaignId}`;
    while (campaign.ordered < campaign.matched) {
      if (ctx.stopping.value && token) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const ids = await ctx.store.campaigns.targets(campaignId, campaign.ordered, CHUNK);
      if (ids.length === 0) break;
      const leases = await ctx.store.leases.getMany(ids);
      const ended = new Set(leases.filter((l) => TERMINAL.has(l.state)).map((l) => l.id));
      const dead = leases.filter(
        (l) =>
          (l.state === "active" || l.state === "revoking" || l.state === "revoke_failed") &&
          (isCut(cut, l) || ctx.revoker.providers.get(l.provider)?.revokesInStore),
      );
      const settled = await ctx.store.leases.settleMany(
        dead.map((l): RevocationRequest => ({ leaseId: l.id, ...order })),
        Date.now(),
      );
      for (const id of settled) ended.add(id);
      for (const l of dead)
        if (ended.has(l.id)) ctx.metrics.revocations.inc({ provider: l.provider, outcome: "revoked" });
      const rest = ids.filter((id) => !ended.has(id));
      const due = await ctx.store.leases.requestRevocation(
        rest.map((leaseId): RevocationRequest => ({ leaseId, ...order })),
        Date.now(),
      );
      await ctx.producers.revoke(due.map((leaseId) => ({ leaseId, reason, campaignId })));
      // A lease that ended between the read and the order needs no job: count it here, or nothing ever would.
      const jobs = new Set(due);
      const unsure = rest.filter((id) => !jobs.has(id));
      for (const l of await ctx.store.leases.getMany(unsure)) if (TERMINAL.has(l.state)) ended.add(l.id);
      await ctx.store.campaigns.advance(campaignId, campaign.ordered + ids.length, [...ended]);
      campaign = { ...campaign, ordered: campaign.ordered + ids.length };
      await ctx.audit.drain();
      await job.updateProgress(Math.round((campaign.ordered / Math.max(campaign.matched, 1)) * 100));
    }
    // A campaign that matched nothing, or whose leases had all ended, is complete now.
    await ctx.store.campaigns.advance(campaignId, campaign.ordered, []);
    await ctx.audit.drain();
    return `ordered ${campaign.ordered} of ${campaign.matched}`;
  };
}
