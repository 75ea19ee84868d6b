import type {
  ActivateInput,
  ActivateOutcome,
  Clock,
  IdempotencyRecord,
  IssueRefusal,
  IssueStanding,
  Lease,
  LeasePage,
  LeaseQuery,
  LeaseSelector,
  LeaseStore,
  QuotaPool,
  QuotaUsage,
  RevocationRequest,
  SettledState,
} from "@leash/core";
import { observedState, quotaExceeded, systemClock } from "@leash/core";
import { leaseFromHash, leaseToFields } from "./codec.js";
import type { RedisClient } from "./connection.js";
import type { CrossShardHooks } from "./cross-shard.js";
import { type Chains, DelegationReader } from "./delegation.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import { quotaRefusalOf, quotaScriptArgs, readQuotaUsage } from "./quotas.js";
import type { ScriptReply, Scripts } from "./scripts.js";

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const BATCH = 500;

/** A live lease in an agent's exposure: its own (`chain` null), or a delegate's with the chain down from it. */
export interface ExposedLease {
  lease: Lease;
  /** The agents of the lease's ancestor tasks, nearest first, ending with the exposed agent. */
  chain: string[] | null;
}

function strings(reply: ScriptReply): string[] {
  return Array.isArray(reply) ? reply.map(String) : [];
}

/**
 * The trust-file pools a lease holds a place in on their home shard (several shards only, sharded/pools.ts): its
 * receipt names them, so that chaining it frees the places.
 */
function homedFields(homed: readonly string[]): string[] {
  return homed.length > 0 ? ["qhome", JSON.stringify(homed)] : [];
}

/** An Idempotency-Key's value: `<lease id> <body hash>`. */
export function idempotencyRecordOf(value: string): IdempotencyRecord {
  const [leaseId = "", bodyHash = ""] = value.split(" ");
  return { leaseId, bodyHash };
}

export class RedisLeaseStore implements LeaseStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
    private readonly clock: Clock = systemClock,
    private readonly crossShard?: Pick<CrossShardHooks, "leaseAborted">,
  ) {}

  createPending(
    lease: Lease,
    idem?: { key: string; bodyHash: string },
    pools: readonly QuotaPool[] = [],
    homed: readonly string[] = [],
  ): Promise<IdempotencyRecord | null> {
    return guard("write-ahead", async () => {
      const k = this.keys;
      const quotas = quotaScriptArgs(k, pools);
      const reply = await this.scripts.createPending(
        [
          k.lease(lease.id),
          k.taskLeases(lease.taskId),
          k.agentLeases(lease.agent),
          k.leases,
          k.pending,
          idem ? k.idempotency(lease.agent, idem.key) : k.none,
          k.agentsLive,
          k.providersLive,
          k.counters,
          ...quotas.keys,
        ],
        [
          lease.id,
          lease.issuedAt,
          idem ? `${lease.id} ${idem.bodyHash}` : "",
          IDEMPOTENCY_TTL_MS,
          ...quotas.args,
          ...leaseToFields(lease),
          ...homedFields(homed),
        ],
      );
      const refusal = quotaRefusalOf(reply);
      if (refusal) throw quotaExceeded(refusal);
      if (typeof reply !== "string") return null;
      return idempotencyRecordOf(reply);
    });
  }

  createActive(
    lease: Lease,
    standing: IssueStanding,
    idem?: { key: string; bodyHash: string },
    pools: readonly QuotaPool[] = [],
    homed: readonly string[] = [],
  ): Promise<IdempotencyRecord | { refused: IssueRefusal } | null> {
    return guard("issue", async () => {
      const k = this.keys;
      const quotas = quotaScriptArgs(k, pools);
      const reply = await this.scripts.createActive(
        [
          k.lease(lease.id),
          k.taskLeases(lease.taskId),
          k.agentLeases(lease.agent),
          k.leases,
          k.deadline,
          idem ? k.idempotency(lease.agent, idem.key) : k.none,
          k.agentsLive,
          k.providersLive,
          k.counters,
          k.suspensions,
          ...standing.tasks.map((t) => k.task(t.id)),
          ...quotas.keys,
        ],
        [
          lease.id,
          lease.issuedAt,
          idem ? `${lease.id} ${idem.bodyHash}` : "",
          IDEMPOTENCY_TTL_MS,
          standing.tasks.length,
          ...standing.tasks.map((t) => (t.stamp === null ? "" : String(t.stamp))),
          standing.agents.length,
          ...standing.agents,
          ...quotas.args,
          ...leaseToFields(lease),
          ...homedFields(homed),
        ],
      );
      const refusal = quotaRefusalOf(reply);
      if (refusal) throw quotaExceeded(refusal);
      if (Array.isArray(reply) && reply[0] === "refused")
        return { refused: String(reply[1]) as IssueRefusal };
      if (typeof reply !== "string") return null;
      return idempotencyRecordOf(reply);
    });
  }

  idempotencyRecord(agent: string, key: string): Promise<IdempotencyRecord | null> {
    return guard("read an idempotency key", async () => {
      const value = await this.redis.get(this.keys.idempotency(agent, key));
      return value === null ? null : idempotencyRecordOf(value);
    });
  }

  activate(leaseId: string, input: ActivateInput, now = this.clock.now()): Promise<ActivateOutcome> {
    return guard("activate", async () => {
      const lease = input.taskId ?? (await this.redis.hget(this.keys.lease(leaseId), "task"));
      const reply = await this.scripts.activate(
        [this.keys.lease(leaseId), this.keys.task(lease ?? ""), this.keys.pending, this.keys.deadline],
        [leaseId, now, JSON.stringify(input.handle), input.providerExpiresAt, JSON.stringify(input.scope)],
      );
      return reply === "revoke" ? "revoke" : "active";
    });
  }

  async abort(leaseId: string, reason: string, now = this.clock.now()): Promise<boolean> {
    const { aborted, homed } = await this.abortCounted(leaseId, reason, now);
    // An aborted lease counts in no quota, on the pools' home shard either (that is recoverable: no throw).
    if (aborted && homed.length > 0)
      await this.crossShard?.leaseAborted(leaseId, homed).catch(() => undefined);
    return aborted;
  }

  private abortCounted(
    leaseId: string,
    reason: string,
    now: number,
  ): Promise<{ aborted: boolean; homed: string[] }> {
    return guard("abort", async () => {
      const k = this.keys;
      // The quota keys the lease was counted in, recorded by its write-ahead and never changed since.
      const [rate, issued, home] = await this.redis.hmget(k.lease(leaseId), "qrate", "qtask", "qhome");
      const counted = [rate, issued].flatMap((json) => (json ? (JSON.parse(json) as string[]) : []));
      const reply = await this.scripts.abort(
        [
          k.lease(leaseId),
          k.pending,
          k.deadline,
          k.agentsLive,
          k.providersLive,
          k.leasesEnded,
          k.counters,
          ...counted,
        ],
        [leaseId, now, reason],
      );
      return { aborted: reply === 1, homed: home ? (JSON.parse(home) as string[]) : [] };
    });
  }

  quotaUsage(pools: readonly QuotaPool[], now: number): Promise<QuotaUsage[]> {
    return guard("read quota usage", () => readQuotaUsage(this.redis, this.keys, pools, now));
  }

  get(leaseId: string): Promise<Lease | null> {
    return guard("read lease", async () =>
      leaseFromHash(leaseId, await this.redis.hgetall(this.keys.lease(leaseId))),
    );
  }

  async getMany(ids: readonly string[]): Promise<Lease[]> {
    return guard("read leases", async () => {
      const out: Lease[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        const pipeline = this.redis.pipeline();
        const slice = ids.slice(i, i + BATCH);
        for (const id of slice) pipeline.hgetall(this.keys.lease(id));
        const replies = (await pipeline.exec()) ?? [];
        for (const [index, [error, hash]] of replies.entries()) {
          if (error) throw error;
          const lease = leaseFromHash(slice[index] ?? "", hash as Record<string, string>);
          if (lease) out.push(lease);
        }
      }
      return out;
    });
  }

  list(query: LeaseQuery): Promise<LeasePage> {
    return guard("list leases", async () => {
      const index = query.taskId
        ? this.keys.taskLeases(query.taskId)
        : query.agent
          ? this.keys.agentLeases(query.agent)
          : this.keys.leases;
      const items: Lease[] = [];
      let cursor = query.cursor ?? null;
      // Newest first; filters that the index cannot express are applied to bounded pages.
      for (let round = 0; round < 20 && items.length < query.limit; round++) {
        const max = cursor === null ? "+" : `(${cursor}`;
        const ids = await this.redis.zrevrangebylex(index, max, "-", "LIMIT", 0, query.limit * 2);
        if (ids.length === 0) {
          cursor = null;
          break;
        }
        for (const lease of await this.getMany(ids)) {
          cursor = lease.id;
          if (query.agent && lease.agent !== query.agent) continue;
          if (query.taskId && lease.taskId !== query.taskId) continue;
          if (query.provider && lease.provider !== query.provider) continue;
          if (query.target !== undefined && lease.target !== query.target) continue;
          if (query.state && stateAt(lease, query.at) !== query.state) continue;
          items.push(lease);
          if (items.length === query.limit) break;
        }
        cursor = ids.length < query.limit * 2 && items.length < query.limit ? null : cursor;
        if (cursor === null) break;
      }
      // A sparse filter may stop at the round limit with a short page: the cursor then says where to go on.
      return { items, nextCursor: cursor };
    });
  }

  requestRevocation(orders: readonly RevocationRequest[], at = this.clock.now()): Promise<string[]> {
    return guard("order revocation", async () => {
      const out: string[] = [];
      // One script call per order group and batch, so Redis is never blocked for long.
      for (const [order, ids] of groupOrders(orders)) {
        for (let i = 0; i < ids.length; i += BATCH) {
          const batch = ids.slice(i, i + BATCH);
          const reply = await this.scripts.requestRevocation(
            [this.keys.deadline, ...batch.map((id) => this.keys.lease(id))],
            [at, ...orderArgs(order), ...batch],
          );
          out.push(...strings(reply));
        }
      }
      return out;
    });
  }

  markRevoked(leaseId: string, at = this.clock.now()): Promise<boolean> {
    return this.settle(leaseId, at, "revoked").then((r) => r !== null);
  }

  settle(
    leaseId: string,
    at: number,
    state: SettledState,
    detail?: Readonly<Record<string, string | number | boolean>>,
  ): Promise<string | null> {
    return guard("settle lease", async () => {
      const reply = strings(
        await this.scripts.settle(
          [this.keys.lease(leaseId), ...this.settleKeys()],
          [leaseId, at, state, detail ? JSON.stringify(detail) : ""],
        ),
      );
      return reply[0] === "1" ? (reply[1] ?? "") : null;
    });
  }

  settleMany(
    orders: readonly RevocationRequest[],
    at = this.clock.now(),
    detail?: Readonly<Record<string, string | number | boolean>>,
  ): Promise<string[]> {
    return guard("settle leases", async () => {
      const out: string[] = [];
      const extra = detail ? JSON.stringify(detail) : "";
      for (const [order, ids] of groupOrders(orders)) {
        for (let i = 0; i < ids.length; i += BATCH) {
          const batch = ids.slice(i, i + BATCH);
          const reply = await this.scripts.settleMany(
            [...this.settleKeys(), ...batch.map((id) => this.keys.lease(id))],
            [at, ...orderArgs(order), extra, ...batch],
          );
          out.push(...strings(reply));
        }
      }
      return out;
    });
  }

  /** What every ending transition touches besides the leases: indexes, gauges and the receipts' outbox. */
  private settleKeys(): string[] {
    const keys = this.keys;
    return [
      keys.deadline,
      keys.agentsLive,
      keys.providersLive,
      keys.counters,
      keys.auditOutbox,
      keys.leasesEnded,
    ];
  }

  markRevokeFailed(leaseId: string, error: string): Promise<boolean> {
    return guard("record revoke failure", async () => {
      return (
        (await this.scripts.revokeFailed(
          [this.keys.lease(leaseId), this.keys.counters],
          [error.slice(0, 500)],
        )) === 1
      );
    });
  }

  markExpired(leaseId: string, at = this.clock.now()): Promise<boolean> {
    return this.settle(leaseId, at, "expired").then((r) => r !== null);
  }

  claimDue(now: number, limit: number, claimForMs: number): Promise<string[]> {
    return guard("claim due leases", async () =>
      strings(await this.scripts.claimDue([this.keys.deadline], [now, limit, now + claimForMs])),
    );
  }

  stalePending(olderThan: number, limit: number): Promise<string[]> {
    return guard("find stale pending leases", () =>
      this.redis.zrangebyscore(this.keys.pending, "-inf", olderThan, "LIMIT", 0, limit),
    );
  }

  /**
   * Live leases whose end came due at or before `dueBefore` and that a poller has claimed (their deadline entry
   * pushed past `now`) without them being settled since: their revoke job is slow, stuck or lost. Looks at the
   * `scan` claimed entries nearest their deadline.
   */
  overdue(now: number, dueBefore: number, scan: number): Promise<Lease[]> {
    return guard("find overdue leases", async () => {
      const ids = await this.redis.zrangebyscore(this.keys.deadline, `(${now}`, "+inf", "LIMIT", 0, scan);
      return (await this.getMany(ids)).filter((l) =>
        l.state === "active"
          ? l.expiresAt <= dueBefore
          : (l.state === "revoking" || l.state === "revoke_failed") &&
            (l.revokeRequestedAt ?? l.expiresAt) <= dueBefore,
      );
    });
  }

  private get delegation(): DelegationReader {
    return new DelegationReader(this.redis, this.keys);
  }

  selectLive(selector: LeaseSelector): Promise<Lease[]> {
    return guard("select leases", async () => {
      const delegated =
        selector.includeDelegated === true &&
        (selector.agent !== undefined || selector.agentPrefix !== undefined);
      let ids: string[];
      let chains: Chains | undefined;
      if (selector.taskId) {
        ids = await this.redis.zrange(this.keys.taskLeases(selector.taskId), 0, -1);
      } else if (selector.agent !== undefined) {
        ids = await this.redis.zrange(this.keys.agentLeases(selector.agent), 0, -1);
        if (delegated) {
          // Down the agent's delegations: what its delegates hold, without reading anyone else's leases.
          chains = await this.delegation.delegatedBy(selector.agent);
          ids = [...new Set([...ids, ...(await this.delegation.leaseIdsOf(chains.keys()))])].sort();
        }
      } else {
        const [due, pending] = await Promise.all([
          this.redis.zrange(this.keys.deadline, 0, -1),
          this.redis.zrange(this.keys.pending, 0, -1),
        ]);
        ids = [...pending, ...due].sort();
      }
      const leases = await this.getMany(ids);
      if (delegated && chains === undefined) {
        // Up from the tasks of the leases that match all but the agent: does a matching agent sit above them?
        const others = { ...selector, agent: undefined, agentPrefix: undefined };
        const candidates = leases.filter((l) => matches(l, others) && !matches(l, selector));
        chains = await this.delegation.ancestry(candidates.map((l) => l.taskId));
      }
      return leases.filter((l) => matches(l, selector, chains?.get(l.taskId)));
    });
  }

  /**
   * An agent's live leases and, with `includeDelegated`, those of every task descending from its tasks (a
   * delegate's lease carries its chain). Reads only the agent's leases and its delegation tree.
   */
  exposure(agent: string, includeDelegated: boolean): Promise<ExposedLease[]> {
    return guard("read exposure", async () => {
      const own = await this.redis.zrange(this.keys.agentLeases(agent), 0, -1);
      const chains: Chains = includeDelegated ? await this.delegation.delegatedBy(agent) : new Map();
      const ids = [...new Set([...own, ...(await this.delegation.leaseIdsOf(chains.keys()))])];
      const live = (await this.getMany(ids)).filter((l) => LIVE.has(l.state));
      return live.map((lease) => ({
        lease,
        chain: lease.agent === agent ? null : (chains.get(lease.taskId) ?? null),
      }));
    });
  }

  /** Live leases by provider and the number of leases in `revoke_failed`, for metrics. */
  gauges(): Promise<{ liveByProvider: Record<string, number>; revokeFailed: number }> {
    return guard("read gauges", async () => {
      const [live, failed] = await Promise.all([
        this.redis.hgetall(this.keys.providersLive),
        this.redis.hget(this.keys.counters, "revoke_failed"),
      ]);
      return {
        liveByProvider: Object.fromEntries(Object.entries(live).map(([p, n]) => [p, Number(n)])),
        revokeFailed: Number(failed ?? 0),
      };
    });
  }

  liveCount(filter: { agent?: string }): Promise<number> {
    return guard("count leases", async () => {
      if (filter.agent) return Number((await this.redis.hget(this.keys.agentsLive, filter.agent)) ?? 0);
      const [due, pending] = await Promise.all([
        this.redis.zcard(this.keys.deadline),
        this.redis.zcard(this.keys.pending),
      ]);
      return due + pending;
    });
  }
}

/** The stored state, or the one a reader sees at `at` (a lease past its expiry is expired). */
function stateAt(lease: Lease, at: number | undefined) {
  return at === undefined ? lease.state : observedState(lease, at).state;
}

type OrderGroup = Omit<RevocationRequest, "leaseId">;

/** Orders grouped by everything but the lease, so each group is one script call per batch. */
function groupOrders(orders: readonly RevocationRequest[]): Map<OrderGroup, string[]> {
  const byKey = new Map<string, { order: OrderGroup; ids: string[] }>();
  for (const o of orders) {
    const key = JSON.stringify([o.cause, o.actor, o.campaignId ?? "", o.policies ?? []]);
    const group = byKey.get(key) ?? { order: o, ids: [] };
    group.ids.push(o.leaseId);
    byKey.set(key, group);
  }
  return new Map([...byKey.values()].map((g) => [g.order, g.ids]));
}

/** ARGV cause, actor, campaign, policies of the ordering scripts. */
function orderArgs(o: OrderGroup): string[] {
  return [o.cause, o.actor, o.campaignId ?? "", o.policies?.length ? JSON.stringify(o.policies) : ""];
}

const LIVE = new Set(["pending", "active", "revoking", "revoke_failed"]);

/**
 * Whether a live lease matches a selector. `chain` (the agents of the lease's ancestor tasks) lets `agent` and
 * `agentPrefix` match a delegate's lease when the selector includes delegates.
 */
export function matches(lease: Lease, s: LeaseSelector, chain: readonly string[] = []): boolean {
  if (!LIVE.has(lease.state)) return false;
  const above = s.includeDelegated ? chain : [];
  if (s.agent !== undefined && lease.agent !== s.agent && !above.includes(s.agent)) return false;
  const prefix = s.agentPrefix;
  if (prefix !== undefined && ![lease.agent, ...above].some((a) => a.startsWith(prefix))) return false;
  if (s.taskId !== undefined && lease.taskId !== s.taskId) return false;
  if (s.provider !== undefined && lease.provider !== s.provider) return false;
  if (s.target !== undefined && lease.target !== s.target) return false;
  if (s.issuedBefore !== undefined && lease.issuedAt >= s.issuedBefore) return false;
  return true;
}
