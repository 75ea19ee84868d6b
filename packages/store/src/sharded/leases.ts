import {
  type ActivateInput,
  type IdempotencyRecord,
  type IssueStanding,
  idTime,
  type Lease,
  type LeasePage,
  type LeaseQuery,
  type LeaseSelector,
  type QuotaPool,
  type QuotaUsage,
  type RevocationRequest,
  type SettledState,
} from "@leash/core";
import { guard } from "../guard.js";
import type { ExposedLease, RedisLeaseStore } from "../lease-store.js";
import type { Public } from "../store.js";
import type { IdempotencyClaims } from "./idempotency.js";
import { type PoolReservations, splitPools, WRITE_WITHIN_MS } from "./pools.js";
import type { ShardRouter } from "./router.js";

type Detail = Readonly<Record<string, string | number | boolean>>;

/** The LeaseStore over every shard: a lease's calls go to the shard its id names; reads of many fan out. */
export class ShardedLeaseStore implements Public<RedisLeaseStore> {
  constructor(
    private readonly router: ShardRouter,
    private readonly places: PoolReservations,
    private readonly claims: IdempotencyClaims,
  ) {}

  private of(leaseId: string) {
    return this.router.ofId(leaseId).leases;
  }

  createPending(lease: Lease, idem?: { key: string; bodyHash: string }, pools: readonly QuotaPool[] = []) {
    const store = this.router.at(this.router.shardOfLease(lease.id)).leases;
    return this.withKey(lease, idem, () =>
      this.withPlaces(lease, idem, pools, (local, homed) => store.createPending(lease, idem, local, homed)),
    );
  }

  /** Issuance in one step, for credentials that die in the store: in the lease's shard, like the write-ahead. */
  createActive(
    lease: Lease,
    standing: IssueStanding,
    idem?: { key: string; bodyHash: string },
    pools: readonly QuotaPool[] = [],
  ) {
    const store = this.router.at(this.router.shardOfLease(lease.id)).leases;
    return this.withKey(lease, idem, () =>
      this.withPlaces(lease, idem, pools, (local, homed) =>
        store.createActive(lease, standing, idem, local, homed),
      ),
    );
  }

  /**
   * Writes a new lease having claimed its Idempotency-Key on the key's home shard (sharded/idempotency.ts), unless
   * that is the lease's own shard, whose script claims it; the claim goes again unless the lease was written
   * (`write` resolves null).
   */
  private async withKey<T>(
    lease: Lease,
    idem: { key: string; bodyHash: string } | undefined,
    write: () => Promise<T | IdempotencyRecord | null>,
  ): Promise<T | IdempotencyRecord | null> {
    if (!idem) return await write();
    if (this.router.shardOfLease(lease.id) === this.claims.homeOf(lease.agent, idem.key)) {
      const written = await write();
      if (!isRecord(written) || !(await this.neverWritten(written, lease))) return written;
      await this.claims.release(lease.agent, idem.key, written.leaseId);
      return await write();
    }
    const earlier = await guard("claim an idempotency key", () => this.claim(lease, idem));
    if (earlier) return earlier;
    const free = () => this.claims.release(lease.agent, idem.key, lease.id).catch(() => undefined);
    try {
      const written = await write();
      if (written !== null) await free();
      return written;
    } catch (error) {
      await free();
      throw error;
    }
  }

  /** The key's claim for `lease`, or the record of its first use; a claim whose lease was never written is taken over. */
  private async claim(lease: Lease, idem: { key: string; bodyHash: string }) {
    const earlier = await this.claims.claim(lease.agent, idem.key, lease.id, idem.bodyHash);
    if (!earlier || !(await this.neverWritten(earlier, lease))) return earlier;
    await this.claims.release(lease.agent, idem.key, earlier.leaseId);
    return await this.claims.claim(lease.agent, idem.key, lease.id, idem.bodyHash);
  }

  /**
   * Whether a key's claim names a lease that will never be written: its process died between the claim and the
   * write (which take well under WRITE_WITHIN_MS), so the key is free again, as with one shard, where nothing of a
   * request that died before its write is left.
   */
  private async neverWritten(record: IdempotencyRecord, lease: Lease): Promise<boolean> {
    const claimedAt = idTime(record.leaseId);
    if (claimedAt === null || claimedAt > lease.issuedAt - WRITE_WITHIN_MS) return false;
    return (await this.get(record.leaseId)) === null;
  }

  /**
   * Writes a new lease holding its places in the trust file's pools on their home shard (sharded/pools.ts); they
   * are given back unless the lease was written (`write` resolves null). A used Idempotency-Key answers with its
   * lease even when the pools are full, as the scripts do with one shard.
   */
  private async withPlaces<T>(
    lease: Lease,
    idem: { key: string } | undefined,
    pools: readonly QuotaPool[],
    write: (local: QuotaPool[], homed: string[]) => Promise<T | IdempotencyRecord | null>,
  ): Promise<T | IdempotencyRecord | null> {
    const { homed, local } = splitPools(pools);
    if (homed.length === 0) return await write(local, []);
    try {
      await guard("reserve quota places", () => this.places.reserve(lease, homed));
    } catch (refusal) {
      // The key lives with the task's tree, which a replay of the same request names.
      const used = idem && (await this.of(lease.id).idempotencyRecord(lease.agent, idem.key));
      if (used) return used;
      throw refusal;
    }
    const names = homed.map((p) => p.pool);
    const giveBack = () => this.places.release(lease.id, names, true).catch(() => undefined);
    try {
      const written = await write(local, names);
      if (written !== null) await giveBack();
      return written;
    } catch (error) {
      await giveBack();
      throw error;
    }
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
        const [held = 0] = pool.live
          ? await guard("read quota usage", () => this.places.held([pool.pool], now))
          : [];
        return parts.reduce<QuotaUsage>(
          (sum, u) => ({
            live: sum.live + (u?.live ?? 0),
            perMinute: sum.perMinute + (u?.perMinute ?? 0),
            issued: sum.issued + (u?.issued ?? 0),
          }),
          { live: held, perMinute: 0, issued: 0 },
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

function isRecord(value: unknown): value is IdempotencyRecord {
  return typeof value === "object" && value !== null && "leaseId" in value && "bodyHash" in value;
}
