import { isLive, type Lease } from "../lease.js";
import { QUOTA_WINDOW_MS, type QuotaPool, type QuotaRefusal, type QuotaUsage } from "../quota.js";

const notAborted = (lease: Lease) => lease.state !== "aborted";

/**
 * The quota counting of packages/store's create_pending.lua on the fake lease table: the pools each lease was
 * counted in at its write-ahead, and the same checks in the same order (pool by pool: live, per minute, issued).
 * Counts are read off the leases themselves, so they follow every transition of the fake as the Lua counters do.
 */
export class QuotaLedger {
  private readonly poolsOf = new Map<string, readonly QuotaPool[]>();

  constructor(private readonly leases: ReadonlyMap<string, Lease>) {}

  /** The first pool the lease would overflow, or null after counting it in every pool. */
  admit(lease: Lease, pools: readonly QuotaPool[]): QuotaRefusal | null {
    for (const pool of pools) {
      const refusal = this.check(pool, lease.issuedAt);
      if (refusal) return refusal;
    }
    this.poolsOf.set(lease.id, pools);
    return null;
  }

  usage(pool: QuotaPool, now: number): QuotaUsage {
    return {
      live: pool.live ? this.counted(pool.pool, "live").filter((l) => isLive(l.state)).length : 0,
      perMinute: pool.perMinute ? this.inWindow(pool.pool, now).length : 0,
      issued: pool.issued ? this.counted(pool.pool, "issued").filter(notAborted).length : 0,
    };
  }

  private check(pool: QuotaPool, now: number): QuotaRefusal | null {
    const usage = this.usage(pool, now);
    const max = { live: pool.live?.max, perMinute: pool.perMinute?.max, issued: pool.issued?.max };
    if (max.live !== undefined && usage.live >= max.live)
      return { quota: pool.quota, limit: "max_live", max: max.live };
    if (max.perMinute !== undefined && usage.perMinute >= max.perMinute) {
      const oldest = Math.min(...this.inWindow(pool.pool, now).map((l) => l.issuedAt));
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + QUOTA_WINDOW_MS - now) / 1000));
      return { quota: pool.quota, limit: "max_per_minute", max: max.perMinute, retryAfterSeconds };
    }
    if (max.issued !== undefined && usage.issued >= max.issued)
      return { quota: pool.quota, limit: "max_issued", max: max.issued };
    return null;
  }

  private inWindow(pool: string, now: number): Lease[] {
    return this.counted(pool, "perMinute").filter((l) => notAborted(l) && l.issuedAt > now - QUOTA_WINDOW_MS);
  }

  /** Leases counted by one counter of a pool (named as the Lua keys and fields are). */
  private counted(pool: string, counter: "live" | "perMinute" | "issued"): Lease[] {
    const out: Lease[] = [];
    for (const [id, pools] of this.poolsOf) {
      const lease = this.leases.get(id);
      if (lease && pools.some((p) => p.pool === pool && p[counter] !== undefined)) out.push(lease);
    }
    return out;
  }
}
