import { type AwaitingApproval, type Issued, isLeashError } from "@leash/core";
import type { ApiContext } from "./context.js";

/** Counts and times every credential request by provider and outcome. */
export async function observeIssue(
  ctx: ApiContext,
  provider: string,
  issue: () => Promise<Issued | AwaitingApproval>,
): Promise<Issued | AwaitingApproval> {
  const end = ctx.metrics.issueDuration.startTimer({ provider });
  try {
    const outcome = await issue();
    const label = outcome.kind === "approval" ? "approval" : outcome.replayed ? "replayed" : "issued";
    ctx.metrics.issueRequests.inc({ provider, outcome: label });
    if (outcome.kind === "issued" && outcome.lease.breakGlass && !outcome.replayed)
      ctx.metrics.breakGlassLeases.inc();
    return outcome;
  } catch (error) {
    const denied = isLeashError(error) && error.status === 403;
    const quota = isLeashError(error) && error.code === "quota_exceeded" ? error.extensions : undefined;
    ctx.metrics.issueRequests.inc({
      provider,
      outcome: denied ? "denied" : quota ? "quota_exceeded" : "error",
    });
    if (quota) {
      // Task quotas are one label, not one per task: a label per task id would grow without bound.
      const id = String(quota.quota);
      ctx.metrics.quotaRefusals.inc({
        quota: id.startsWith("task:") ? "task" : id,
        limit: String(quota.limit),
      });
    }
    throw error;
  } finally {
    end();
  }
}
