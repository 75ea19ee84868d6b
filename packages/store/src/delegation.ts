import type { RedisClient } from "./connection.js";
import type { Keyspace } from "./keys.js";

/**
 * Task id -> its delegation chain: the agents of its ancestor tasks, nearest first (as in RFC 8693 `act` and the
 * policies' `task.chain`).
 */
export type Chains = Map<string, string[]>;

/**
 * Reads of the delegation tree: down from an agent (what it delegated, through `agentDelegations` and
 * `taskChildren`, so the cost follows the size of its delegations, never the number of leases), and up from tasks
 * (whose ancestors' agents a prefix selector must see). One pipelined round trip per level of the tree.
 */
export class DelegationReader {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
  ) {}

  /**
   * Every task descending, at any depth, from the tasks of `agent`, with its chain up to (and ending with) `agent`.
   * A sub-task reached along several paths keeps its shortest chain. Index entries whose task is gone (removed
   * with its retention) are dropped here, so the index needs no cleanup of its own.
   */
  async delegatedBy(agent: string): Promise<Chains> {
    const out: Chains = new Map();
    const direct = await this.redis.smembers(this.keys.agentDelegations(agent));
    let level: [string, string[]][] = direct.map((id) => [id, [agent]]);
    const gone: string[] = [];
    while (level.length > 0) {
      const fresh = level.filter(([id]) => !out.has(id));
      const pipeline = this.redis.pipeline();
      for (const [id] of fresh)
        pipeline.hget(this.keys.task(id), "agent").smembers(this.keys.taskChildren(id));
      const replies = (await pipeline.exec()) ?? [];
      const next: [string, string[]][] = [];
      for (const [i, [id, chain]] of fresh.entries()) {
        const [agentError, owner] = replies[2 * i] ?? [];
        const [childError, children] = replies[2 * i + 1] ?? [];
        if (agentError) throw agentError;
        if (childError) throw childError;
        if (typeof owner !== "string") {
          if (chain.length === 1) gone.push(id);
          continue;
        }
        if (out.has(id)) continue;
        out.set(id, chain);
        for (const child of children as string[]) if (!out.has(child)) next.push([child, [owner, ...chain]]);
      }
      level = next;
    }
    if (gone.length > 0) await this.redis.srem(this.keys.agentDelegations(agent), ...gone);
    return out;
  }

  /** The full chain of each task (its ancestors' agents, nearest first); tasks that are gone get an empty chain. */
  async ancestry(taskIds: Iterable<string>): Promise<Chains> {
    const parentOf = new Map<string, string | null>();
    const agentOf = new Map<string, string>();
    let level = [...new Set(taskIds)];
    while (level.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const id of level) pipeline.hmget(this.keys.task(id), "agent", "parent");
      const replies = (await pipeline.exec()) ?? [];
      const next = new Set<string>();
      for (const [i, id] of level.entries()) {
        const [error, fields] = replies[i] ?? [];
        if (error) throw error;
        const [agent, parent] = (fields as (string | null)[] | undefined) ?? [];
        parentOf.set(id, parent ?? null);
        if (agent) agentOf.set(id, agent);
        if (parent && !parentOf.has(parent)) next.add(parent);
      }
      level = [...next];
    }
    const out: Chains = new Map();
    for (const id of new Set(taskIds)) {
      const chain: string[] = [];
      const visited = new Set<string>([id]);
      for (let p = parentOf.get(id) ?? null; p !== null && !visited.has(p); p = parentOf.get(p) ?? null) {
        visited.add(p);
        const agent = agentOf.get(p);
        if (agent) chain.push(agent);
      }
      out.set(id, chain);
    }
    return out;
  }

  /** Ids of every lease (in any state) of the given tasks. */
  async leaseIdsOf(taskIds: Iterable<string>): Promise<string[]> {
    const ids = [...taskIds];
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.zrange(this.keys.taskLeases(id), 0, -1);
    const out: string[] = [];
    for (const [error, members] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      out.push(...(members as string[]));
    }
    return out;
  }
}
