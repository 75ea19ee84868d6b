import type { SuspendOutcome, Suspension } from "@leash/core";
import type { RedisRetention, SweepResult } from "../retention.js";
import type { Public } from "../store.js";
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

  /**
   * One read: in the shard of `near` (a lease's re-read after its write-ahead, which must meet a suspension's
   * revocations in that shard), else in the shard the first agent hashes to, or, while that one's primary fails
   * over, the next that answers: every shard holds every suspension, so a request is refused only when its own
   * shard is down.
   */
  async firstSuspended(agents: readonly string[], now: number, near?: string): Promise<Suspension | null> {
    if (near !== undefined) return (await this.router.ofTask(near)).suspensions.firstSuspended(agents, now);
    const first = this.router.shards.indexOf(this.router.ofValue(agents[0] ?? ""));
    let failure: unknown;
    for (let i = 0; i < this.router.count; i++) {
      const store = this.router.at((first + i) % this.router.count);
      try {
        return await store.suspensions.firstSuspended(agents, now);
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
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
