import type { Intent } from "./intent.js";
import type { ProviderName, RevocationHandle } from "./lease.js";

export interface MintRequest {
  leaseId: string;
  taskId: string;
  agent: string;
  /** Provider-specific target: an AWS role alias or ARN, a Vault role name; absent for task tokens. */
  target: string | undefined;
  intent: Intent;
  /** The lease TTL, already capped by task, policy and configuration. */
  ttlSeconds: number;
  /** Epoch ms at which the lease was written ahead (its `issuedAt`, which whole-target cuts compare). */
  issuedAt?: number;
  /** Epoch ms at which the lease ends. */
  expiresAt: number;
  /** Agents of the ancestor tasks, nearest first (RFC 8693 `act` chain). Empty for a root task. */
  actorChain: readonly string[];
  /** Extra narrowing from policy obligations (`@scope`), provider-specific. */
  scopeHints: readonly string[];
  /** The key the credential must be bound to, when the request proved one (RFC 9449); providers that cannot bind ignore it. */
  confirmation?: Confirmation | undefined;
}

/** RFC 7800 `cnf`: here the SHA-256 JWK thumbprint (RFC 7638) of a DPoP key, as `cnf.jkt` carries it. */
export interface Confirmation {
  jkt: string;
}

export interface MintedCredential {
  /** Returned once to the agent; never stored, never logged. */
  credential: Readonly<Record<string, unknown>>;
  /** Identifiers revoke() needs later; stored in Redis, so no secret values. */
  handle: RevocationHandle;
  /** Epoch ms at which the credential stops working by itself at the provider. */
  providerExpiresAt: number;
  /** A readable summary of what the credential allows. */
  scope: string[];
}

export interface RevokeRequest {
  leaseId: string;
  taskId: string;
  agent: string;
  target: string | null;
  handle: RevocationHandle | null;
  issuedAt: number;
  providerExpiresAt: number | null;
}

/**
 * What a revocation did beyond the one credential: when a provider had to cut a whole target (the STS deny list
 * no longer fits the role's policy budget), every credential of that target issued before `issuedBefore` is dead
 * and the caller marks those leases revoked too.
 */
export interface RevokeOutcome {
  cut?: TargetCut;
}

export interface TargetCut {
  target: string;
  /** Every credential of the target issued before this instant stops working. */
  issuedBefore: number;
}

/**
 * A credential source. Errors are LeashErrors: `provider_unavailable` (retry) for outages, throttling and
 * timeouts; `provider_rejected` / `provider_access_denied` / `unknown_target` for requests that will never work.
 */
export interface CredentialProvider {
  readonly name: ProviderName;
  /**
   * True when minting again for the same lease creates nothing new at the provider (Leash task tokens), so an
   * idempotent replay can hand out a fresh copy; other providers' secrets are delivered once.
   */
  readonly remintable?: boolean;
  /**
   * True when revocation is entirely the lease's state in the store (Leash task tokens): bulk revocations settle
   * such leases directly instead of queueing a provider call per lease.
   */
  readonly revokesInStore?: boolean;
  /**
   * True when minting only signs (Leash-signed tokens): nothing exists outside Leash until the credential is handed
   * out, so there is nothing to write ahead of. The lease is then written `active` in one step after the mint, and a
   * crash before that step leaves a token nobody received and no record: nothing to reclaim.
   */
  readonly mintsInProcess?: boolean;
  /** The longest lease this provider grants for a target (undefined: no limit of its own). */
  maxTtlSeconds(target: string | undefined): number | undefined;
  /** Throws before anything is written when the target or intent can never be served. */
  validate(target: string | undefined, intent: Intent): void;
  mint(request: MintRequest, signal: AbortSignal): Promise<MintedCredential>;
  /** Idempotent: revoking something already gone succeeds. */
  revoke(request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome>;
  /**
   * Makes sure nothing minted under this lease id survives, when the outcome of a mint is unknown
   * (the process died between write-ahead and activation). Idempotent.
   */
  reclaim(request: RevokeRequest, signal: AbortSignal): Promise<void>;
  /**
   * Mass revocation shortcut: cut every credential of a target at once, where the provider can do that in a few
   * calls. Resolves false when it cannot for this target: its leases are then revoked one by one.
   */
  cutTarget?(cut: TargetCut, signal: AbortSignal): Promise<boolean>;
  /** Housekeeping on a schedule (e.g. pruning STS deny entries whose credentials have expired by themselves). */
  prune?(now: number, signal: AbortSignal): Promise<void>;
}
