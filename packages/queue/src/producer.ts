import { LeashError, type RevocationQueue, type RevokeOrder } from "@leash/core";
import { type ConnectionOptions, Queue } from "bullmq";
import { type CampaignJob, QUEUES, REVOKE_ATTEMPTS, type RevokeJob } from "./queues.js";

export interface Producers extends RevocationQueue {
  startCampaign(campaignId: string): Promise<void>;
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export function createProducers(connection: ConnectionOptions, prefix: string): Producers {
  const revoke = new Queue<RevokeJob>(QUEUES.revoke, { connection, prefix });
  const campaign = new Queue<CampaignJob>(QUEUES.campaign, { connection, prefix });
  let closed = false;
  return {
    async revoke(orders: readonly RevokeOrder[]) {
      if (orders.length === 0) return;
      try {
        for (let i = 0; i < orders.length; i += 1000) {
          await revoke.addBulk(
            orders.slice(i, i + 1000).map((o) => ({
              name: "revoke",
              data: o.campaignId
                ? { leaseId: o.leaseId, reason: o.reason, campaignId: o.campaignId }
                : { leaseId: o.leaseId, reason: o.reason },
              // The lease id is the job id, so duplicate orders collapse into one job.
              opts: {
                jobId: o.leaseId,
                attempts: REVOKE_ATTEMPTS,
                backoff: { type: "capped" },
                removeOnComplete: true,
                // A failed job must not keep the lease id: the deadline index re-enqueues an overdue lease under
                // that id, which BullMQ ignores while a job with it exists.
                removeOnFail: true,
              },
            })),
          );
        }
      } catch (error) {
        // The deadline index still holds these leases as due, so the worker will pick them up anyway.
        throw new LeashError("store_unavailable", "could not enqueue revocation jobs", { cause: error });
      }
    },
    async startCampaign(campaignId) {
      await campaign.add(
        "campaign",
        { campaignId },
        {
          jobId: campaignId,
          attempts: 1000,
          backoff: { type: "exponential", delay: 500 },
          removeOnComplete: 1000,
        },
      );
    },
    async counts() {
      const [r, c] = await Promise.all([revoke.getJobCounts(), campaign.getJobCounts()]);
      return Object.fromEntries([
        ...Object.entries(r).map(([k, v]) => [`revoke_${k}`, v] as const),
        ...Object.entries(c).map(([k, v]) => [`campaign_${k}`, v] as const),
      ]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([revoke.close(), campaign.close()]);
    },
  };
}
