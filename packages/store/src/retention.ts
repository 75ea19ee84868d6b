import type { RedisClient } from "./connection.js";
import type { CrossShardHooks } from "./cross-shard.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** Per script call: each removal is a handful of commands, so a call stays well under a millisecond or two. */
const BATCH = 200;

export interface SweepResult {
  leases: number;
  tasks: number;
  campaigns: number;
  /** Index entries of approvals whose record had expired. */
  approvals: number;
  /** Tasks due but kept for now: some of their leases or sub-tasks are still there (live, or ended later). */
  deferred: number;
  /** The time budget ran out before everything due was removed: the next sweep goes on. */
  more: boolean;
}

/**
 * The retention of ended records (LEASH_LEASE_RETENTION_SECONDS): leases, tasks and campaigns that ended before a
 * cutoff go, each with every index entry that points at it, in bounded batches; live ones never do. What must be
 * kept longer is in the audit log and its export. The scripts that end them record when (`leasesEnded`,
 * `tasksEnded`, `campaignsEnded`), so a sweep reads only what is due.
 */
export class RedisRetention {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
    private readonly crossShard?: Pick<CrossShardHooks, "leasesSwept">,
  ) {}

  /**
   * Removes what ended at or before `cutoff` (ms). Leases first, then tasks (a task waits for its leases and
   * sub-tasks), then campaigns and stale approval index entries. Stops starting new batches after `budgetMs`.
   */
  sweep(cutoff: number, budgetMs = 5_000): Promise<SweepResult> {
    return guard("sweep ended records", async () => {
      const stopAt = Date.now() + budgetMs;
      const out: SweepResult = { leases: 0, tasks: 0, campaigns: 0, approvals: 0, deferred: 0, more: false };
      const over = () => Date.now() >= stopAt;
      for (let ids = await this.due(this.keys.leasesEnded, cutoff, 0); ids.length > 0; ) {
        out.leases += await this.sweepLeases(cutoff, ids);
        if (ids.length < BATCH) break;
        if (over()) return { ...out, more: true };
        ids = await this.due(this.keys.leasesEnded, cutoff, 0);
      }
      // Deferred tasks stay first in line: page past them. A parent waits for its sub-tasks, which may come after
      // it in line: go round again while a pass removes some and defers others (once per level of delegation).
      for (let pass = 0; pass < 8; pass++) {
        let [removed, skipped] = [0, 0];
        for (let ids = await this.due(this.keys.tasksEnded, cutoff, 0); ids.length > 0; ) {
          const [gone, deferred] = await this.sweepTasks(cutoff, ids);
          removed += gone;
          skipped += deferred;
          if (ids.length < BATCH) break;
          if (over()) return { ...out, tasks: out.tasks + removed, deferred: skipped, more: true };
          ids = await this.due(this.keys.tasksEnded, cutoff, skipped);
        }
        out.tasks += removed;
        out.deferred = skipped;
        if (removed === 0 || skipped === 0) break;
      }
      for (let ids = await this.due(this.keys.campaignsEnded, cutoff, 0); ids.length > 0; ) {
        out.campaigns += await this.sweepCampaigns(cutoff, ids);
        if (ids.length < BATCH) break;
        if (over()) return { ...out, more: true };
        ids = await this.due(this.keys.campaignsEnded, cutoff, 0);
      }
      out.approvals = await this.pruneApprovals();
      return out;
    });
  }

  private due(index: string, cutoff: number, offset: number): Promise<string[]> {
    return this.redis.zrangebyscore(index, "-inf", cutoff, "LIMIT", offset, BATCH);
  }

  private async sweepLeases(cutoff: number, ids: readonly string[]): Promise<number> {
    const k = this.keys;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(k.lease(id), "task", "agent", "idem");
    const fields = await results<(string | null)[]>(pipeline.exec());
    const keys = [k.leasesEnded, k.leases];
    for (const [i, id] of ids.entries()) {
      const [task, agent, idem] = fields[i] ?? [];
      keys.push(
        k.lease(id),
        task ? k.taskLeases(task) : k.none,
        agent ? k.agentLeases(agent) : k.none,
        idem?.startsWith(k.prefix) ? idem : k.none,
      );
    }
    const removed = Number(await this.scripts.sweepLeases(keys, [cutoff, ...ids]));
    // Every lease read here ended before the cutoff (only ending scripts add to `ended`), so each was removed.
    const swept = ids.flatMap((leaseId, i) => {
      const idem = fields[i]?.[2];
      return idem?.startsWith(k.prefix) ? [{ leaseId, idem: idem.slice(k.prefix.length) }] : [];
    });
    if (swept.length > 0) await this.crossShard?.leasesSwept(swept).catch(() => undefined);
    return removed;
  }

  private async sweepTasks(cutoff: number, ids: readonly string[]): Promise<[number, number]> {
    const k = this.keys;
    const parents = await results<string | null>(
      ids.reduce((p, id) => p.hget(k.task(id), "parent"), this.redis.pipeline()).exec(),
    );
    const parentAgents = await results<string | null>(
      parents.reduce((p, parent) => p.hget(k.task(parent ?? ""), "agent"), this.redis.pipeline()).exec(),
    );
    const agents = await results<string | null>(
      ids.reduce((p, id) => p.hget(k.task(id), "agent"), this.redis.pipeline()).exec(),
    );
    const keys = [k.tasksEnded];
    for (const [i, id] of ids.entries()) {
      const parent = parents[i];
      const parentAgent = parentAgents[i];
      keys.push(
        k.task(id),
        k.taskLeases(id),
        k.taskChildren(id),
        parent ? k.taskChildren(parent) : k.none,
        parent && parentAgent ? k.agentDelegations(parentAgent) : k.none,
        agents[i] ? k.agentTasks(agents[i] ?? "") : k.none,
      );
    }
    const reply = await this.scripts.sweepTasks(keys, [cutoff, ...ids]);
    const [removed, deferred] = Array.isArray(reply) ? reply.map(Number) : [0, 0];
    return [removed ?? 0, deferred ?? 0];
  }

  private async sweepCampaigns(cutoff: number, ids: readonly string[]): Promise<number> {
    const k = this.keys;
    const keys = [k.campaignsEnded, k.campaigns];
    for (const id of ids)
      keys.push(
        k.campaign(id),
        k.campaignTargets(id),
        k.campaignDone(id),
        k.campaignFailing(id),
        k.campaignCuts(id),
      );
    return Number(await this.scripts.sweepCampaigns(keys, [cutoff, ...ids]));
  }

  /**
   * Approvals expire by themselves (their records have a TTL); their index entries are dropped here, oldest first,
   * up to the first approval still there. An expired record never comes back, so this needs no script.
   */
  private async pruneApprovals(): Promise<number> {
    const k = this.keys;
    let pruned = 0;
    for (;;) {
      const ids = await this.redis.zrange(k.approvals, 0, BATCH - 1);
      if (ids.length === 0) return pruned;
      const exists = await results<number>(
        ids.reduce((p, id) => p.exists(k.approval(id)), this.redis.pipeline()).exec(),
      );
      const gone = ids.filter((_, i) => exists[i] === 0);
      if (gone.length > 0) pruned += await this.redis.zrem(k.approvals, ...gone);
      if (gone.length < ids.length) return pruned;
    }
  }
}

async function results<T>(replies: Promise<[Error | null, unknown][] | null>): Promise<T[]> {
  return ((await replies) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}
