import { LeashError, type WorkloadIdentity } from "@leash/core";
import type { LeashGrant } from "@leash/resource-kit";
import type { ApiContext } from "../context.js";

/**
 * The agent a /mcp token speaks for, with the agent role only: the token was issued for an agent's session, so
 * an identity that also holds the security or orchestrator role gets none of those powers through it.
 */
export function agentCaller(
  ctx: Pick<ApiContext, "rolesOf" | "publicUrl">,
  grant: LeashGrant,
): WorkloadIdentity {
  if (!ctx.rolesOf(grant.agent).has("agent"))
    throw new LeashError("forbidden", "the token's subject does not hold the agent role");
  return {
    subject: grant.agent,
    issuer: ctx.publicUrl,
    roles: new Set(["agent"] as const),
    expiresAt: grant.expiresAt * 1000,
  };
}

/**
 * The token's task: a token is a lease of one task, so its tools act under that task only (a stolen token must
 * not reach the agent's other tasks). `task_id`, if sent, must name it; another is answered as an unknown task.
 */
export function taskOf(grant: LeashGrant, taskId: string | undefined): string {
  const task = taskId ?? grant.taskId;
  if (!task) throw new LeashError("invalid_request", "task_id: required, the token names no task");
  if (grant.taskId && task !== grant.taskId) throw new LeashError("not_found", `task ${task} does not exist`);
  return task;
}
