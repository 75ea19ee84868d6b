import type { AuditEvent } from "../../audit.js";
import type { Decided, IssueContext } from "./context.js";

/** `lease.denied`: the request as asked, why it was refused, and the policy decision when there was one. */
export async function deny(
  { deps, caller, request }: IssueContext,
  reasons: string[],
  policyDetail: Readonly<Record<string, unknown>> = {},
): Promise<void> {
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
