import type { GatewayRevocation } from "./ports.js";

/** What a gateway needs of a credential to tell whether a revocation covers it. */
export interface GatewayGrantRef {
  leaseId: string;
  upstream: string;
  /** Epoch ms of the lease's write-ahead (what whole-upstream cuts compare). */
  issuedAt: number;
}

/**
 * The revocations a gateway knows of, in memory: ended lease ids, and per upstream the cuts (every lease issued
 * strictly before `issuedBefore`, as the store's selectors compare). Entries are forgotten after their `expiresAt`,
 * when every credential they cover has expired anyway, so the set stays as small as the live revocations.
 */
export class GatewayRevocationSet {
  private readonly leases = new Map<string, number>();
  private readonly cuts = new Map<string, { issuedBefore: number; expiresAt: number }[]>();

  /** Applies an entry; true when it was news (a lease not known ended, or a cut reaching further or longer). */
  add(entry: GatewayRevocation): boolean {
    if (entry.kind === "lease") {
      const known = this.leases.get(entry.leaseId);
      if (known !== undefined && known >= entry.expiresAt) return false;
      this.leases.set(entry.leaseId, entry.expiresAt);
      return known === undefined;
    }
    const cuts = this.cuts.get(entry.upstream) ?? [];
    const covered = cuts.some((c) => c.issuedBefore >= entry.issuedBefore && c.expiresAt >= entry.expiresAt);
    if (covered) return false;
    this.cuts.set(entry.upstream, [
      ...cuts,
      { issuedBefore: entry.issuedBefore, expiresAt: entry.expiresAt },
    ]);
    return true;
  }

  ended(grant: GatewayGrantRef): boolean {
    if (this.leases.has(grant.leaseId)) return true;
    return this.cuts.get(grant.upstream)?.some((c) => grant.issuedAt < c.issuedBefore) ?? false;
  }

  /** Forgets entries whose `expiresAt` is before `now`. */
  prune(now: number): void {
    for (const [id, expiresAt] of this.leases) if (expiresAt < now) this.leases.delete(id);
    for (const [upstream, cuts] of this.cuts) {
      const kept = cuts.filter((c) => c.expiresAt >= now);
      if (kept.length === 0) this.cuts.delete(upstream);
      else this.cuts.set(upstream, kept);
    }
  }

  get size(): number {
    let cuts = 0;
    for (const list of this.cuts.values()) cuts += list.length;
    return this.leases.size + cuts;
  }
}
