/** A token the emulator ever created, as fault-injection tests judge it: the accessor, never the token. */
export interface LedgerToken {
  accessor: string;
  display_name: string;
  /** Leash writes `leash_lease_id`, `leash_task_id`, `leash_agent` and `leash_target` here. */
  meta: Record<string, string> | null;
  created_at: number;
  /** Its own expiry (epoch ms), or null for a token that never expires. */
  expire_at: number | null;
  /** When it stopped working (epoch ms): revoked, or expired by itself. */
  ended_at: number | null;
  alive: boolean;
}

/** A dynamic secret (a database user) the emulator ever issued. */
export interface LedgerLease {
  lease_id: string;
  username: string;
  /** The accessor of the token that read the secret: revoking that token revokes the secret. */
  token_accessor: string | null;
  issued_at: number;
  expire_at: number;
  ended_at: number | null;
  alive: boolean;
}

interface TokenRecord {
  accessor: string;
  displayName: string;
  meta: Record<string, string> | null;
  createdAt: number;
  expireAt: number | null;
  endedAt: number | null;
}

interface LeaseRecord {
  leaseId: string;
  username: string;
  tokenAccessor: string | null;
  issuedAt: number;
  expireAt: number;
  endedAt: number | null;
}

/**
 * Everything the emulator ever issued and when each stopped working, kept past revocation so a test can ask
 * afterwards how late a revocation was: the view from outside Leash. Times are the emulator's clock; an expiry
 * counts at the instant it was due (the emulator expires lazily, but nothing can use a credential past it).
 */
export class VaultLedger {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly leases = new Map<string, LeaseRecord>();

  tokenCreated(t: {
    accessor: string;
    displayName: string;
    meta: Readonly<Record<string, string>> | null;
    creationTime: number;
    expireAt: number | null;
  }): void {
    this.tokens.set(t.accessor, {
      accessor: t.accessor,
      displayName: t.displayName,
      meta: t.meta ? { ...t.meta } : null,
      createdAt: t.creationTime,
      expireAt: t.expireAt,
      endedAt: null,
    });
  }

  tokenEnded(accessor: string, at: number): void {
    const record = this.tokens.get(accessor);
    if (record && record.endedAt === null) record.endedAt = at;
  }

  leaseCreated(l: {
    id: string;
    username: string;
    tokenAccessor: string | null;
    issueTime: number;
    expireAt: number;
  }): void {
    this.leases.set(l.id, {
      leaseId: l.id,
      username: l.username,
      tokenAccessor: l.tokenAccessor,
      issuedAt: l.issueTime,
      expireAt: l.expireAt,
      endedAt: null,
    });
  }

  leaseEnded(leaseId: string, at: number): void {
    const record = this.leases.get(leaseId);
    if (record && record.endedAt === null) record.endedAt = at;
  }

  /**
   * `live` answers from the emulator's working state (after an expiry sweep), not from this bookkeeping, so a
   * credential that still works is reported alive even if its end was recorded: the current expiry of a live one
   * (renewals move it), or undefined once it is gone.
   */
  entries(live: {
    tokenExpiry(accessor: string): number | null | undefined;
    leaseExpiry(leaseId: string): number | undefined;
  }): { tokens: LedgerToken[]; leases: LedgerLease[] } {
    return {
      tokens: [...this.tokens.values()].map((t) => {
        const current = live.tokenExpiry(t.accessor);
        return {
          accessor: t.accessor,
          display_name: t.displayName,
          meta: t.meta ? { ...t.meta } : null,
          created_at: t.createdAt,
          expire_at: current === undefined ? t.expireAt : current,
          ended_at: t.endedAt,
          alive: current !== undefined,
        };
      }),
      leases: [...this.leases.values()].map((l) => {
        const current = live.leaseExpiry(l.leaseId);
        return {
          lease_id: l.leaseId,
          username: l.username,
          token_accessor: l.tokenAccessor,
          issued_at: l.issuedAt,
          expire_at: current ?? l.expireAt,
          ended_at: l.endedAt,
          alive: current !== undefined,
        };
      }),
    };
  }
}
