import type { AwaitingApproval, Issued } from "@leash/core";

/** The `POST /v1/leases` answer for an issuance outcome (also `/mcp`'s request_credential result). */
export function issuedView(outcome: Issued | AwaitingApproval) {
  if (outcome.kind === "approval") {
    const body = {
      approval_id: outcome.approval.id,
      state: "pending_approval" as const,
      expires_at: new Date(outcome.approval.expiresAt).toISOString(),
    };
    return { status: 202 as const, body };
  }
  const { lease, credential, replayed } = outcome;
  const body = {
    lease_id: lease.id,
    task_id: lease.taskId,
    provider: lease.provider,
    state: "active" as const,
    issued_at: new Date(lease.issuedAt).toISOString(),
    expires_at: new Date(lease.expiresAt).toISOString(),
    scope: lease.scope,
    credential: { ...credential },
  };
  return { status: replayed ? (200 as const) : (201 as const), body };
}
