import { inForce, type SuspendOutcome, type Suspension, type SuspensionStore } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

const ROUNDS = 10;
const LIVE = new Set(["pending", "active", "revoking", "revoke_failed"]);

/** A suspension as stored (JSON), or null. */
export function parseSuspension(raw: string | null | undefined): Suspension | null {
  if (!raw) return null;
  const s = JSON.parse(raw) as Suspension;
  return { agent: s.agent, reason: s.reason, until: s.until ?? null, by: s.by, at: s.at };
}

/** What the suspensions' channel carries when an agent's record changes (as the scripts encode it). */
function suspensionMessage(agent: string): string {
  return JSON.stringify({ t: "s", agent });
}

/**
 * Suspensions live in one hash (agent -> JSON), read with one HMGET whatever the number of agents asked about, and
 * a zset of their `until`s for the worker's lift. Suspending is one script (suspend_agent.lua) that records the
 * suspension and orders the revocations together; they survive restarts like everything else in Redis.
 */
export class RedisSuspensionStore implements SuspensionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
  ) {}

  suspend(suspension: Suspension, includeDelegated: boolean): Promise<SuspendOutcome> {
    return guard("suspend agent", async () => {
      const k = this.keys;
      const head = [
        k.suspensions,
        k.suspensionsUntil,
        k.deadline,
        k.pending,
        k.agentLeases(suspension.agent),
        k.agentDelegations(suspension.agent),
        k.agentTasks(suspension.agent),
      ];
      // Recorded first, on its own: from here every request of the agent's is refused, and issuance's re-read after
      // its write-ahead aborts what it wrote. So the rounds below converge however fast the agent (or whoever holds
      // its identity) keeps asking; the script records it again with the revocations, as before. Left recorded if
      // they fail: a suspension in force without its revocations is the safe side, and calling again orders them.
      const previous = await this.record(suspension);
      const walk = await this.readWalk(suspension.agent, includeDelegated);
      await this.readTree(suspension.agent, suspension.at, walk);
      for (let round = 0; round < ROUNDS; round++) {
        for (const key of head) walk.delete(key);
        const reply = await this.scripts.suspendAgent(
          [...head, ...walk],
          [
            k.prefix,
            suspension.agent,
            JSON.stringify(suspension),
            suspension.until ?? "",
            suspension.at,
            suspension.by,
            includeDelegated ? "1" : "0",
            k.suspensionsChannel,
          ],
        );
        const [kind, ...rest] = Array.isArray(reply) ? reply.map(String) : [];
        if (kind === "suspended") {
          const [, count = "0", ...ids] = rest;
          const n = Number(count);
          return { previous: parseSuspension(previous), revoked: ids.slice(0, n), due: ids.slice(n) };
        }
        if (kind !== "missing") throw new Error(`suspend_agent answered ${String(kind)}`);
        for (const name of await this.liveOnly(rest)) walk.add(name);
      }
      throw new Error(`the leases of ${suspension.agent} kept growing while it was being suspended`);
    });
  }

  /**
   * Records the suspension (and its `until`) alone, the first step of `suspend`: from here every request of the
   * agent is refused. Returns the one it replaced, as JSON.
   */
  async record(suspension: Suspension): Promise<string | null> {
    const k = this.keys;
    const multi = this.redis
      .multi()
      .hget(k.suspensions, suspension.agent)
      .hset(k.suspensions, suspension.agent, JSON.stringify(suspension))
      // In the same step: every API process's view learns the agent's record changed (suspension-view.ts).
      .publish(k.suspensionsChannel, suspensionMessage(suspension.agent));
    if (suspension.until === null) multi.zrem(k.suspensionsUntil, suspension.agent);
    else multi.zadd(k.suspensionsUntil, suspension.until, suspension.agent);
    const [[error, previous] = [null, null]] = (await multi.exec()) ?? [];
    if (error) throw error;
    return typeof previous === "string" ? previous : null;
  }

  /** The keys the script walks: the agent's live leases and, with delegates, its delegated tree's. */
  private async readWalk(agent: string, includeDelegated: boolean): Promise<Set<string>> {
    const k = this.keys;
    const walk = new Set<string>();
    const ids = await this.redis.zrange(k.agentLeases(agent), 0, -1);
    if (includeDelegated) {
      let level = await this.redis.smembers(k.agentDelegations(agent));
      const seen = new Set<string>();
      while (level.length > 0) {
        const pipeline = this.redis.pipeline();
        for (const id of level) {
          seen.add(id);
          walk.add(k.taskLeases(id)).add(k.taskChildren(id));
          pipeline.zrange(k.taskLeases(id), 0, -1).smembers(k.taskChildren(id));
        }
        const next: string[] = [];
        for (const [i, [error, members]] of ((await pipeline.exec()) ?? []).entries()) {
          if (error) throw error;
          if (i % 2 === 0) ids.push(...(members as string[]));
          else next.push(...(members as string[]).filter((id) => !seen.has(id)));
        }
        level = [...new Set(next)];
      }
    }
    for (const id of await this.liveIds(ids)) walk.add(k.lease(id));
    return walk;
  }

  /** The keys of the agent's tasks whose deadline is ahead and of every task below them, which the script stamps. */
  private async readTree(agent: string, now: number, walk: Set<string>): Promise<void> {
    const k = this.keys;
    let level = await this.redis.zrangebyscore(k.agentTasks(agent), now, "+inf");
    const seen = new Set<string>();
    while (level.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const id of level) {
        seen.add(id);
        walk.add(k.task(id)).add(k.taskChildren(id));
        pipeline.smembers(k.taskChildren(id));
      }
      const next: string[] = [];
      for (const [error, members] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        next.push(...(members as string[]).filter((id) => !seen.has(id)));
      }
      level = [...new Set(next)];
    }
  }

  /** Of the keys a script named as missing, the tree's own and the live leases' (an ended lease is not needed). */
  private async liveOnly(names: readonly string[]): Promise<string[]> {
    const marker = this.keys.lease("");
    const leases = names.filter((n) => n.startsWith(marker)).map((n) => n.slice(marker.length));
    const live = await this.liveIds(leases);
    return [...names.filter((n) => !n.startsWith(marker)), ...live.map((id) => this.keys.lease(id))];
  }

  /** Of these lease ids, the live ones (pending, active, revoking, revoke_failed). */
  private async liveIds(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.lease(id), "state");
    const out: string[] = [];
    for (const [i, [error, state]] of ((await pipeline.exec()) ?? []).entries()) {
      if (error) throw error;
      if (typeof state === "string" && LIVE.has(state)) out.push(ids[i] ?? "");
    }
    return out;
  }

  get(agent: string): Promise<Suspension | null> {
    return guard("read suspension", async () =>
      parseSuspension(await this.redis.hget(this.keys.suspensions, agent)),
    );
  }

  firstSuspended(agents: readonly string[], now: number): Promise<Suspension | null> {
    return guard("read suspensions", async () => {
      if (agents.length === 0) return null;
      const raw = await this.redis.hmget(this.keys.suspensions, ...agents);
      for (const value of raw) {
        const s = parseSuspension(value);
        if (inForce(s, now)) return s;
      }
      return null;
    });
  }

  lift(agent: string, lapsedBy?: number): Promise<Suspension | null> {
    return guard("lift suspension", async () => {
      const reply = await this.scripts.liftSuspension(
        [this.keys.suspensions, this.keys.suspensionsUntil],
        [agent, lapsedBy ?? "", this.keys.suspensionsChannel],
      );
      return typeof reply === "string" ? parseSuspension(reply) : null;
    });
  }

  lapsed(now: number, limit: number): Promise<string[]> {
    return guard("find lapsed suspensions", () =>
      this.redis.zrangebyscore(this.keys.suspensionsUntil, "-inf", now, "LIMIT", 0, limit),
    );
  }
}
