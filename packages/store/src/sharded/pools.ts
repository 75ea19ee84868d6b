import { idTime, isLive, type Lease, type QuotaPool, quotaExceeded } from "@leash/core";
import type { ChainableCommander } from "ioredis";
import type { RedisClient } from "../connection.js";
import { digest, type Keyspace } from "../keys.js";
import { quotaRefusalOf } from "../quotas.js";
import type { ScriptRunner } from "../scripts.js";
import { homeShard } from "./slots.js";

/** A limit of a trust-file pool counted on the pool's home shard. */
export interface HomedPool {
  quota: string;
  pool: string;
  maxLive?: number;
  maxPerMinute?: number;
}

/** A write-ahead finishes well within this; a reservation whose lease is still not written after it was lost. */
export const WRITE_WITHIN_MS = 60_000;
/**
 * A full pool whose re-read found nothing to give back re-reads at most this often per process, so requests
 * hammering it cannot make each refusal cost a read of all it holds.
 */
const RECONCILE_EVERY_MS = 100;

const limited = (counter: { max?: number } | undefined) => (counter?.max ?? 0) > 0;

/**
 * The limits of the trust file's pools, which span task trees and so shards, go to the pools' home (`homed`); a
 * task's own pool, and a counter kept without a limit (summed over shards on read), stay in the lease's shard.
 */
export function splitPools(pools: readonly QuotaPool[]): { homed: HomedPool[]; local: QuotaPool[] } {
  const homed: HomedPool[] = [];
  const local: QuotaPool[] = [];
  for (const p of pools) {
    const live = !p.issued && limited(p.live);
    const rate = !p.issued && limited(p.perMinute);
    if (live || rate) {
      homed.push({
        quota: p.quota,
        pool: p.pool,
        ...(live ? { maxLive: p.live?.max } : {}),
        ...(rate ? { maxPerMinute: p.perMinute?.max } : {}),
      });
    }
    const rest: QuotaPool = {
      quota: p.quota,
      pool: p.pool,
      ...(p.live && !live ? { live: p.live } : {}),
      ...(p.perMinute && !rate ? { perMinute: p.perMinute } : {}),
      ...(p.issued ? { issued: p.issued } : {}),
    };
    if (rest.live || rest.perMinute || rest.issued) local.push(rest);
  }
  return { homed, local };
}

/**
 * The keyspace of a pool's home shard among the home shards (the first `homes` of the map): fixed by the pool's
 * name, spread like keys over slots.
 */
export function poolHome(homes: readonly Keyspace[], pool: string): Keyspace {
  const keys = homes[homeShard(digest(pool), homes.length)];
  if (!keys) throw new Error("a store over several shards needs at least one home shard");
  return keys;
}

/**
 * Places held in the trust file's pools on their home shard, with several shards: a lease reserves its place there
 * (quota_reserve.lua, exact however many shards issue against the pool) before it is written in its own shard.
 * The place is given back when the write does not happen, when the lease is aborted, and when the receipt of its
 * end is chained (the receipt names its pools). A full pool re-reads the leases it holds before refusing, which
 * also recovers places a crash kept. A pool's home is fixed by its name and the map's `homes`, the shard count the
 * store was first sharded with, so growing never moves a pool.
 */
export class PoolReservations {
  /** Pool -> when a re-read last found nothing to give back. */
  private readonly fruitless = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    /** The home shards' keyspaces (the first `homes` shards). */
    private readonly homes: readonly Keyspace[],
    private readonly reserveScript: ScriptRunner,
    /** The leases of these ids that exist (any shard). */
    private readonly leasesOf: (ids: readonly string[]) => Promise<Lease[]>,
  ) {}

  private homeOf(pool: string): Keyspace {
    return poolHome(this.homes, pool);
  }

  /** Reserves `lease`'s place in every pool, or throws `quota_exceeded` having reserved none. */
  async reserve(lease: Lease, pools: readonly HomedPool[]): Promise<void> {
    const byHome = groupBy(pools, (p) => this.homeOf(p.pool));
    const done: HomedPool[] = [];
    for (const [home, part] of byHome) {
      const refusal = await this.reserveAt(home, lease, part).catch(async (error: unknown) => {
        await this.release(
          lease.id,
          done.map((p) => p.pool),
          true,
        ).catch(() => undefined);
        throw error;
      });
      if (refusal) {
        await this.release(
          lease.id,
          done.map((p) => p.pool),
          true,
        );
        throw quotaExceeded(refusal);
      }
      done.push(...part);
    }
  }

  private async reserveAt(home: Keyspace, lease: Lease, pools: readonly HomedPool[]) {
    const refusal = quotaRefusalOf(await this.run(home, lease, pools));
    if (refusal?.limit !== "max_live") return refusal;
    const pool = pools.find((p) => p.quota === refusal.quota && p.maxLive !== undefined);
    if (!pool || (await this.reconcile(pool.pool, lease.issuedAt)) === 0) return refusal;
    return quotaRefusalOf(await this.run(home, lease, pools));
  }

  private run(home: Keyspace, lease: Lease, pools: readonly HomedPool[]) {
    return this.reserveScript(
      pools.flatMap((p) => [home.quotaHeld(p.pool), home.quotaRate(p.pool)]),
      [
        lease.id,
        lease.issuedAt,
        lease.expiresAt,
        pools.length,
        ...pools.flatMap((p) => [p.quota, String(p.maxLive ?? ""), String(p.maxPerMinute ?? "")]),
      ],
    );
  }

  /** Gives back a lease's places; `window` too (its per-minute count) when it was never issued. Idempotent. */
  async release(leaseId: string, pools: readonly string[], window: boolean): Promise<void> {
    await pipelinedByHome(
      this.redis,
      pools,
      (pool) => this.homeOf(pool),
      (pipeline, pool, home) => {
        pipeline.zrem(home.quotaHeld(pool), leaseId);
        if (window) pipeline.zrem(home.quotaRate(pool), leaseId);
      },
    );
  }

  /** Gives back the places of the leases whose receipts (outbox entries) were just chained. */
  async releaseEnded(receipts: readonly string[]): Promise<void> {
    const byPool = new Map<string, string[]>();
    for (const receipt of receipts) {
      const { leaseId, detail } = JSON.parse(receipt) as {
        leaseId?: string;
        detail?: { quota_pools?: string[] };
      };
      for (const pool of detail?.quota_pools ?? []) {
        if (leaseId) byPool.set(pool, [...(byPool.get(pool) ?? []), leaseId]);
      }
    }
    await pipelinedByHome(
      this.redis,
      [...byPool],
      ([pool]) => this.homeOf(pool),
      (pipeline, [pool, ids], home) => {
        pipeline.zrem(home.quotaHeld(pool), ...ids);
      },
    );
  }

  /** Each pool's places held at `now` (its live count, counters kept without a limit aside). */
  async held(pools: readonly string[], now: number): Promise<number[]> {
    return await Promise.all(
      pools.map((pool) => this.redis.zcount(this.homeOf(pool).quotaHeld(pool), now, "+inf")),
    );
  }

  /**
   * Gives back the places of leases that ended (a receipt not chained yet, or chained by a process that died before
   * giving them back) or were never written; returns how many.
   */
  async reconcile(pool: string, now: number): Promise<number> {
    if (now - (this.fruitless.get(pool) ?? Number.NEGATIVE_INFINITY) < RECONCILE_EVERY_MS) return 0;
    const key = this.homeOf(pool).quotaHeld(pool);
    const ids = await this.redis.zrangebyscore(key, now, "+inf");
    const leases = await this.leasesOf(ids);
    const live = new Set(leases.filter((l) => isLive(l.state)).map((l) => l.id));
    const found = new Set(leases.map((l) => l.id));
    const gone = ids.filter(
      (id) => !live.has(id) && (found.has(id) || (idTime(id) ?? 0) < now - WRITE_WITHIN_MS),
    );
    if (gone.length > 0) {
      await this.redis.zrem(key, ...gone);
      this.fruitless.delete(pool);
    } else {
      if (this.fruitless.size >= 10_000) this.fruitless.clear();
      this.fruitless.set(pool, now);
    }
    return gone.length;
  }
}

/**
 * Commands about values of several home shards, one pipeline per home: a Cluster takes a pipeline only when every
 * key in it is served by the same nodes. Throws the first command's error.
 */
export async function pipelinedByHome<T>(
  redis: RedisClient,
  items: readonly T[],
  homeOf: (item: T) => Keyspace,
  add: (pipeline: ChainableCommander, item: T, home: Keyspace) => void,
): Promise<void> {
  await Promise.all(
    [...groupBy(items, homeOf)].map(async ([home, part]) => {
      const pipeline = redis.pipeline();
      for (const item of part) add(pipeline, item, home);
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    }),
  );
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}
