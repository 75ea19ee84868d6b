import type { AuditSink } from "../audit.js";
import type { Clock } from "../clock.js";
import { LeashError } from "../errors.js";
import type { Lease, ProviderName } from "../lease.js";
import type { LeaseStore } from "../ports.js";
import type { CredentialProvider, RevokeRequest, TargetCut } from "../provider.js";

export interface RevokerDeps {
  leases: LeaseStore & {
    settle(leaseId: string, at: number, state: "revoked" | "expired"): Promise<string | null>;
  };
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
 * rethrows so the queue backs off and retries.
 */
export async function revokeLease(deps: RevokerDeps, leaseId: string, reason: string): Promise<RevokeResult> {
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
      await deps.leases.requestRevocation([{ leaseId, reason: "lease expired" }], now);
      return revokeAtProvider(
        deps,
        { ...lease, state: "revoking", revokeRequestedAt: lease.expiresAt },
        "lease expired",
      );
    }
    case "revoking":
    case "revoke_failed":
      return revokeAtProvider(deps, lease, lease.revokeReason ?? reason);
  }
}

async function revokeAtProvider(deps: RevokerDeps, lease: Lease, reason: string): Promise<RevokeResult> {
  const provider = deps.providers.get(lease.provider);
  if (!provider)
    throw new LeashError("internal", `provider ${lease.provider} is not configured in this worker`, {
      retry: true,
    });
  let cut: TargetCut | undefined;
  try {
    ({ cut } = await provider.revoke(revokeRequestOf(lease), AbortSignal.timeout(deps.timeoutMs)));
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
  const campaignId = await deps.leases.settle(lease.id, now, "revoked");
  if (campaignId === null) return result("already_ended");
  const cutLeases = cut ? await settleCut(deps, lease.provider, cut, now) : 0;
  await deps.audit.append({
    type: "lease.revoked",
    actor: null,
    agent: lease.agent,
    taskId: lease.taskId,
    leaseId: lease.id,
    outcome: "ok",
    detail: {
      provider: lease.provider,
      reason,
      latency_ms: now - lease.issuedAt,
      ...(cut ? { target_cut: cut.target, cut_leases: cutLeases } : {}),
    },
  });
  return result("revoked", {
    campaignId: campaignId || null,
    recovered: lease.state === "revoke_failed",
    cutLeases,
    provider: lease.provider,
    latencyMs: now - (lease.revokeRequestedAt ?? now),
  });
}

/** The provider killed every credential of a target issued before an instant: their leases are revoked too. */
async function settleCut(
  deps: RevokerDeps,
  provider: ProviderName,
  cut: TargetCut,
  now: number,
): Promise<number> {
  const victims = await deps.leases.selectLive({
    provider,
    target: cut.target,
    issuedBefore: cut.issuedBefore,
  });
  const active = victims.filter((l) => l.state !== "pending");
  await deps.leases.requestRevocation(
    active.map((l) => ({ leaseId: l.id, reason: "target cut: re-request" })),
    now,
  );
  let ended = 0;
  for (const l of active) if (await deps.leases.markRevoked(l.id, now)) ended++;
  return ended;
}
