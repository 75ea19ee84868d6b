import {
  type ActivateInput,
  type IdempotencyRecord,
  type IssueStanding,
  type Lease,
  type LeasePage,
  type LeaseQuery,
  type LeaseSelector,
  type QuotaLimit,
  type QuotaPool,
  type QuotaUsage,
  quotaExceeded,
  type RevocationRequest,
  type SettledState,
} from "@leash/core";
import type { ExposedLease, RedisLeaseStore } from "../lease-store.js";
import type { Public } from "../store.js";
import type { ShardRouter } from "./router.js";

type Detail = Readonly<Record<string, string | number | boolean>>;

/**
 * The trust file's quota pools span task trees, so several shards issue against one: each shard holds a slice of
 * every limit (the slices add up to the limit exactly), so no pool is ever exceeded. A task's own pool lives with
 * its tree and keeps its whole limit.
 */
function sliceOf(max: number, shard: number, count: number): number {
  return Math.floor(max / count) + (shard < max % count ? 1 : 0);
}

/**
 * The pools as this shard counts them. A slice of nothing refuses here and now: the scripts read a limit of 0 as a
 * counter kept without one.
 */
function sliced(pools: readonly QuotaPool[], shard: number, count: number): QuotaPool[] {
  if (count === 1) return [...pools];
  const cut = (limit: { max?: number } | undefined, name: QuotaLimit, pool: QuotaPool) => {
    if (limit?.max === undefined) return limit;
    const max = sliceOf(limit.max, shard, count);
    if (max === 0) throw quotaExceeded({ quota: pool.quota, limit: name, max: limit.max });
    return { ...limit, max };
  };
  return pools.map((p) =>
    p.issued
      ? p
      : { ...p, live: cut(p.live, "max_live", p), perMinute: cut(p.perMinute, "max_per_minute", p) },
  );
}

/** The LeaseStore over every shard: a lease's calls go to the shard its id names; reads of many fan out. */
export class ShardedLeaseStore implements Public<RedisLeaseStore> {
  constructor(private readonly router: ShardRouter) {}

  private of(leaseId: string) {
    return this.router.ofId(leaseId).leases;
  }

  async createPending(
    lease: Lease,
    idem?: { key: string; bodyHash: string },
    pools: readonly QuotaPool[] = [],
  ) {
    const shard = this.router.shardOfLease(lease.id);
    return await this.router
      .at(shard)
      .leases.createPending(lease, idem, sliced(pools, shard, this.router.count));
  }

  /** Issuance in one step, for credentials that die in the store: in the lease's shard, like the write-ahead. */
  async createActive(
    lease: Lease,
    standing: IssueStanding,
    idem?: { key: string; bodyHash: string },
    pools: readonly QuotaPool[] = [],
  ) {
    const shard = this.router.shardOfLease(lease.id);
    return await this.router
      .at(shard)
      .leases.createActive(lease, standing, idem, sliced(pools, shard, this.router.count));
  }

  async idempotencyRecord(agent: string, key: string): Promise<IdempotencyRecord | null> {
    const found = await this.router.all((s) => s.leases.idempotencyRecord(agent, key));
    return found.find((r) => r !== null) ?? null;
  }

  async quotaUsage(pools: readonly QuotaPool[], now: number): Promise<QuotaUsage[]> {
    return await Promise.all(
      pools.map(async (pool) => {
        if (pool.issued) {
          const store = await this.router.ofTask(pool.issued.taskId);
          return (await store.leases.quotaUsage([pool], now))[0] ?? { live: 0, perMinute: 0, issued: 0 };
        }
        const parts = await this.router.all(async (s) => (await s.leases.quotaUsage([pool], now))[0]);
        return parts.reduce<QuotaUsage>(
          (sum, u) => ({
            live: sum.live + (u?.live ?? 0),
            perMinute: sum.perMinute + (u?.perMinute ?? 0),
            issued: sum.issued + (u?.issued ?? 0),
          }),
          { live: 0, perMinute: 0, issued: 0 },
        );
      }),
    );
  }

  activate(leaseId: string, input: ActivateInput, now?: number) {
    return this.of(leaseId).activate(leaseId, input, now);
  }

  abort(leaseId: string, reason: string, now?: number) {
    return this.of(leaseId).abort(leaseId, reason, now);
  }

  get(leaseId: string) {
    return this.of(leaseId).get(leaseId);
  }

  getMany(ids: readonly string[]): Promise<Lease[]> {
    return this.router.byId(
      ids,
      (id) => id,
      (store, part) => store.leases.getMany(part),
    );
  }

  /**
   * Newest first across shards: each shard pages from the same cursor (lease ids sort by issue time), and the
   * merged page stops where the first shard that has more stopped, so nothing is skipped.
   */
  async list(query: LeaseQuery): Promise<LeasePage> {
    const shards = query.taskId ? [await this.router.ofTask(query.taskId)] : this.router.shards;
    const pages = await Promise.all(shards.map((s) => s.leases.list(query)));
    const floor = pages.reduce<string | null>(
      (max, p) => (p.nextCursor !== null && (max === null || p.nextCursor > max) ? p.nextCursor : max),
      null,
    );
    const merged = pages
      .flatMap((p) => p.items)
      .filter((l) => floor === null || l.id >= floor)
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const items = merged.slice(0, query.limit);
    const cut = merged.length > query.limit || floor !== null;
    return { items, nextCursor: cut ? (items.at(-1)?.id ?? floor) : null };
  }

  requestRevocation(orders: readonly RevocationRequest[], at?: number): Promise<string[]> {
    return this.router.byId(
      orders,
      (o) => o.leaseId,
      (s, part) => s.leases.requestRevocation(part, at),
    );
  }

  markRevoked(leaseId: string, at?: number) {
    return this.of(leaseId).markRevoked(leaseId, at);
  }

  settle(leaseId: string, at: number, state: SettledState, detail?: Detail) {
    return this.of(leaseId).settle(leaseId, at, state, detail);
  }

  settleMany(orders: readonly RevocationRequest[], at: number, detail?: Detail): Promise<string[]> {
    return this.router.byId(
      orders,
      (o) => o.leaseId,
      (s, part) => s.leases.settleMany(part, at, detail),
    );
  }

  markRevokeFailed(leaseId: string, error: string) {
    return this.of(leaseId).markRevokeFailed(leaseId, error);
  }

  markExpired(leaseId: string, at?: number) {
    return this.of(leaseId).markExpired(leaseId, at);
  }

  async claimDue(now: number, limit: number, claimForMs: number): Promise<string[]> {
    return (await this.router.all((s) => s.leases.claimDue(now, limit, claimForMs))).flat();
  }

  async stalePending(olderThan: number, limit: number): Promise<string[]> {
    return (await this.router.all((s) => s.leases.stalePending(olderThan, limit))).flat();
  }

  async overdue(now: number, dueBefore: number, scan: number): Promise<Lease[]> {
    return (await this.router.all((s) => s.leases.overdue(now, dueBefore, scan))).flat();
  }

  async selectLive(selector: LeaseSelector): Promise<Lease[]> {
    if (selector.taskId) return (await this.router.ofTask(selector.taskId)).leases.selectLive(selector);
    return (await this.router.all((s) => s.leases.selectLive(selector))).flat();
  }

  async exposure(agent: string, includeDelegated: boolean): Promise<ExposedLease[]> {
    return (await this.router.all((s) => s.leases.exposure(agent, includeDelegated))).flat();
  }

  async gauges(): Promise<{ liveByProvider: Record<string, number>; revokeFailed: number }> {
    const parts = await this.router.all((s) => s.leases.gauges());
    const liveByProvider: Record<string, number> = {};
    for (const part of parts)
      for (const [provider, n] of Object.entries(part.liveByProvider))
        liveByProvider[provider] = (liveByProvider[provider] ?? 0) + n;
    return { liveByProvider, revokeFailed: parts.reduce((n, p) => n + p.revokeFailed, 0) };
  }

  async liveCount(filter: { agent?: string }): Promise<number> {
    return (await this.router.all((s) => s.leases.liveCount(filter))).reduce((a, b) => a + b, 0);
  }
}
