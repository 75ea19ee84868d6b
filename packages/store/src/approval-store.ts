import { type Approval, type ApprovalState, type ApprovalStore, type Clock, systemClock } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** Approvals as JSON documents (small, short-lived, kept a day after they expire for the audit trail's sake). */
export class RedisApprovalStore implements ApprovalStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Pick<Scripts, "approvalDecide" | "approvalRedeem" | "approvalRelease">,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(id: string): string {
    return this.keys.approval(id);
  }

  private byRequest(agent: string, hash: string): string {
    return this.keys.approvalRequest(agent, hash);
  }

  private get index(): string {
    return this.keys.approvals;
  }

  create(a: Approval): Promise<void> {
    return guard("create approval", async () => {
      const keepMs = Math.max(1, a.expiresAt - a.createdAt) + 86_400_000;
      await this.redis
        .multi()
        .set(this.key(a.id), JSON.stringify(a), "PX", keepMs)
        .set(this.byRequest(a.agent, a.requestHash), a.id, "PX", keepMs)
        .zadd(this.index, a.createdAt, a.id)
        .exec();
    });
  }

  get(id: string): Promise<Approval | null> {
    return guard("read approval", async () => {
      const raw = await this.redis.get(this.key(id));
      if (!raw) return null;
      const a = JSON.parse(raw) as Approval;
      return a.state === "pending" && a.expiresAt <= this.clock.now() ? { ...a, state: "expired" } : a;
    });
  }

  findByRequest(agent: string, requestHash: string): Promise<Approval | null> {
    return guard("find approval", async () => {
      const id = await this.redis.get(this.byRequest(agent, requestHash));
      const a = id ? await this.get(id) : null;
      return a && a.agent === agent ? a : null;
    });
  }

  list(state: ApprovalState | undefined, limit: number): Promise<Approval[]> {
    return guard("list approvals", async () => {
      const ids = await this.redis.zrevrange(this.index, 0, 999);
      const out: Approval[] = [];
      for (const id of ids) {
        const a = await this.get(id);
        if (!a) {
          await this.redis.zrem(this.index, id);
          continue;
        }
        if (state === undefined || a.state === state) out.push(a);
        if (out.length === limit) break;
      }
      return out;
    });
  }

  decide(id: string, state: "approved" | "denied", by: string, at: number): Promise<boolean> {
    return guard(
      "decide approval",
      async () => (await this.scripts.approvalDecide([this.key(id)], [state, by, at])) === 1,
    );
  }

  redeem(id: string, leaseId: string): Promise<boolean> {
    return guard(
      "redeem approval",
      async () => (await this.scripts.approvalRedeem([this.key(id)], [leaseId])) === 1,
    );
  }

  release(id: string, leaseId: string): Promise<boolean> {
    return guard(
      "release approval",
      async () => (await this.scripts.approvalRelease([this.key(id)], [leaseId])) === 1,
    );
  }
}
