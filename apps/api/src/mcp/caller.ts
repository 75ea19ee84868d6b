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

/** `task_id` defaults to the token's task. */
export function taskOf(grant: LeashGrant, taskId: string | undefined): string {
  const task = taskId ?? grant.taskId;
  if (!task) throw new LeashError("invalid_request", "task_id: required, the token names no task");
  return task;
}
