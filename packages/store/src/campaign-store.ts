import {
  type AuditEvent,
  type Campaign,
  type CampaignState,
  type CampaignStore,
  type Clock,
  type LeaseSelector,
  type NewCampaign,
  systemClock,
} from "@leash/core";
import type { RedisClient } from "./connection.js";
import { awaitReplicas, type Durability } from "./durable.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** Mass revocation campaigns: a frozen target list plus counters, so a restarted worker resumes at its cursor. */
export class RedisCampaignStore implements CampaignStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
    /** With replicas, a campaign is acknowledged only once they hold its record and targets (WAIT). */
    private readonly durability?: Durability,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * With `part`, this is one shard's part of a campaign over several (it audits no completion of its own); `shards`
   * on the home shard's part lists the shards that have one.
   */
  create(
    campaign: NewCampaign,
    targets: readonly string[],
    part?: { shards?: readonly number[] },
  ): Promise<void> {
    return guard("create campaign", async () => {
      const multi = this.redis.multi();
      multi.hset(this.keys.campaign(campaign.id), {
        ...(part ? { part: "1" } : {}),
        ...(part?.shards ? { shards: JSON.stringify(part.shards) } : {}),
        id: campaign.id,
        reason: campaign.reason,
        by: campaign.requestedBy,
        selector: JSON.stringify(campaign.selector),
        created: campaign.createdAt,
        matched: campaign.matched,
        ordered: 0,
      });
      for (let i = 0; i < targets.length; i += 10_000) {
        multi.rpush(this.keys.campaignTargets(campaign.id), ...targets.slice(i, i + 10_000));
      }
      multi.zadd(this.keys.campaigns, campaign.createdAt, campaign.id);
      await multi.exec();
      await awaitReplicas(this.redis, this.durability, this.keys.campaign(campaign.id));
    });
  }

  get(id: string): Promise<Campaign | null> {
    return guard("read campaign", async () => {
      const [h, revoked, failed] = await Promise.all([
        this.redis.hgetall(this.keys.campaign(id)),
        this.redis.scard(this.keys.campaignDone(id)),
        this.redis.scard(this.keys.campaignFailing(id)),
      ]);
      if (!h.id) return null;
      const matched = Number(h.matched);
      const state: CampaignState =
        revoked >= matched ? "done" : revoked + failed >= matched ? "failed" : "running";
      return {
        id: h.id,
        reason: h.reason ?? "",
        requestedBy: h.by ?? "",
        selector: JSON.parse(h.selector ?? "{}") as LeaseSelector,
        createdAt: Number(h.created),
        matched,
        ordered: Number(h.ordered),
        revoked,
        failed,
        state,
        completedAt: h.completed ? Number(h.completed) : null,
      };
    });
  }

  /** The shards that hold a part of a campaign run in parts, from its home part (null: not in parts). */
  parts(id: string): Promise<number[] | null> {
    return guard("read campaign parts", async () => {
      const shards = await this.redis.hget(this.keys.campaign(id), "shards");
      return shards ? (JSON.parse(shards) as number[]) : null;
    });
  }

  /** Marks the whole campaign completed on its home part and writes its one `revocation.completed`, once. */
  completeWhole(id: string, at: number, event: AuditEvent): Promise<boolean> {
    return guard("complete campaign", async () => {
      const reply = await this.scripts.wholeComplete(
        [this.keys.campaign(id), this.keys.auditOutbox],
        [at, JSON.stringify({ ts: at, ...event })],
      );
      return reply === 1;
    });
  }

  unfinished(limit: number): Promise<string[]> {
    return guard("read campaigns", async () => {
      const ids = await this.redis.zrevrange(this.keys.campaigns, 0, limit - 1);
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hmget(this.keys.campaign(id), "ordered", "matched");
      const replies = (await pipeline.exec()) ?? [];
      return ids.filter((_, i) => {
        const [ordered, matched] = (replies[i]?.[1] as (string | null)[] | undefined) ?? [];
        return Number(ordered ?? 0) < Number(matched ?? 0);
      });
    });
  }

  targets(id: string, from: number, count: number): Promise<string[]> {
    return guard("read campaign targets", () =>
      this.redis.lrange(this.keys.campaignTargets(id), from, from + count - 1),
    );
  }

  advance(id: string, ordered: number, ended: readonly string[], at = this.clock.now()): Promise<boolean> {
    return guard("advance campaign", () => this.progress(id, at, "ended", String(ordered), ended));
  }

  ended(id: string, leaseId: string, at = this.clock.now()): Promise<boolean> {
    return guard("count campaign progress", () => this.progress(id, at, "ended", "", [leaseId]));
  }

  failing(id: string, leaseId: string, at = this.clock.now()): Promise<void> {
    return guard("count campaign progress", async () => {
      await this.progress(id, at, "failing", "", [leaseId]);
    });
  }

  cuts(id: string): Promise<string[]> {
    return guard("read campaign cuts", () => this.redis.smembers(this.keys.campaignCuts(id)));
  }

  claimCut(id: string, entry: string): Promise<boolean> {
    return guard("claim campaign cut", async () => {
      return (await this.redis.sadd(this.keys.campaignCuts(id), `\u0001claim ${entry}`)) === 1;
    });
  }

  recordCut(id: string, entry: string): Promise<void> {
    return guard("record campaign cut", async () => {
      await this.redis.sadd(this.keys.campaignCuts(id), entry);
    });
  }

  private async progress(
    id: string,
    at: number,
    kind: "ended" | "failing",
    ordered: string,
    ids: readonly string[],
  ): Promise<boolean> {
    const k = this.keys;
    let completed = false;
    // Batches keep each call short; only the last can complete the campaign, and a completion is reported once.
    for (let i = 0; i === 0 || i < ids.length; i += 1000) {
      const reply = await this.scripts.campaignProgress(
        [k.campaign(id), k.campaignDone(id), k.campaignFailing(id), k.auditOutbox, k.campaignsEnded],
        [at, kind, i + 1000 >= ids.length ? ordered : "", ...ids.slice(i, i + 1000)],
      );
      completed ||= reply === 1;
    }
    return completed;
  }
}
