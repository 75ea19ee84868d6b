import type { AuditSink } from "../audit.js";
import type { Clock } from "../clock.js";
import { LeashError } from "../errors.js";
import { LEASH_ACTOR, type Lease, type ProviderName } from "../lease.js";
import type { LeaseStore } from "../ports.js";
import type { CredentialProvider, RevokeRequest, TargetCut } from "../provider.js";

export interface RevokerDeps {
  leases: LeaseStore;
  providers: ReadonlyMap<ProviderName, CredentialProvider>;
  audit: AuditSink;
  clock: Clock;
  timeoutMs: number;
}

export type RevokeOutcomeKind = "revoked" | "expired" | "already_ended" | "pending" | "not_due" | "missing";

export interface RevokeResult {
  kind: RevokeOutcomeKind;
  /** Campaign the lease was counted under, when this call ended it. */
  campaignId: string | null;
  /** The lease had been `revoke_failed` before this call ended it. */
  recovered: boolean;
  /** Other leases ended because the provider cut a whole target. */
  cutLeases: number;
  provider: ProviderName | null;
  /** From the revocation order (or the lease's expiry) to this confirmation, when this call ended the lease. */
  latencyMs: number | null;
}

export function revokeRequestOf(lease: Lease): RevokeRequest {
  return {
    leaseId: lease.id,
    taskId: lease.taskId,
    agent: lease.agent,
    target: lease.target,
    handle: lease.handle,
    issuedAt: lease.issuedAt,
    providerExpiresAt: lease.providerExpiresAt,
  };
}

function result(kind: RevokeOutcomeKind, extra: Partial<RevokeResult> = {}): RevokeResult {
  return {
    kind,
    campaignId: null,
    recovered: false,
    cutLeases: 0,
    provider: null,
    latencyMs: null,
    ...extra,
  };
}

/**
 * One revocation step, safe to repeat: ends an expired lease (at the provider too when its credential outlives the
 * lease), or revokes a lease in `revoking`/`revoke_failed`. A provider failure marks the lease `revoke_failed` and
 * rethrows so the queue backs off and retries. The receipt of the end is written by the store's transition itself
 * (`settle`), so a repeated step never writes a second one.
 */
export async function revokeLease(
  deps: RevokerDeps,
  leaseId: string,
  /** Aborts the provider call in flight (the job was cancelled); the lease then reads `revoke_failed`. */
  signal?: AbortSignal,
): Promise<RevokeResult> {
  const lease = await deps.leases.get(leaseId);
  if (!lease) return result("missing");
  const now = deps.clock.now();
  switch (lease.state) {
    case "revoked":
    case "aborted":
    case "expired":
      return result("already_ended");
    case "pending":
      // Activation sees the order and revokes; a lease stuck pending is the reconciler's.
      return result("pending");
    case "active": {
      if (now < lease.expiresAt) return result("not_due");
      if (lease.providerExpiresAt === null || lease.providerExpiresAt <= now) {
        const campaign = await deps.leases.settle(lease.id, now, "expired");
        if (campaign === null) return result("already_ended");
        return result("expired", { provider: lease.provider, latencyMs: now - lease.expiresAt });
      }
      // The credential outlives the lease at its provider: revoke it there, as ordered by the lease's expiry.
      await deps.leases.requestRevocation(
        [{ leaseId, cause: "expired", actor: LEASH_ACTOR }],
        lease.expiresAt,
      );
      return revokeAtProvider(
        deps,
        { ...lease, state: "revoking", revokeReason: "expired", revokeRequestedAt: lease.expiresAt },
        signal,
      );
    }
    case "revoking":
    case "revoke_failed":
      return revokeAtProvider(deps, lease, signal);
  }
}

async function revokeAtProvider(
  deps: RevokerDeps,
  lease: Lease,
  signal?: AbortSignal,
): Promise<RevokeResult> {
  const provider = deps.providers.get(lease.provider);
  if (!provider)
    throw new LeashError("internal", `provider ${lease.provider} is not configured in this worker`, {
      retry: true,
    });
  let cut: TargetCut | undefined;
  try {
    const timeout = AbortSignal.timeout(deps.timeoutMs);
    const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
    ({ cut } = await provider.revoke(revokeRequestOf(lease), bounded));
  } catch (error) {
    const known =
      error instanceof LeashError
        ? error
        : new LeashError("provider_unavailable", `${provider.name}: revoke failed`, { cause: error });
    const first = await deps.leases.markRevokeFailed(lease.id, known.message);
    if (first) {
      await deps.audit.append({
        type: "lease.revoke_failed",
        actor: null,
        agent: lease.agent,
        taskId: lease.taskId,
        leaseId: lease.id,
        outcome: "failed",
        detail: { provider: lease.provider, code: known.code, error: known.message },
      });
    }
    throw known;
  }
  const now = deps.clock.now();
  const campaignId = await deps.leases.settle(
    lease.id,
    now,
    "revoked",
    cut ? { target_cut: cut.target } : undefined,
  );
  if (campaignId === null) return result("already_ended");
  const cutLeases = cut ? await settleCut(deps, lease, cut, now) : 0;
  return result("revoked", {
    campaignId: campaignId || null,
    recovered: lease.state === "revoke_failed",
    cutLeases,
    provider: lease.provider,
    latencyMs: now - (lease.revokeRequestedAt ?? now),
  });
}

/**
 * The provider could only kill this credential by cutting its whole target (every credential issued before an
 * instant): the other leases it killed end too, each with its own receipt naming the cut (cause `security`, since
 * Leash cut them to keep a revocation promise, actor `leash`).
 */
async function settleCut(deps: RevokerDeps, lease: Lease, cut: TargetCut, now: number): Promise<number> {
  const victims = await deps.leases.selectLive({
    provider: lease.provider,
    target: cut.target,
    issuedBefore: cut.issuedBefore,
  });
  const ended = await deps.leases.settleMany(
    victims
      .filter((l) => l.state !== "pending" && l.id !== lease.id)
      .map((l) => ({ leaseId: l.id, cause: "security" as const, actor: LEASH_ACTOR })),
    now,
    { target_cut: cut.target, cut_by: lease.id },
  );
  return ended.length;
}
