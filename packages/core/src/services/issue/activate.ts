import { LeashError } from "../../errors.js";
import type { Lease } from "../../lease.js";
import type { MintedCredential } from "../../provider.js";
import type { Decided } from "./context.js";

/**
 * pending -> active, which schedules the lease's end. A revocation that arrived during the mint (task ended,
 * grant closed, campaign) wins: the fresh credential is revoked at once and never handed out.
 */
export async function activate(ctx: Decided, minted: MintedCredential): Promise<Lease> {
  const { deps, lease, task } = ctx;
  const outcome = await deps.leases.activate(lease.id, {
    taskId: task.id,
    handle: minted.handle,
    providerExpiresAt: minted.providerExpiresAt,
    scope: minted.scope,
  });
  if (outcome === "revoke") {
    await deps.queue.revoke([{ leaseId: lease.id, reason: "revoked while being issued" }]);
    throw await revokedWhileIssued(ctx);
  }
  // Kept in process memory a few minutes, so an idempotent replay returns exactly this credential.
  deps.replay.set(lease.id, minted.credential);
  return {
    ...lease,
    state: "active",
    handle: minted.handle,
    providerExpiresAt: minted.providerExpiresAt,
    scope: minted.scope,
  };
}

/** The refusal that names why the fresh credential was revoked (read only in this rare case). */
async function revokedWhileIssued({ deps, lease, task }: Decided): Promise<LeashError> {
  const cause = (await deps.leases.get(lease.id))?.revokeReason;
  if (cause === "ceiling_narrowed")
    return new LeashError(
      "ceiling_exceeded",
      `task ${task.id}'s ceiling was narrowed while the credential was being issued; it was revoked`,
    );
  if (cause === "agent_suspended")
    return new LeashError(
      "agent_suspended",
      "an identity this request depends on was suspended while the credential was being issued; it was revoked",
    );
  return new LeashError(
    "task_not_active",
    `task ${task.id} ended while the credential was being issued; it was revoked`,
  );
}
