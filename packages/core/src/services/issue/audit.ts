import type { AuditEvent } from "../../audit.js";
import type { Decided, IssueContext, Loaded } from "./context.js";
import { readAgain } from "./load.js";

/**
 * `lease.denied`: the request as asked, why it was refused, and the policy decision when there was one. Nothing is
 * refused on task records from the process's memory: the issuance starts again reading them (`readAgain`), and the
 * refusal, if it still stands, is audited then.
 */
export async function deny(
  ctx: IssueContext | Loaded,
  reasons: string[],
  policyDetail: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  if ("cached" in ctx && ctx.cached) readAgain(ctx, "refused on cached task records");
  const { deps, caller, request } = ctx;
  await deps.audit.append({
    type: "lease.denied",
    actor: caller.subject,
    agent: caller.subject,
    taskId: request.taskId,
    outcome: "denied",
    detail: {
      provider: request.provider,
      target: request.target ?? null,
      intent: request.intent,
      reasons,
      ...policyDetail,
    },
  });
}

/** `lease.issued`: a warning when it needed a break-glass grant; never the credential itself. */
export async function auditIssued(ctx: Decided): Promise<void> {
  const { deps, caller, task, lease, decision, approvalId, chain, policyDetail } = ctx;
  const event: AuditEvent = {
    type: "lease.issued",
    actor: caller.subject,
    agent: caller.subject,
    taskId: task.id,
    leaseId: lease.id,
    outcome: lease.breakGlass ? "warning" : "ok",
    detail: {
      provider: lease.provider,
      target: lease.target,
      intent: lease.intent,
      expires_at: lease.expiresAt,
      reasons: decision?.reasons ?? [],
      ...(lease.breakGlass ? { break_glass: true } : {}),
      ...(approvalId ? { approval_id: approvalId } : {}),
      ...(chain.length > 0 ? { chain } : {}),
      ...policyDetail,
    },
  };
  await deps.audit.append(event);
}
