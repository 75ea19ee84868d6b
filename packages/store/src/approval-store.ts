import type { Approval, ApprovalState, ApprovalStore } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import { type Keyspace, keyspace } from "./keys.js";

const DECIDE = `
-- pending -> approved|denied, once. KEYS: 1 approval. ARGV: 1 state, 2 by, 3 at
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state ~= "pending" then return 0 end
a.state = ARGV[1]; a.decidedBy = ARGV[2]; a.decidedAt = tonumber(ARGV[3])
redis.call("SET", KEYS[1], cjson.encode(a), "KEEPTTL")
return 1`;

const REDEEM = `
-- approved -> redeemed, once. KEYS: 1 approval. ARGV: 1 lease id
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state ~= "approved" then return 0 end
a.state = "redeemed"; a.leaseId = ARGV[1]
redis.call("SET", KEYS[1], cjson.encode(a), "KEEPTTL")
return 1`;

/** Approvals as JSON documents (small, short-lived, kept a day after they expire for the audit trail's sake). */
export class RedisApprovalStore implements ApprovalStore {
  private readonly keys: Keyspace;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = keyspace(prefix);
    redis.defineCommand("leash_approvalDecide", { numberOfKeys: 1, lua: DECIDE });
    redis.defineCommand("leash_approvalRedeem", { numberOfKeys: 1, lua: REDEEM });
  }

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
      return a.state === "pending" && a.expiresAt <= Date.now() ? { ...a, state: "expired" } : a;
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

  private run(name: string, key: string, args: (string | number)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[
      name
    ];
    if (!fn) throw new Error(`script ${name} not registered`);
    return fn.call(this.redis, key, ...args);
  }

  decide(id: string, state: "approved" | "denied", by: string, at: number): Promise<boolean> {
    return guard(
      "decide approval",
      async () => (await this.run("leash_approvalDecide", this.key(id), [state, by, at])) === 1,
    );
  }

  redeem(id: string, leaseId: string): Promise<boolean> {
    return guard(
      "redeem approval",
      async () => (await this.run("leash_approvalRedeem", this.key(id), [leaseId])) === 1,
    );
  }
}
