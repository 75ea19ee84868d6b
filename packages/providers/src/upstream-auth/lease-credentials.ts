import { type Clock, type CredentialProvider, type MintedCredential, systemClock } from "@leash/core";
import { waitUnlessAborted } from "./wait.js";

/** The lease a credential is minted for: what the gateway token says (see GatewayGrant). */
export interface LeaseForMint {
  leaseId: string;
  taskId: string;
  agent: string;
  action: string;
  resource: string;
  issuedAt: number;
  /** Epoch ms: the lease ends then, and what is minted for it is asked to end with it. */
  expiresAt: number;
}

export interface LeaseCredentialsOptions {
  /** The provider's target (an aws-sts alias, a vault target) the credential is minted on. */
  target: string;
  /** A credential is minted again this long before the provider ends it, so no request carries a dying one. */
  renewMarginMs?: number;
  /**
   * Revoke at the provider when the lease ends (Vault tokens). Off for STS sessions: their keys never leave the
   * gateway, and a deny entry per lease would fill the role's policy budget for nothing.
   */
  revokeOnEnd: boolean;
  /** Bounds each mint and revoke call. */
  timeoutMs: number;
  clock?: Clock;
  /** Revocation failures after the lease ended (the credential still dies at its own expiry). */
  onRevokeError?: (error: unknown, leaseId: string) => void;
}

export interface LeaseCredentials {
  /** The lease's credential, minted on first use and shared by its concurrent requests. Never logged. */
  get(lease: LeaseForMint, signal: AbortSignal): Promise<Readonly<Record<string, unknown>>>;
  /** Forgets what was minted for the lease (revoking it when configured); resolves when that is done. */
  end(leaseId: string): Promise<void>;
  /** Ends every credential whose lease has expired by `now`. */
  sweep(now: number): Promise<void>;
  /** Ends every credential of a lease issued before `issuedBefore` (a whole-upstream cut). */
  endIssuedBefore(issuedBefore: number): Promise<void>;
  /** Leases holding a credential (for metrics and tests). */
  size(): number;
  close(): Promise<void>;
}

interface Entry {
  lease: LeaseForMint;
  minted: Promise<MintedCredential>;
  /** Set once the mint resolved: when the credential must be replaced. */
  renewAt?: number;
}

/**
 * Credentials the gateway mints for itself, one per lease and for the lease's own intent, through a provider of
 * the broker (aws-sts for SigV4 upstreams, vault for vault-token upstreams). They live in this process's memory
 * only and never reach the agent: the gateway signs or injects with them.
 */
export function createLeaseCredentials(
  provider: CredentialProvider,
  options: LeaseCredentialsOptions,
): LeaseCredentials {
  const clock = options.clock ?? systemClock;
  const margin = options.renewMarginMs ?? 30_000;
  const entries = new Map<string, Entry>();

  function mint(lease: LeaseForMint): Entry {
    const now = clock.now();
    const request = {
      leaseId: lease.leaseId,
      taskId: lease.taskId,
      agent: lease.agent,
      target: options.target,
      intent: { action: lease.action, resource: lease.resource },
      ttlSeconds: Math.max(1, Math.ceil((lease.expiresAt - now) / 1000)),
      expiresAt: lease.expiresAt,
      actorChain: [],
      scopeHints: [],
    };
    const entry: Entry = {
      lease,
      minted: provider.mint(request, AbortSignal.timeout(options.timeoutMs)),
    };
    entry.minted.then(
      (m) => {
        entry.renewAt = m.providerExpiresAt - margin;
      },
      () => {
        // A failed mint is not kept: the next request tries again.
        if (entries.get(lease.leaseId) === entry) entries.delete(lease.leaseId);
      },
    );
    entries.set(lease.leaseId, entry);
    return entry;
  }

  async function revoke(entry: Entry): Promise<void> {
    if (!options.revokeOnEnd) return;
    const minted = await entry.minted.catch(() => undefined);
    if (!minted) return;
    const { lease } = entry;
    await provider
      .revoke(
        {
          leaseId: lease.leaseId,
          taskId: lease.taskId,
          agent: lease.agent,
          target: options.target,
          handle: minted.handle,
          issuedAt: lease.issuedAt,
          providerExpiresAt: minted.providerExpiresAt,
        },
        AbortSignal.timeout(options.timeoutMs),
      )
      .catch((error: unknown) => options.onRevokeError?.(error, lease.leaseId));
  }

  async function end(leaseId: string): Promise<void> {
    const entry = entries.get(leaseId);
    if (!entry) return;
    entries.delete(leaseId);
    await revoke(entry);
  }

  return {
    async get(lease, signal) {
      const existing = entries.get(lease.leaseId);
      const stale = existing?.renewAt !== undefined && existing.renewAt <= clock.now();
      if (stale && existing) void revoke(existing);
      const entry = existing && !stale ? existing : mint(lease);
      const minted = await waitUnlessAborted(entry.minted, signal);
      return minted.credential;
    },
    end,
    async sweep(now) {
      const ended = [...entries.values()].filter((e) => e.lease.expiresAt <= now);
      await Promise.all(ended.map((e) => end(e.lease.leaseId)));
    },
    async endIssuedBefore(issuedBefore) {
      const cut = [...entries.values()].filter((e) => e.lease.issuedAt < issuedBefore);
      await Promise.all(cut.map((e) => end(e.lease.leaseId)));
    },
    size: () => entries.size,
    async close() {
      await Promise.all([...entries.keys()].map(end));
    },
  };
}
