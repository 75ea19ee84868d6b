import { LeashError } from "./errors.js";
import type { ProviderName } from "./lease.js";
import type { Task } from "./task.js";

/**
 * A quota of the trust file (API.md "Quotas, precisely"): a counter over the leases its `match` selects, not a
 * decision, so it never goes through Cedar. Every criterion given must hold; none given selects every lease.
 */
export interface Quota {
  id: string;
  match: { agent?: string; agentPrefix?: string; provider?: ProviderName; target?: string };
  /** Each agent is its own pool instead of the matching leases sharing one. */
  perAgent: boolean;
  maxLive?: number;
  maxPerMinute?: number;
}

/** A task's own quota, on the task and every task descending from it. */
export interface TaskQuota {
  maxLive?: number;
  maxIssued?: number;
}

export type QuotaLimit = "max_live" | "max_per_minute" | "max_issued";

/** How long a lease counts towards `max_per_minute` after its write-ahead (a sliding window). */
export const QUOTA_WINDOW_MS = 60_000;

/**
 * One pool a new lease counts in, with the limits to check before it is written ahead. A counter without `max` is
 * kept but never refuses (the sum over a per-agent quota's agents, for metrics).
 */
export interface QuotaPool {
  /** The quota as a refusal names it: its id, or `task:<task id>`. */
  quota: string;
  /** What the counters are kept under: the quota id, the id and the agent (per agent), or `task:<task id>`. */
  pool: string;
  /** Counted while the lease is pending, active, revoking or revoke_failed. */
  live?: { max?: number };
  /** Counted for QUOTA_WINDOW_MS after the write-ahead, unless aborted. */
  perMinute?: { max?: number };
  /** Counted for good unless aborted, on the task's own record (so it goes with the task). */
  issued?: { max?: number; taskId: string };
}

/** How full a pool is now (0 for a counter the pool does not keep). */
export interface QuotaUsage {
  live: number;
  perMinute: number;
  issued: number;
}

export interface QuotaRefusal {
  quota: string;
  limit: QuotaLimit;
  max: number;
  /** Whole seconds until a slot frees, when that is known (rate quotas). */
  retryAfterSeconds?: number;
}

/** What a quota's match looks at: the lease's agent, provider and target. */
export interface QuotaSubject {
  agent: string;
  provider: ProviderName;
  target: string | null;
}

export function quotaMatches(quota: Quota, lease: QuotaSubject): boolean {
  const m = quota.match;
  return (
    (m.agent === undefined || lease.agent === m.agent) &&
    (m.agentPrefix === undefined || lease.agent.startsWith(m.agentPrefix)) &&
    (m.provider === undefined || lease.provider === m.provider) &&
    (m.target === undefined || lease.target === m.target)
  );
}

/** Whether a quota can count leases of this agent: its agent criteria select it (provider and target aside). */
export function quotaBindsAgent(quota: Quota, agent: string): boolean {
  const m = quota.match;
  return (
    (m.agent === undefined || m.agent === agent) &&
    (m.agentPrefix === undefined || agent.startsWith(m.agentPrefix))
  );
}

const counters = (quota: Quota): Pick<QuotaPool, "live" | "perMinute"> => ({
  ...(quota.maxLive !== undefined ? { live: { max: quota.maxLive } } : {}),
  ...(quota.maxPerMinute !== undefined ? { perMinute: { max: quota.maxPerMinute } } : {}),
});

/**
 * A trust-file quota's pools for one agent: the one pool, or (per agent) the agent's, plus the quota's live total
 * kept without a limit for metrics. No total of the per-minute windows is kept: it would double their cost (a
 * sorted set of every write-ahead of the last minute) for a figure no limit needs.
 */
export function poolsOfQuota(quota: Quota, agent: string): QuotaPool[] {
  if (!quota.perAgent) return [{ quota: quota.id, pool: quota.id, ...counters(quota) }];
  const own: QuotaPool = { quota: quota.id, pool: agentPool(quota, agent), ...counters(quota) };
  return quota.maxLive === undefined ? [own] : [own, { quota: quota.id, pool: quota.id, live: {} }];
}

export function agentPool(quota: Quota, agent: string): string {
  return quota.perAgent ? `${quota.id}\n${agent}` : quota.id;
}

/** A task's pool: its leases and its descendants', live and issued, whichever limits it sets. */
export function taskPool(task: Pick<Task, "id" | "quota">): QuotaPool {
  const quota = task.quota ?? {};
  return {
    quota: `task:${task.id}`,
    pool: `task:${task.id}`,
    live: quota.maxLive === undefined ? {} : { max: quota.maxLive },
    issued: quota.maxIssued === undefined ? { taskId: task.id } : { max: quota.maxIssued, taskId: task.id },
  };
}

/**
 * Every pool a new lease counts in: each matching trust-file quota, and the quota of its task and of every
 * ancestor task that has one (`tasks`: the lease's task first, then its ancestors).
 */
export function quotaPools(
  quotas: readonly Quota[],
  lease: QuotaSubject,
  tasks: readonly Pick<Task, "id" | "quota">[],
): QuotaPool[] {
  const pools = quotas.filter((q) => quotaMatches(q, lease)).flatMap((q) => poolsOfQuota(q, lease.agent));
  for (const task of tasks) if (task.quota) pools.push(taskPool(task));
  return pools;
}

const WHAT: Record<QuotaLimit, string> = {
  max_live: "live leases",
  max_per_minute: "leases per minute",
  max_issued: "leases issued",
};

/** The `429 quota_exceeded` of a refusal; its body names the quota, the limit and the maximum. */
export function quotaExceeded(refusal: QuotaRefusal): LeashError {
  return new LeashError(
    "quota_exceeded",
    `quota ${refusal.quota} allows at most ${refusal.max} ${WHAT[refusal.limit]}`,
    {
      extensions: { quota: refusal.quota, limit: refusal.limit, max: refusal.max },
      ...(refusal.retryAfterSeconds !== undefined ? { retryAfterSeconds: refusal.retryAfterSeconds } : {}),
    },
  );
}

/** The lowest limit a task's ancestors set (a sub-task may set its own only within it), by limit. */
export function inheritedTaskQuota(ancestors: readonly Pick<Task, "quota">[]): TaskQuota {
  const out: TaskQuota = {};
  for (const { quota } of ancestors) {
    if (quota?.maxLive !== undefined) out.maxLive = Math.min(out.maxLive ?? quota.maxLive, quota.maxLive);
    if (quota?.maxIssued !== undefined)
      out.maxIssued = Math.min(out.maxIssued ?? quota.maxIssued, quota.maxIssued);
  }
  return out;
}
