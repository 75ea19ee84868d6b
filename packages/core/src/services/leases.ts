import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import type { Lease } from "../lease.js";
import type { BrokerDeps } from "./deps.js";

/** The owner agent or the security team may see a lease; to anyone else it does not exist. */
export async function getLease(deps: BrokerDeps, caller: WorkloadIdentity, leaseId: string): Promise<Lease> {
  const lease = await deps.leases.get(leaseId);
  if (!lease || !(lease.agent === caller.subject || caller.roles.has("security"))) {
    throw new LeashError("not_found", `lease ${leaseId} does not exist`);
  }
  return lease;
}

/**
 * The agent hands a credential back early (cause `returned`), or the security team revokes it (cause `security`,
 * from the API or the console). Idempotent: a lease already being revoked keeps its first order.
 */
export async function returnLease(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  leaseId: string,
): Promise<Lease> {
  const lease = await getLease(deps, caller, leaseId);
  const cause = lease.agent === caller.subject ? "returned" : "security";
  const now = deps.clock.now();
  const due = await deps.leases.requestRevocation([{ leaseId, cause, actor: caller.subject }], now);
  await deps.queue.revoke(due.map((id) => ({ leaseId: id, reason: cause })));
  await deps.audit.append({
    type: cause === "returned" ? "lease.returned" : "lease.revocation_ordered",
    actor: caller.subject,
    agent: lease.agent,
    taskId: lease.taskId,
    leaseId,
    outcome: "ok",
    cause,
    orderedAt: now,
  });
  return (await deps.leases.get(leaseId)) ?? lease;
}
