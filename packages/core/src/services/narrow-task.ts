import { ceilingWithin, intentWithinCeiling } from "../ceiling.js";
import { effectiveCeiling } from "../effective-ceiling.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import type { CeilingIntent } from "../intent.js";
import type { Lease } from "../lease.js";
import { isSession } from "../oauth/session.js";
import type { Task } from "../task.js";
import type { BrokerDeps } from "./deps.js";

/** Another change landing between the read and the write sends the narrowing round again, this many times. */
const ATTEMPTS = 5;

export interface NarrowedTask {
  task: Task;
  /** Live leases of the task and its descendants this narrowing revoked. */
  revoking: number;
}

/**
 * The orchestrator may narrow any task, the agent of a parent task its direct sub-tasks. Any other agent is
 * answered as for an unknown task (ids cannot be probed), any other caller is forbidden.
 */
async function narrowableTask(deps: BrokerDeps, caller: WorkloadIdentity, taskId: string): Promise<Task> {
  const task = await deps.tasks.get(taskId);
  if (!task) throw new LeashError("not_found", `task ${taskId} does not exist`);
  if (caller.roles.has("orchestrator")) return task;
  const parent = task.parentId === null ? null : await deps.tasks.get(task.parentId);
  if (parent && parent.agent === caller.subject) return task;
  if (caller.roles.has("agent") && !caller.roles.has("security"))
    throw new LeashError("not_found", `task ${taskId} does not exist`);
  throw new LeashError(
    "forbidden",
    "only an orchestrator, or the agent of the parent task, may narrow a task's ceiling",
  );
}

/**
 * The task's effective ceiling: its own intersected with every ancestor's (`GET /v1/tasks/{id}` shows it). A root
 * task's is its own, read from nothing more.
 */
export async function effectiveCeilingOf(deps: BrokerDeps, task: Task): Promise<CeilingIntent[]> {
  const ceilings: CeilingIntent[][] = [];
  let parentId = task.parentId;
  while (parentId !== null && ceilings.length <= deps.config.maxDelegationDepth) {
    const parent = await deps.tasks.get(parentId);
    if (!parent) break;
    ceilings.push(parent.ceiling);
    parentId = parent.parentId;
  }
  return effectiveCeiling(task.ceiling, ceilings);
}

/** A lease outside the new ceiling is revoked; one issued under break-glass belongs to its grant, which ends it. */
function outsideOf(ceiling: readonly CeilingIntent[]) {
  return (lease: Lease) =>
    !lease.breakGlass && !isSession(lease) && !intentWithinCeiling(lease.intent, ceiling);
}

/**
 * `PATCH /v1/tasks/{id}`: narrowing only. The new ceiling must be within the current one by the sub-task rule
 * (equal is accepted and revokes nothing); the store replaces it, then orders the revocation of every live lease of
 * the task and its descendants now outside it (cause `ceiling_narrowed`); issuance aborts what is written later.
 */
export async function narrowTask(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  taskId: string,
  ceiling: CeilingIntent[],
): Promise<NarrowedTask> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const task = await narrowableTask(deps, caller, taskId);
    const now = deps.clock.now();
    if (task.state !== "active" || task.deadline <= now) {
      throw new LeashError(
        "task_not_active",
        `task ${taskId} is ${task.state === "active" ? "past its deadline" : task.state}`,
      );
    }
    if (!ceilingWithin(ceiling, task.ceiling)) {
      throw new LeashError(
        "ceiling_exceeded",
        "a task's ceiling may only be narrowed: the new one must be within the current one",
      );
    }
    const outcome = await deps.tasks.narrow({
      taskId,
      from: task.ceiling,
      to: ceiling,
      at: now,
      actor: caller.subject,
      outside: outsideOf(ceiling),
    });
    if (!outcome) throw new LeashError("not_found", `task ${taskId} does not exist`);
    if (outcome.kind === "changed") continue;
    if (outcome.kind === "not_active")
      throw new LeashError("task_not_active", `task ${taskId} is ${outcome.task.state}`);
    await deps.queue.revoke(outcome.due.map((leaseId) => ({ leaseId, reason: "ceiling_narrowed" })));
    if (outcome.revoked.length > 0 || JSON.stringify(task.ceiling) !== JSON.stringify(ceiling)) {
      await deps.audit.append({
        type: "task.narrowed",
        actor: caller.subject,
        agent: task.agent,
        taskId,
        outcome: "ok",
        detail: { from: task.ceiling, to: ceiling, revoking: outcome.revoked.length },
      });
    }
    return { task: outcome.task, revoking: outcome.revoked.length };
  }
  throw new LeashError("conflict", `the ceiling of task ${taskId} kept changing; read it again and retry`);
}
