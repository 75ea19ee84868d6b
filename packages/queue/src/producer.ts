import { LeashError, type RevocationQueue, type RevokeOrder } from "@leash/core";
import { type ConnectionOptions, Queue } from "bullmq";
import { type CampaignJob, QUEUES, REVOKE_ATTEMPTS, type ReevaluationJob, type RevokeJob } from "./queues.js";

/** A lease's revoke job (id = the lease id) as BullMQ holds it. */
export interface RevokeJobState {
  /** `active`, `waiting`, `delayed`, `prioritized`, ...; a lease without a job has no entry. */
  state: string;
  /** When a worker took it (epoch ms), if one has. */
  processedOn: number | null;
}

/** What the queues hold, for metrics. */
export interface QueueStats {
  /**
   * Jobs by queue and state (`waiting`, `active`, `delayed`, `prioritized`, `waiting-children`, `completed`,
   * `failed`). BullMQ 6 has no `paused` state: the jobs of a paused queue count as `waiting`.
   */
  jobs: { queue: string; state: string; count: number }[];
  /** Whether each queue is paused (its jobs then wait and no worker takes them), by queue name. */
  paused: Record<string, boolean>;
}

export interface Producers extends RevocationQueue {
  /** The revoke job of each lease that has one. */
  revokeJobs(leaseIds: readonly string[]): Promise<Map<string, RevokeJobState>>;
  /**
   * Runs revocations again at once under fresh job ids (`<lease id>-<tag>`, so one per tag), once each: for leases
   * whose job is held by a worker that died, or was put back as active by a failover that undid its completion, and
   * would otherwise wait for its lock to lapse. Harmless beside the original job: ending a lease is idempotent.
   */
  rerunRevocations(orders: readonly RevokeOrder[], tag: string): Promise<void>;
  /**
   * The deadline index's due leases: a job for each that has none. A lease ordered revoked is due at once, so the
   * poller claims it a moment after the order queued its job; BullMQ would drop the duplicate, but inside its add
   * script (about 8 Redis commands), where one read of the job finds it first.
   */
  revokeDue(orders: readonly RevokeOrder[]): Promise<void>;
  startCampaign(campaignId: string): Promise<void>;
  /** Queues a re-evaluation (job id = its id, so a duplicate start collapses). */
  startReevaluation(reevaluationId: string): Promise<void>;
  stats(): Promise<QueueStats>;
  close(): Promise<void>;
}

export function createProducers(connection: ConnectionOptions, prefix: string): Producers {
  const revoke = new Queue<RevokeJob>(QUEUES.revoke, { connection, prefix });
  const campaign = new Queue<CampaignJob>(QUEUES.campaign, { connection, prefix });
  const reevaluation = new Queue<ReevaluationJob>(QUEUES.reevaluation, { connection, prefix });
  let closed = false;
  async function addRevocations(orders: readonly RevokeOrder[]) {
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
  }
  return {
    revoke: addRevocations,
    async revokeJobs(leaseIds) {
      const out = new Map<string, RevokeJobState>();
      for (const id of leaseIds) {
        const job = await revoke.getJob(id);
        if (!job) continue;
        const state = await job.getState();
        if (state !== "unknown") out.set(id, { state, processedOn: job.processedOn ?? null });
      }
      return out;
    },
    async rerunRevocations(orders, tag) {
      if (orders.length === 0) return;
      try {
        await revoke.addBulk(
          orders.map((o) => ({
            name: "revoke",
            data: { leaseId: o.leaseId, reason: o.reason },
            // One attempt: if it fails, the lease shows revoke_failed and its own job (or the deadline index) retries.
            opts: { jobId: `${o.leaseId}-${tag}`, attempts: 1, removeOnComplete: true, removeOnFail: true },
          })),
        );
      } catch (error) {
        throw new LeashError("store_unavailable", "could not enqueue revocation jobs", { cause: error });
      }
    },
    async revokeDue(orders) {
      const jobs = await Promise.all(orders.map((o) => revoke.getJob(o.leaseId))).catch(() => undefined);
      // Could not look: add them all, duplicates collapsing as before.
      await addRevocations(jobs ? orders.filter((_, i) => jobs[i] === undefined) : orders);
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
    async startReevaluation(reevaluationId) {
      await reevaluation.add(
        "reevaluation",
        { reevaluationId },
        {
          jobId: reevaluationId,
          attempts: 1000,
          backoff: { type: "exponential", delay: 500 },
          removeOnComplete: 1000,
          removeOnFail: 1000,
        },
      );
    },
    async stats() {
      const queues = [revoke, campaign, reevaluation];
      const [counts, paused] = await Promise.all([
        Promise.all(queues.map((q) => q.getJobCounts())),
        Promise.all(queues.map((q) => q.isPaused())),
      ]);
      return {
        jobs: queues.flatMap((q, i) =>
          Object.entries(counts[i] ?? {}).map(([state, count]) => ({ queue: q.name, state, count })),
        ),
        paused: Object.fromEntries(queues.map((q, i) => [q.name, paused[i] === true])),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([revoke.close(), campaign.close(), reevaluation.close()]);
    },
  };
}
