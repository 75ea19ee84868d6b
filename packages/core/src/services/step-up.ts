import type { Approval } from "../approval.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { newId } from "../ids.js";
import type { PolicyDecision } from "../policy.js";
import type { IdempotencyRecord } from "../ports.js";
import type { BrokerDeps } from "./deps.js";
import type { IssueRequest } from "./issue-lease.js";

export type StepUp =
  | { kind: "proceed"; approvalId: string | null }
  | { kind: "wait"; approval: Approval }
  /** The request was approved and issued already under this Idempotency-Key: its lease is replayed. */
  | { kind: "replay"; approvalId: string; earlier: IdempotencyRecord };

/**
 * A permit that carries `@approval("required")` needs a person first. The agent's retry with the same body (or a
 * redeem) finds the approval: pending -> wait again, denied -> 403, approved -> proceed (once), expired -> a new one.
 * A retry under the Idempotency-Key whose request spent the approval replays that request's lease.
 */
export async function stepUp(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  request: IssueRequest,
  requestHash: string,
  decision: PolicyDecision | undefined,
  now: number,
  leaseId: string,
  /** The policy decision's audit detail (its request and obligations), recorded with the approval request. */
  policyDetail: Readonly<Record<string, unknown>> = {},
  idempotencyKey?: string,
): Promise<StepUp> {
  if (!decision?.approvalRequired) return { kind: "proceed", approvalId: null };
  const existing = await deps.approvals.findByRequest(caller.subject, requestHash);
  if (existing?.state === "redeemed" && existing.leaseId !== null && idempotencyKey !== undefined) {
    const earlier = await deps.leases.idempotencyRecord(caller.subject, idempotencyKey);
    if (earlier?.leaseId === existing.leaseId) return { kind: "replay", approvalId: existing.id, earlier };
  }
  if (existing?.state === "pending") return { kind: "wait", approval: existing };
  if (existing?.state === "approved") {
    if (!(await deps.approvals.redeem(existing.id, leaseId))) return { kind: "wait", approval: existing };
    return { kind: "proceed", approvalId: existing.id };
  }
  if (existing?.state === "denied") {
    throw new LeashError("policy_denied", `approval ${existing.id} was denied by ${existing.decidedBy}`, {
      reasons: [...decision.reasons, `approval ${existing.id} denied`],
    });
  }
  const approval: Approval = {
    id: newId("ap", now),
    agent: caller.subject,
    taskId: request.taskId,
    provider: request.provider,
    target: request.target ?? null,
    intent: request.intent,
    ttlSeconds: request.ttlSeconds,
    requestHash,
    state: "pending",
    reasons: decision.reasons,
    createdAt: now,
    expiresAt: now + deps.config.approvalTtlSeconds * 1000,
    decidedBy: null,
    decidedAt: null,
    leaseId: null,
  };
  await deps.approvals.create(approval);
  await deps.audit.append({
    type: "approval.requested",
    actor: caller.subject,
    agent: caller.subject,
    taskId: request.taskId,
    outcome: "warning",
    detail: {
      approval_id: approval.id,
      intent: request.intent,
      provider: request.provider,
      reasons: decision.reasons,
      ...policyDetail,
    },
  });
  return { kind: "wait", approval };
}

/** The security team decides; nobody decides on their own request, and a decision is final. */
export async function decideApproval(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  approvalId: string,
  verdict: "approved" | "denied",
): Promise<Approval> {
  const approval = await deps.approvals.get(approvalId);
  if (!approval) throw new LeashError("not_found", `approval ${approvalId} does not exist`);
  if (approval.agent === caller.subject) {
    throw new LeashError("forbidden", "an identity can never approve or deny its own request");
  }
  if (approval.state !== "pending")
    throw new LeashError("conflict", `approval ${approvalId} is ${approval.state}`);
  const now = deps.clock.now();
  if (!(await deps.approvals.decide(approvalId, verdict, caller.subject, now))) {
    throw new LeashError("conflict", `approval ${approvalId} was decided meanwhile`);
  }
  await deps.audit.append({
    type: `approval.${verdict}`,
    actor: caller.subject,
    agent: approval.agent,
    taskId: approval.taskId,
    outcome: verdict === "approved" ? "warning" : "denied",
    detail: { approval_id: approvalId },
  });
  return { ...approval, state: verdict, decidedBy: caller.subject, decidedAt: now };
}
