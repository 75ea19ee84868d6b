import { LeashError } from "../../errors.js";
import type { Lease } from "../../lease.js";
import type { Confirmation, CredentialProvider, MintedCredential, MintRequest } from "../../provider.js";
import type { BrokerDeps } from "../deps.js";
import { revokeRequestOf } from "../revoke.js";
import type { Decided } from "./context.js";

/** What the provider is asked for a lease: the same for the first mint and for a replay's re-mint. */
export function mintRequestOf(
  lease: Lease,
  actorChain: readonly string[],
  scopeHints: readonly string[],
  confirmation?: Confirmation,
): MintRequest {
  return {
    leaseId: lease.id,
    taskId: lease.taskId,
    agent: lease.agent,
    target: lease.target ?? undefined,
    intent: lease.intent,
    ttlSeconds: Math.round((lease.expiresAt - lease.issuedAt) / 1000),
    issuedAt: lease.issuedAt,
    expiresAt: lease.expiresAt,
    actorChain,
    scopeHints,
    ...(confirmation ? { confirmation } : {}),
  };
}

/** Mints at the provider, tagged with the lease id; on failure settles the pending lease as far as it safely can. */
export async function mint(ctx: Decided): Promise<MintedCredential> {
  const { deps, provider, lease } = ctx;
  const request = mintRequestOf(lease, ctx.chain, ctx.decision?.scopeHints ?? [], ctx.request.confirmation);
  try {
    return await provider.mint(request, AbortSignal.timeout(deps.config.mintTimeoutMs));
  } catch (error) {
    throw await recoverFromMintFailure(deps, provider, lease, error);
  }
}

/**
 * A refusal means nothing exists; an outage or timeout leaves the outcome unknown, so reclaim before aborting.
 * If even that fails, the lease stays pending and the reconciler settles it. Returns the error to rethrow.
 */
async function recoverFromMintFailure(
  deps: BrokerDeps,
  provider: CredentialProvider,
  lease: Lease,
  error: unknown,
): Promise<LeashError> {
  const known = mintError(provider, error);
  const settled = known.retry
    ? await provider.reclaim(revokeRequestOf(lease), AbortSignal.timeout(deps.config.mintTimeoutMs)).then(
        () => true,
        () => false,
      )
    : true;
  if (settled) await deps.leases.abort(lease.id, known.message);
  await auditMintFailed(deps, provider, lease, known);
  return known;
}

/** What a mint's failure is reported as: the provider's own refusal, or an outage of it. */
export function mintError(provider: CredentialProvider, error: unknown): LeashError {
  return error instanceof LeashError
    ? error
    : new LeashError("provider_unavailable", `${provider.name}: mint failed`, { cause: error });
}

export async function auditMintFailed(
  deps: Pick<BrokerDeps, "audit">,
  provider: CredentialProvider,
  lease: Lease,
  known: LeashError,
): Promise<void> {
  await deps.audit.append({
    type: "lease.mint_failed",
    actor: lease.agent,
    agent: lease.agent,
    taskId: lease.taskId,
    leaseId: lease.id,
    outcome: "failed",
    detail: { provider: provider.name, code: known.code, error: known.message },
  });
}
