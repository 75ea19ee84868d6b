import { ceilingWithin } from "../ceiling.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { newId } from "../ids.js";
import type { CeilingIntent } from "../intent.js";
import type { LeaseState, ProviderName } from "../lease.js";
import { inheritedTaskQuota, type QuotaUsage, type TaskQuota, taskPool } from "../quota.js";
import { placeRoot, shardInId, taskShard, withShard } from "../shards.js";
import type { Task } from "../task.js";
import { bodyHash } from "./body-hash.js";
import type { BrokerDeps } from "./deps.js";

export interface RegisterTask {
  id: string | undefined;
  agent: string;
  ceiling: CeilingIntent[];
  ttlSeconds: number;
  parentId: string | undefined;
  labels: Record<string, string>;
  /** Limits on the leases of the task and its descendants; a sub-task's may only be lower than its ancestors'. */
  quota?: TaskQuota | undefined;
}

function isOperator(caller: WorkloadIdentity): boolean {
  return caller.roles.has("orchestrator") || caller.roles.has("security");
}

/**
 * Orchestrators register root tasks; an agent that owns an active task may delegate a sub-task whose ceiling is a
 * subset of its own and whose deadline is no later. Re-registering an id with the same body returns the task.
 */
export async function registerTask(deps: BrokerDeps, caller: WorkloadIdentity, input: RegisterTask) {
  const now = deps.clock.now();
  if (input.ttlSeconds > deps.config.maxTaskTtlSeconds) {
    throw new LeashError("invalid_request", `ttl_seconds may be at most ${deps.config.maxTaskTtlSeconds}`);
  }
  const deadline = now + input.ttlSeconds * 1000;
  let depth = 0;
  const named = input.id === undefined ? null : shardInId(input.id);
  let shard = named ?? placeRoot(deps.placement);
  if (input.parentId !== undefined) {
    // A parent the caller may not read is answered like a missing one, so task ids cannot be probed.
    const parent = await visibleTask(deps, caller, input.parentId);
    if (!caller.roles.has("orchestrator") && parent.agent !== caller.subject) {
      throw new LeashError(
        "forbidden",
        "only the parent task's agent or an orchestrator may delegate from it",
      );
    }
    if (parent.state !== "active")
      throw new LeashError("task_not_active", `parent task ${parent.id} is ${parent.state}`);
    if (!ceilingWithin(input.ceiling, parent.ceiling)) {
      throw new LeashError("ceiling_exceeded", "a sub-task's ceiling must be within its parent's ceiling");
    }
    if (deadline > parent.deadline) {
      const left = Math.max(0, Math.floor((parent.deadline - now) / 1000));
      throw new LeashError(
        "invalid_request",
        `ttl_seconds would outlive the parent task (at most ${left} s left)`,
      );
    }
    if (input.quota) await checkSubTaskQuota(deps, parent, input.quota);
    depth = parent.depth + 1;
    shard = taskShard(parent);
    if (depth > deps.config.maxDelegationDepth) {
      throw new LeashError(
        "forbidden",
        `delegation deeper than ${deps.config.maxDelegationDepth} levels is not allowed`,
      );
    }
  } else if (!caller.roles.has("orchestrator")) {
    throw new LeashError("forbidden", "registering a root task needs the orchestrator role");
  }

  const hash = bodyHash({ ...input, id: undefined });
  // An id of the generated form names its shard, and routing trusts it: it must name the one the task goes to.
  if (named !== null && (named !== shard || named >= (deps.placement?.open ?? 1))) {
    throw new LeashError(
      "invalid_request",
      `id: ids of the form tk_<25 characters>.<n> name a shard, and ${input.id} names one this task cannot go to`,
    );
  }
  const id = input.id ?? withShard(newId("tk", now), shard);
  const task: Task = {
    id,
    agent: input.agent,
    ceiling: input.ceiling,
    ttlSeconds: input.ttlSeconds,
    parentId: input.parentId ?? null,
    depth,
    labels: input.labels,
    state: "active",
    createdBy: caller.subject,
    createdAt: now,
    deadline,
    endedAt: null,
    bodyHash: hash,
    ...(input.quota ? { quota: input.quota } : {}),
    // An id that does not name the tree's shard (one an orchestrator chose) records it.
    ...((shardInId(id) ?? 0) !== shard ? { shard } : {}),
  };
  const outcome = await deps.tasks.create(task);
  if (!outcome.created && outcome.task.bodyHash !== hash) {
    throw new LeashError("conflict", `task ${task.id} is already registered with a different body`);
  }
  if (outcome.created) {
    await deps.audit.append({
      type: "task.registered",
      actor: caller.subject,
      agent: task.agent,
      taskId: task.id,
      outcome: "ok",
      detail: {
        ceiling: task.ceiling,
        deadline: task.deadline,
        parent_id: task.parentId,
        depth,
        ...(task.quota ? { quota: quotaWire(task.quota) } : {}),
      },
    });
  }
  return outcome;
}

async function visibleTask(deps: BrokerDeps, caller: WorkloadIdentity, taskId: string): Promise<Task> {
  const task = await deps.tasks.get(taskId);
  // Someone else's task is reported as missing, so ids cannot be probed.
  if (!task || !(isOperator(caller) || task.agent === caller.subject || task.createdBy === caller.subject)) {
    throw new LeashError("not_found", `task ${taskId} does not exist`);
  }
  return task;
}

export async function getTask(deps: BrokerDeps, caller: WorkloadIdentity, taskId: string) {
  const task = await visibleTask(deps, caller, taskId);
  const counts: Partial<Record<LeaseState, number>> = await deps.tasks.leaseCounts(taskId);
  // The task's own pool counts its descendants' leases too; without a quota of its own nothing counts them.
  const [usage] = task.quota ? await deps.leases.quotaUsage([taskPool(task)], deps.clock.now()) : [];
  const quotaUsage: Pick<QuotaUsage, "live" | "issued"> | null = usage
    ? { live: usage.live, issued: usage.issued }
    : null;
  return { task, counts, quotaUsage };
}

/** A sub-task's quota may only be lower than what its ancestors set, limit by limit (equal is not higher). */
async function checkSubTaskQuota(deps: BrokerDeps, parent: Task, quota: TaskQuota): Promise<void> {
  const ancestors: Task[] = [parent];
  for (let up = parent.parentId; up !== null && ancestors.length <= deps.config.maxDelegationDepth; ) {
    const task = await deps.tasks.get(up);
    if (!task) break;
    ancestors.push(task);
    up = task.parentId;
  }
  const bound = inheritedTaskQuota(ancestors);
  for (const [limit, max, own] of [
    ["max_live", bound.maxLive, quota.maxLive],
    ["max_issued", bound.maxIssued, quota.maxIssued],
  ] as const) {
    if (max !== undefined && own !== undefined && own > max)
      throw new LeashError(
        "invalid_request",
        `quota.${limit} may be at most ${max}, as the task's ancestors allow`,
      );
  }
}

/** A task quota as the API and the audit spell it. */
export function quotaWire(quota: TaskQuota): { max_live?: number; max_issued?: number } {
  return {
    ...(quota.maxLive !== undefined ? { max_live: quota.maxLive } : {}),
    ...(quota.maxIssued !== undefined ? { max_issued: quota.maxIssued } : {}),
  };
}

/** Completion and cancellation: idempotent; every live lease of the task and its sub-tasks is revoked. */
export async function endTask(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  taskId: string,
  state: "completed" | "cancelled",
) {
  const task = await visibleTask(deps, caller, taskId);
  if (
    !(caller.roles.has("orchestrator") || caller.roles.has("security") || task.createdBy === caller.subject)
  ) {
    throw new LeashError("forbidden", "only an orchestrator or the task's delegator may end it");
  }
  const now = deps.clock.now();
  const outcome = await deps.tasks.end(taskId, state, now, caller.subject, inStoreProviders(deps));
  if (!outcome) throw new LeashError("not_found", `task ${taskId} does not exist`);
  await deps.queue.revoke(
    outcome.revoking.map((leaseId) => ({ leaseId, reason: `task_${outcome.task.state}` })),
  );
  if (outcome.changed) {
    await deps.audit.append({
      type: `task.${state}`,
      actor: caller.subject,
      agent: task.agent,
      taskId,
      outcome: "ok",
      detail: { revoking: outcome.revoking.length + outcome.settled.length },
    });
  }
  return {
    task: outcome.task,
    revoking: outcome.revoking.length + outcome.settled.length,
    /** Of those, the leases this call ended at once (no revoke job: the caller counts them). */
    settled: outcome.settled.length,
  };
}

/** Providers whose credentials die with their lease's state: a task's end settles their leases itself. */
function inStoreProviders(deps: BrokerDeps): ProviderName[] {
  return [...deps.providers.values()].flatMap((p) => (p.revokesInStore ? [p.name] : []));
}
