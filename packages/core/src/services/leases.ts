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

/** The agent hands a credential back early. Idempotent. */
export async function returnLease(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  leaseId: string,
): Promise<Lease> {
  const lease = await getLease(deps, caller, leaseId);
  const reason = lease.agent === caller.subject ? "returned by agent" : "revoked by security";
  const due = await deps.leases.requestRevocation([{ leaseId, reason }], deps.clock.now());
  await deps.queue.revoke(due.map((id) => ({ leaseId: id, reason })));
  await deps.audit.append({
    type: "lease.returned",
    actor: caller.subject,
    agent: lease.agent,
    taskId: lease.taskId,
    leaseId,
    outcome: "ok",
  });
  return (await deps.leases.get(leaseId)) ?? lease;
}
