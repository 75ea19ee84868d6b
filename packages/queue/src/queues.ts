import { z } from "zod";

/** Queue names shared by the API (producer) and the worker (consumer). */
export const QUEUES = {
  revoke: "revoke",
  campaign: "campaign",
  maintenance: "maintenance",
  reevaluation: "reevaluation",
} as const;

export const RevokeJob = z.strictObject({
  leaseId: z.string().min(1),
  reason: z.string().min(1),
  campaignId: z.string().optional(),
});
export type RevokeJob = z.infer<typeof RevokeJob>;

export const CampaignJob = z.strictObject({ campaignId: z.string().min(1) });
export type CampaignJob = z.infer<typeof CampaignJob>;

export const ReevaluationJob = z.strictObject({ reevaluationId: z.string().min(1) });
export type ReevaluationJob = z.infer<typeof ReevaluationJob>;

export const MaintenanceJob = z.strictObject({
  kind: z.enum(["reconcile", "prune", "trim_audit", "sweep_retention", "anchor_audit"]),
});
export type MaintenanceJob = z.infer<typeof MaintenanceJob>;

/**
 * Revocation is never dropped: a job retries (practically) forever with exponential backoff capped at
 * `REVOKE_BACKOFF_CAP_MS`; the lease shows `revoke_failed` meanwhile.
 */
export const REVOKE_ATTEMPTS = 1_000_000;
export const REVOKE_BACKOFF_BASE_MS = 200;
export const REVOKE_BACKOFF_CAP_MS = 30_000;

export function revokeBackoffMs(attemptsMade: number): number {
  const exp = REVOKE_BACKOFF_BASE_MS * 2 ** Math.min(Math.max(attemptsMade - 1, 0), 20);
  return Math.min(exp, REVOKE_BACKOFF_CAP_MS);
}

/** BullMQ keys share the store's hash tag so they stay in one cluster slot with the leases they concern. */
export function queuePrefix(storePrefix: string): string {
  return `${storePrefix}q`;
}
