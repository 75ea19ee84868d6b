import type { SuspendOutcome, Suspension } from "@leash/core";
import type { RedisRetention, SweepResult } from "../retention.js";
import type { Public, Store } from "../store.js";
import type { RedisSuspensionStore } from "../suspension-store.js";
import type { ShardRouter } from "./router.js";

/**
 * Suspensions are few and written to every shard, so each shard's issuance checks its own copy and each shard's
 * script revokes its own leases. Every shard records the suspension before any shard revokes: a lease written ahead
 * anywhere after that finds it on its re-read, and one written before is found by its shard's revocation.
 */
export class ShardedSuspensionStore implements Public<RedisSuspensionStore> {
  constructor(private readonly router: ShardRouter) {}

  async record(suspension: Suspension): Promise<string | null> {
    const previous = await this.router.all((s) => s.suspensions.record(suspension));
    return previous.find((p) => p !== null) ?? null;
  }

  async suspend(suspension: Suspension, includeDelegated: boolean): Promise<SuspendOutcome> {
    const before = await this.get(suspension.agent);
    await this.record(suspension);
    const outcomes = await this.router.all((s) => s.suspensions.suspend(suspension, includeDelegated));
    return {
      previous: before,
      revoked: outcomes.flatMap((o) => o.revoked),
      due: outcomes.flatMap((o) => o.due),
    };
  }

  get(agent: string) {
    return this.router.ofValue(agent).suspensions.get(agent);
  }

  /** One read per shard the agents hash to (usually one agent, one read), spread over the shards. */
  async firstSuspended(agents: readonly string[], now: number): Promise<Suspension | null> {
    const byShard = new Map<Store, string[]>();
    for (const agent of agents) {
      const store = this.router.ofValue(agent);
      byShard.set(store, [...(byShard.get(store) ?? []), agent]);
    }
    const found = await Promise.all([...byShard].map(([s, part]) => s.suspensions.firstSuspended(part, now)));
    for (const agent of agents) {
      const hit = found.find((s) => s?.agent === agent);
      if (hit) return hit;
    }
    return null;
  }

  async lift(agent: string, lapsedBy?: number): Promise<Suspension | null> {
    // The agent's own shard first: a renewal that lands meanwhile keeps it there, and the others follow it.
    const lifted = await this.router.ofValue(agent).suspensions.lift(agent, lapsedBy);
    if (lifted === null && lapsedBy !== undefined) return null;
    const rest = await this.router.all((s) => s.suspensions.lift(agent, lapsedBy));
    return lifted ?? rest.find((r) => r !== null) ?? null;
  }

  async lapsed(now: number, limit: number): Promise<string[]> {
    return [...new Set((await this.router.all((s) => s.suspensions.lapsed(now, limit))).flat())].slice(
      0,
      limit,
    );
  }
}

export class ShardedRetention implements Public<RedisRetention> {
  constructor(private readonly router: ShardRouter) {}

  async sweep(cutoff: number, budgetMs?: number): Promise<SweepResult> {
    const parts = await this.router.all((s) => s.retention.sweep(cutoff, budgetMs));
    const sum = (pick: (r: SweepResult) => number) => parts.reduce((n, r) => n + pick(r), 0);
    return {
      leases: sum((r) => r.leases),
      tasks: sum((r) => r.tasks),
      campaigns: sum((r) => r.campaigns),
      approvals: sum((r) => r.approvals),
      deferred: sum((r) => r.deferred),
      more: parts.some((r) => r.more),
    };
  }
}
