import type { BreakGlass } from "../approval.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { newId } from "../ids.js";
import type { CeilingIntent } from "../intent.js";
import type { BrokerDeps } from "./deps.js";

export interface OpenBreakGlass {
  taskId: string;
  justification: string;
  ttlSeconds: number;
  ceiling: CeilingIntent[];
}

/**
 * The security team widens one task's ceiling for a short while. It expires by itself, every lease issued under it
 * is marked `break_glass`, and opening another is a new, separately audited act (never a silent renewal).
 */
export async function openBreakGlass(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  input: OpenBreakGlass,
): Promise<BreakGlass> {
  if (input.ttlSeconds > deps.config.maxBreakGlassSeconds) {
    throw new LeashError(
      "invalid_request",
      `ttl_seconds may be at most ${deps.config.maxBreakGlassSeconds} for break-glass`,
    );
  }
  const task = await deps.tasks.get(input.taskId);
  if (!task) throw new LeashError("not_found", `task ${input.taskId} does not exist`);
  if (task.state !== "active") throw new LeashError("task_not_active", `task ${task.id} is ${task.state}`);
  const now = deps.clock.now();
  const previous = await deps.breakGlass.current(task.id, now);
  const grant: BreakGlass = {
    id: newId("ap", now).replace(/^ap_/, "bg_"),
    taskId: task.id,
    ceiling: input.ceiling,
    justification: input.justification,
    openedBy: caller.subject,
    openedAt: now,
    expiresAt: Math.min(now + input.ttlSeconds * 1000, task.deadline),
  };
  await deps.breakGlass.open(grant);
  await deps.audit.append({
    type: "break_glass.opened",
    actor: caller.subject,
    agent: task.agent,
    taskId: task.id,
    outcome: "warning",
    detail: {
      break_glass_id: grant.id,
      justification: grant.justification,
      ceiling: grant.ceiling,
      expires_at: grant.expiresAt,
      ...(previous ? { replaces: previous.id } : {}),
    },
  });
  return grant;
}
