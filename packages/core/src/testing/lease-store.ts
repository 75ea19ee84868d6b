import { LeashError } from "../errors.js";
import { isLive, type Lease } from "../lease.js";
import type {
  ActivateInput,
  ActivateOutcome,
  IdempotencyRecord,
  IssueRefusal,
  IssueStanding,
  LeasePage,
  LeaseQuery,
  LeaseSelector,
  LeaseStore,
  RevocationRequest,
  SettledState,
} from "../ports.js";
import { type QuotaPool, type QuotaUsage, quotaExceeded } from "../quota.js";
import { inForce } from "../suspension.js";
import { CallLog } from "./calls.js";
import { QuotaLedger } from "./quota-ledger.js";
import type { InMemorySuspensionStore } from "./suspension-store.js";
import type { InMemoryTaskStore } from "./task-store.js";

/**
 * The lease table in a Map, with the transitions of packages/store's Lua scripts: a revocation ordered while a
 * lease is pending is remembered and applied by `activate`, as is the end of its task.
 */
export class InMemoryLeaseStore implements LeaseStore {
  readonly leases = new Map<string, Lease>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  /** Revocation orders that arrived while the lease was pending. */
  private readonly orders = new Map<string, RevocationRequest & { at: number }>();
  private readonly claims = new Map<string, number>();
  private readonly quotas = new QuotaLedger(this.leases);
  /** What `createActive` checks suspensions against (set by the fake broker). */
  suspensions: InMemorySuspensionStore | undefined;

  constructor(
    private readonly log = new CallLog(),
    private readonly tasks?: InMemoryTaskStore,
  ) {}

  private must(leaseId: string): Lease {
    const lease = this.leases.get(leaseId);
    if (!lease) throw new LeashError("not_found", `lease ${leaseId} does not exist`);
    return lease;
  }

  async createPending(
    lease: Lease,
    idempotency?: { key: string; bodyHash: string },
    quotas: readonly QuotaPool[] = [],
  ): Promise<IdempotencyRecord | null> {
    this.log.record("leases.createPending");
    const earlier = idempotency && this.idempotency.get(`${lease.agent}\n${idempotency.key}`);
    if (earlier) return earlier;
    const refusal = this.quotas.admit(lease, quotas);
    if (refusal) throw quotaExceeded(refusal);
    if (idempotency) {
      this.idempotency.set(`${lease.agent}\n${idempotency.key}`, {
        leaseId: lease.id,
        bodyHash: idempotency.bodyHash,
      });
    }
    this.leases.set(lease.id, { ...lease, state: "pending" });
    return null;
  }

  async createActive(
    lease: Lease,
    standing: IssueStanding,
    idempotency?: { key: string; bodyHash: string },
    quotas: readonly QuotaPool[] = [],
  ): Promise<IdempotencyRecord | { refused: IssueRefusal } | null> {
    this.log.record("leases.createActive");
    const earlier = idempotency && this.idempotency.get(`${lease.agent}\n${idempotency.key}`);
    if (earlier) return earlier;
    const refused = this.refusalOf(standing, lease.issuedAt);
    if (refused) return { refused };
    const refusal = this.quotas.admit(lease, quotas);
    if (refusal) throw quotaExceeded(refusal);
    if (idempotency) {
      this.idempotency.set(`${lease.agent}\n${idempotency.key}`, {
        leaseId: lease.id,
        bodyHash: idempotency.bodyHash,
      });
    }
    this.leases.set(lease.id, { ...lease, state: "active" });
    return null;
  }

  private refusalOf(standing: IssueStanding, now: number): IssueRefusal | null {
    for (const [i, { id, stamp }] of standing.tasks.entries()) {
      const task = this.tasks?.tasks.get(id);
      if (i === 0 && task?.state !== "active") return "task_not_active";
      if (stamp !== null && (task?.stamp ?? 0) !== stamp) return "changed";
    }
    const suspended = standing.agents.some((a) => inForce(this.suspensions?.records.get(a) ?? null, now));
    return suspended ? "agent_suspended" : null;
  }

  async idempotencyRecord(agent: string, key: string): Promise<IdempotencyRecord | null> {
    this.log.record("leases.idempotencyRecord");
    return this.idempotency.get(`${agent}\n${key}`) ?? null;
  }

  async quotaUsage(pools: readonly QuotaPool[], now: number): Promise<QuotaUsage[]> {
    this.log.record("leases.quotaUsage");
    return pools.map((pool) => this.quotas.usage(pool, now));
  }

  async activate(leaseId: string, input: ActivateInput): Promise<ActivateOutcome> {
    this.log.record("leases.activate");
    const lease = this.must(leaseId);
    if (lease.state !== "pending") throw new LeashError("conflict", `lease ${leaseId} is ${lease.state}`);
    const activated: Lease = {
      ...lease,
      state: "active",
      handle: input.handle,
      providerExpiresAt: input.providerExpiresAt,
      scope: input.scope,
    };
    const task = this.tasks?.tasks.get(lease.taskId);
    const order = this.orders.get(leaseId);
    if (order || (task && task.state !== "active")) {
      this.leases.set(leaseId, {
        ...activated,
        state: "revoking",
        revokeReason: order?.cause ?? `task_${task?.state}`,
        revokeRequestedAt: order?.at ?? task?.endedAt ?? null,
      });
      return "revoke";
    }
    this.leases.set(leaseId, activated);
    return "active";
  }

  async abort(leaseId: string, reason: string): Promise<boolean> {
    this.log.record("leases.abort");
    const lease = this.leases.get(leaseId);
    if (lease?.state !== "pending") return false;
    this.leases.set(leaseId, { ...lease, state: "aborted", revokeReason: reason });
    return true;
  }

  async get(leaseId: string): Promise<Lease | null> {
    this.log.record("leases.get");
    const lease = this.leases.get(leaseId);
    return lease ? { ...lease } : null;
  }

  async list(query: LeaseQuery): Promise<LeasePage> {
    this.log.record("leases.list");
    const all = [...this.leases.values()]
      .filter(
        (l) =>
          (query.agent === undefined || l.agent === query.agent) &&
          (query.taskId === undefined || l.taskId === query.taskId) &&
          (query.provider === undefined || l.provider === query.provider) &&
          (query.target === undefined || l.target === query.target) &&
          (query.state === undefined || l.state === query.state),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const start = query.cursor ? all.findIndex((l) => l.id > (query.cursor ?? "")) : 0;
    const items = start < 0 ? [] : all.slice(start, start + query.limit);
    const last = items.at(-1);
    return { items, nextCursor: last && all.indexOf(last) < all.length - 1 ? last.id : null };
  }

  async requestRevocation(orders: readonly RevocationRequest[], at: number): Promise<string[]> {
    this.log.record("leases.requestRevocation");
    const due: string[] = [];
    for (const order of orders) {
      const lease = this.leases.get(order.leaseId);
      if (!lease) continue;
      if (lease.state === "pending") {
        if (!this.orders.has(lease.id)) this.orders.set(lease.id, { ...order, at });
      } else if (lease.state === "active") {
        this.leases.set(lease.id, {
          ...lease,
          state: "revoking",
          revokeReason: order.cause,
          revokeRequestedAt: at,
        });
        due.push(lease.id);
      } else if (lease.state === "revoking" || lease.state === "revoke_failed") due.push(lease.id);
    }
    return due;
  }

  async settle(leaseId: string, at: number, state: SettledState): Promise<string | null> {
    this.log.record("leases.settle");
    const lease = this.leases.get(leaseId);
    if (!lease || lease.state === "pending" || !isLive(lease.state)) return null;
    if (state === "revoked" && lease.state === "active") return null;
    this.leases.set(leaseId, {
      ...lease,
      state,
      revokedAt: at,
      revokeReason: lease.revokeReason ?? (state === "expired" ? "expired" : null),
    });
    return "";
  }

  async settleMany(orders: readonly RevocationRequest[], at: number): Promise<string[]> {
    this.log.record("leases.settleMany");
    const ended: string[] = [];
    for (const order of orders) {
      const lease = this.leases.get(order.leaseId);
      if (!lease || !isLive(lease.state)) continue;
      if (lease.state === "pending") {
        if (!this.orders.has(lease.id)) this.orders.set(lease.id, { ...order, at });
        continue;
      }
      this.leases.set(lease.id, {
        ...lease,
        state: "revoked",
        revokedAt: at,
        revokeReason: lease.revokeReason ?? order.cause,
      });
      ended.push(lease.id);
    }
    return ended;
  }

  async markRevoked(leaseId: string, at: number): Promise<boolean> {
    const lease = this.leases.get(leaseId);
    if (lease?.state !== "revoking" && lease?.state !== "revoke_failed") return false;
    return (await this.settle(leaseId, at, "revoked")) !== null;
  }

  async markRevokeFailed(leaseId: string, _error: string): Promise<boolean> {
    this.log.record("leases.markRevokeFailed");
    const lease = this.leases.get(leaseId);
    if (lease?.state !== "revoking") return false;
    this.leases.set(leaseId, { ...lease, state: "revoke_failed" });
    return true;
  }

  async markExpired(leaseId: string, at: number): Promise<boolean> {
    const lease = this.leases.get(leaseId);
    if (lease?.state !== "active") return false;
    return (await this.settle(leaseId, at, "expired")) !== null;
  }

  async claimDue(now: number, limit: number, claimForMs: number): Promise<string[]> {
    const due = [...this.leases.values()]
      .filter((l) => {
        const deadline =
          l.state === "active"
            ? l.expiresAt
            : l.state === "revoking" || l.state === "revoke_failed"
              ? 0
              : null;
        return deadline !== null && deadline <= now && (this.claims.get(l.id) ?? 0) <= now;
      })
      .slice(0, limit)
      .map((l) => l.id);
    for (const id of due) this.claims.set(id, now + claimForMs);
    return due;
  }

  async stalePending(olderThan: number, limit: number): Promise<string[]> {
    return [...this.leases.values()]
      .filter((l) => l.state === "pending" && l.issuedAt < olderThan)
      .slice(0, limit)
      .map((l) => l.id);
  }

  async selectLive(selector: LeaseSelector): Promise<Lease[]> {
    this.log.record("leases.selectLive");
    return [...this.leases.values()].filter(
      (l) =>
        isLive(l.state) &&
        (selector.all === true ||
          ((selector.agent === undefined || l.agent === selector.agent) &&
            (selector.agentPrefix === undefined || l.agent.startsWith(selector.agentPrefix)) &&
            (selector.taskId === undefined || l.taskId === selector.taskId) &&
            (selector.provider === undefined || l.provider === selector.provider) &&
            (selector.target === undefined || l.target === selector.target) &&
            (selector.issuedBefore === undefined || l.issuedAt < selector.issuedBefore))),
    );
  }

  async liveCount(filter: { agent?: string }): Promise<number> {
    this.log.record("leases.liveCount");
    return [...this.leases.values()].filter(
      (l) => isLive(l.state) && (filter.agent === undefined || l.agent === filter.agent),
    ).length;
  }
}
