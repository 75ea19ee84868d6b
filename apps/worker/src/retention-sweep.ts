import type { SweepResult } from "@leash/store";
import type { WorkerContext } from "./context.js";

/** A sweep stops starting batches after this, so it never holds the maintenance queue (the reconciler) for long. */
const BUDGET_MS = 2_000;

/**
 * How often the sweep runs: a tenth of the retention, between 1 s and a minute. An ended record is gone within
 * LEASH_LEASE_RETENTION_SECONDS plus this (plus the time a backlog takes, in budgeted runs).
 */
export function sweepIntervalMs(retentionSeconds: number): number {
  return Math.min(60_000, Math.max(1_000, retentionSeconds * 100));
}

/**
 * Applies LEASH_LEASE_RETENTION_SECONDS: ended leases and tasks, completed campaigns and their index entries go
 * once older than it (live ones never do). Their receipts and everything else worth keeping longer are in the
 * audit log, trimmed by its own retention.
 */
export function retentionSweeper(ctx: WorkerContext) {
  return async function sweepNow(): Promise<SweepResult> {
    const cutoff = ctx.clock.now() - ctx.env.LEASH_LEASE_RETENTION_SECONDS * 1000;
    const result = await ctx.store.retention.sweep(cutoff, BUDGET_MS);
    if (result.leases + result.tasks + result.campaigns + result.approvals > 0 || result.more)
      ctx.logger.debug({ ...result }, "ended records past their retention removed");
    return result;
  };
}
