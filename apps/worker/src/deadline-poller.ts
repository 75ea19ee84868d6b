import { LEASH_ACTOR, liftLapsedSuspensions } from "@leash/core";
import type { WorkerContext } from "./context.js";

/** A claimed lease comes due again after this long if its revoke job is lost. */
const CLAIM_MS = 30_000;

/**
 * Drains the deadline index every LEASH_DEADLINE_POLL_MS into the revoke queue, ends tasks past their deadline, lifts
 * suspensions whose `until` has come (audited `agent.unsuspended`), and chains the receipts waiting in the audit
 * outbox.
 * A loop rather than BullMQ delayed jobs: delayed jobs are not promised to fire on time and cost ~2 KB each, while
 * one index entry costs tens of bytes and the claim in Lua lets any number of workers poll safely.
 */
export function startDeadlinePoller(ctx: WorkerContext): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function tick(): Promise<void> {
    const now = ctx.clock.now();
    for (;;) {
      const due = await ctx.store.leases.claimDue(now, 1000, CLAIM_MS);
      if (due.length === 0) break;
      await ctx.producers.revokeDue(due.map((leaseId) => ({ leaseId, reason: "deadline reached" })));
      if (due.length < 1000) break;
    }
    for (const taskId of await ctx.store.tasks.dueTasks(now, 100)) {
      const outcome = await ctx.store.tasks.end(taskId, "expired", now, LEASH_ACTOR);
      if (outcome)
        await ctx.producers.revoke(outcome.revoking.map((leaseId) => ({ leaseId, reason: "task_expired" })));
    }
    if (ctx.crossShard)
      await liftLapsedSuspensions({ suspensions: ctx.store.suspensions, audit: ctx.audit, clock: ctx.clock });
    // Receipts left in the outbox by any transition (a worker that died before chaining them included).
    await ctx.audit.drain();
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((error: Error) => ctx.logger.warn({ error: error.message }, "deadline poll failed; retrying"))
        .finally(schedule);
    }, ctx.env.LEASH_DEADLINE_POLL_MS);
  }
  schedule();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
