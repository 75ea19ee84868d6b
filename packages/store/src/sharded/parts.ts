import type { Campaign, NewCampaign, NewReevaluation, Reevaluation } from "@leash/core";
import { shardInId } from "@leash/core";
import type { RedisCampaignStore } from "../campaign-store.js";
import type { RedisReevaluationStore } from "../reevaluation-store.js";
import type { Public, Store } from "../store.js";
import type { ShardRouter } from "./router.js";

/**
 * Campaigns and re-evaluations over several shards run in parts, one per shard that has leases to act on, under
 * one id: each shard's worker runs its own part over its own leases as it would the whole. The home shard's part
 * (shard 0) lists the parts; progress is their counts summed on read; the part that completes last writes the one
 * audit event of the whole (`revocation.completed`, `reevaluation.completed`).
 */
function sumCampaign(parts: readonly Campaign[]): Campaign | null {
  const [home] = parts;
  if (!home) return null;
  const sum = (pick: (c: Campaign) => number) => parts.reduce((n, c) => n + pick(c), 0);
  const matched = sum((c) => c.matched);
  const revoked = sum((c) => c.revoked);
  const failed = sum((c) => c.failed);
  const completed = parts.every((c) => c.completedAt !== null);
  return {
    ...home,
    matched,
    ordered: sum((c) => c.ordered),
    revoked,
    failed,
    state: revoked >= matched ? "done" : revoked + failed >= matched ? "failed" : "running",
    completedAt: completed ? Math.max(...parts.map((c) => c.completedAt ?? 0)) : null,
  };
}

/** The campaigns of every shard as one: each campaign's targets split by the shard their lease lives in. */
export class ShardedCampaignStore implements Public<RedisCampaignStore> {
  constructor(private readonly router: ShardRouter) {}

  async create(campaign: NewCampaign, targets: readonly string[]): Promise<void> {
    const byShard = new Map<number, string[]>([[0, []]]);
    for (const id of targets) {
      const shard = shardInId(id) ?? 0;
      byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
    }
    const shards = [...byShard.keys()].sort((a, b) => a - b);
    // The other parts first: once the home part exists, a reader expects every part it lists.
    await Promise.all(
      shards
        .filter((n) => n !== 0)
        .map((n) => {
          const part = byShard.get(n) ?? [];
          return this.router.at(n).campaigns.create({ ...campaign, matched: part.length }, part, {});
        }),
    );
    const home = byShard.get(0) ?? [];
    await this.router.home.campaigns.create({ ...campaign, matched: home.length }, home, { shards });
  }

  async get(id: string): Promise<Campaign | null> {
    const shards = await this.router.home.campaigns.parts(id);
    const parts = await Promise.all((shards ?? [0]).map((n) => this.router.at(n).campaigns.get(id)));
    if (parts.some((p) => p === null)) return null;
    return sumCampaign(parts as Campaign[]);
  }

  async unfinished(limit: number): Promise<string[]> {
    return [...new Set((await this.router.all((s) => s.campaigns.unfinished(limit))).flat())];
  }

  parts(id: string) {
    return this.router.home.campaigns.parts(id);
  }

  completeWhole(...args: Parameters<RedisCampaignStore["completeWhole"]>) {
    return this.router.home.campaigns.completeWhole(...args);
  }

  // A part's cursor, targets and cuts belong to its shard: only that shard's worker moves them (see CellCampaigns).
  targets(id: string, from: number, count: number) {
    return this.router.home.campaigns.targets(id, from, count);
  }

  advance(id: string, ordered: number, ended: readonly string[], at?: number) {
    return this.router.home.campaigns.advance(id, ordered, ended, at);
  }

  ended(id: string, leaseId: string, at?: number) {
    return this.router.ofId(leaseId).campaigns.ended(id, leaseId, at);
  }

  failing(id: string, leaseId: string, at?: number) {
    return this.router.ofId(leaseId).campaigns.failing(id, leaseId, at);
  }

  // Whole-target cuts are claimed and recorded on the home part: a target is cut once, whichever part gets it.
  cuts(id: string) {
    return this.router.home.campaigns.cuts(id);
  }

  recordCut(id: string, entry: string) {
    return this.router.home.campaigns.recordCut(id, entry);
  }

  claimCut(id: string, entry: string) {
    return this.router.home.campaigns.claimCut(id, entry);
  }
}

/**
 * One shard's campaigns, as its worker sees them: when a call completes the shard's part, the whole is checked and,
 * if every part has completed, audited once.
 */
export class CellCampaignStore implements Public<RedisCampaignStore> {
  constructor(
    private readonly own: Store["campaigns"],
    private readonly whole: ShardedCampaignStore,
  ) {}

  private async completed(id: string, at: number | undefined, done: boolean): Promise<boolean> {
    if (!done) return false;
    const campaign = await this.whole.get(id);
    if (!campaign || campaign.completedAt === null) return false;
    const now = at ?? campaign.completedAt;
    return await this.whole.completeWhole(id, now, {
      type: "revocation.completed",
      actor: campaign.requestedBy,
      outcome: "ok",
      detail: {
        campaign: campaign.id,
        reason: campaign.reason,
        matched: campaign.matched,
        ordered: campaign.ordered,
        revoked: campaign.revoked,
        failed: campaign.failed,
        duration_ms: now - campaign.createdAt,
      },
    });
  }

  async advance(id: string, ordered: number, ended: readonly string[], at?: number) {
    return await this.completed(id, at, await this.own.advance(id, ordered, ended, at));
  }

  async ended(id: string, leaseId: string, at?: number) {
    return await this.completed(id, at, await this.own.ended(id, leaseId, at));
  }

  create(...args: Parameters<RedisCampaignStore["create"]>) {
    return this.own.create(...args);
  }
  get(id: string) {
    return this.own.get(id);
  }
  unfinished(limit: number) {
    return this.own.unfinished(limit);
  }
  parts(id: string) {
    return this.own.parts(id);
  }
  completeWhole(...args: Parameters<RedisCampaignStore["completeWhole"]>) {
    return this.own.completeWhole(...args);
  }
  targets(id: string, from: number, count: number) {
    return this.own.targets(id, from, count);
  }
  failing(id: string, leaseId: string, at?: number) {
    return this.own.failing(id, leaseId, at);
  }
  cuts(id: string) {
    return this.whole.cuts(id);
  }
  recordCut(id: string, entry: string) {
    return this.whole.recordCut(id, entry);
  }
  claimCut(id: string, entry: string) {
    return this.whole.claimCut(id, entry);
  }
}

function sumReevaluation(parts: readonly Reevaluation[]): Reevaluation | null {
  const [home] = parts;
  if (!home) return null;
  const sum = (pick: (r: Reevaluation) => number) => parts.reduce((n, r) => n + pick(r), 0);
  const byPolicy: Record<string, number> = {};
  for (const part of parts)
    for (const [policy, n] of Object.entries(part.byPolicy)) byPolicy[policy] = (byPolicy[policy] ?? 0) + n;
  const failed = parts.some((r) => r.state === "failed");
  const running = parts.some((r) => r.state === "running");
  return {
    ...home,
    state: failed ? "failed" : running ? "running" : "done",
    checked: sum((r) => r.checked),
    denied: sum((r) => r.denied),
    revoked: sum((r) => r.revoked),
    byPolicy,
    completedAt: running ? null : Math.max(...parts.map((r) => r.completedAt ?? 0)),
    problems: [...new Set(parts.flatMap((r) => r.problems))],
    supersededBy: parts.find((r) => r.supersededBy !== null)?.supersededBy ?? null,
  };
}

type ReevaluationApi = Public<RedisReevaluationStore>;

/** Re-evaluations over every shard: every shard holds live leases, so every run has a part on each. */
export class ShardedReevaluationStore implements ReevaluationApi {
  constructor(private readonly router: ShardRouter) {}

  async create(run: NewReevaluation): Promise<void> {
    const shards = this.router.shards.map((_, n) => n);
    await Promise.all(
      shards.filter((n) => n !== 0).map((n) => this.router.at(n).reevaluations.create(run, {})),
    );
    await this.router.home.reevaluations.create(run, { shards });
  }

  async get(id: string): Promise<Reevaluation | null> {
    const shards = await this.router.home.reevaluations.parts(id);
    const parts = await Promise.all((shards ?? [0]).map((n) => this.router.at(n).reevaluations.get(id)));
    if (parts.some((p) => p === null)) return null;
    return sumReevaluation(parts as Reevaluation[]);
  }

  async list(limit: number): Promise<Reevaluation[]> {
    const runs = await this.router.home.reevaluations.list(limit);
    const whole = await Promise.all(runs.map((r) => this.get(r.id)));
    return whole.flatMap((r) => (r ? [r] : []));
  }

  async sample(id: string, count: number) {
    return (await this.router.all((s) => s.reevaluations.sample(id, count))).flat().slice(0, count);
  }

  async liveCounts(): Promise<ReadonlyMap<string, number>> {
    const counts = new Map<string, number>();
    for (const part of await this.router.all((s) => s.reevaluations.liveCounts()))
      for (const [agent, n] of part) counts.set(agent, (counts.get(agent) ?? 0) + n);
    return counts;
  }

  parts(id: string) {
    return this.router.home.reevaluations.parts(id);
  }
  completeWhole(...args: Parameters<ReevaluationApi["completeWhole"]>) {
    return this.router.home.reevaluations.completeWhole(...args);
  }

  // A part's progress belongs to its shard: only that shard's worker moves it (see CellReevaluationStore).
  begin(...args: Parameters<ReevaluationApi["begin"]>) {
    return this.router.home.reevaluations.begin(...args);
  }
  next(...args: Parameters<ReevaluationApi["next"]>) {
    return this.router.home.reevaluations.next(...args);
  }
  leases(ids: readonly string[]) {
    return this.router.byId(
      ids,
      (id) => id,
      (s, part) => s.reevaluations.leases(part),
    );
  }
  async tasks(ids: readonly string[]) {
    const shards = await Promise.all(ids.map((id) => this.router.shardOfTask(id)));
    const placed = ids.map((id, i) => ({ id, shard: shards[i] ?? 0 }));
    return this.router.grouped(
      placed,
      (p) => p.shard,
      (s, part) => s.reevaluations.tasks(part.map((p) => p.id)),
    );
  }
  seen(...args: Parameters<ReevaluationApi["seen"]>) {
    return this.router.home.reevaluations.seen(...args);
  }
  denied(...args: Parameters<ReevaluationApi["denied"]>) {
    return this.router.home.reevaluations.denied(...args);
  }
  deny(...args: Parameters<ReevaluationApi["deny"]>) {
    return this.router.home.reevaluations.deny(...args);
  }
  advance(...args: Parameters<ReevaluationApi["advance"]>) {
    return this.router.home.reevaluations.advance(...args);
  }
  complete(...args: Parameters<ReevaluationApi["complete"]>) {
    return this.router.home.reevaluations.complete(...args);
  }
}

/** One shard's re-evaluations as its worker sees them: the part that completes last audits the whole, once. */
export class CellReevaluationStore implements ReevaluationApi {
  constructor(
    private readonly own: Store["reevaluations"],
    private readonly whole: ShardedReevaluationStore,
  ) {}

  async complete(...args: Parameters<ReevaluationApi["complete"]>) {
    const done = await this.own.complete(...args);
    const [id, at] = args;
    if (!done) return false;
    const run = await this.whole.get(id);
    if (!run || run.state === "running" || run.dryRun) return done;
    const detail: Record<string, unknown> = {
      id: run.id,
      trigger: run.trigger,
      state: run.state,
      policy_set: run.policySet,
      checked: run.checked,
      denied: run.denied,
      revoked: run.revoked,
      duration_ms: at - run.createdAt,
      ...(Object.keys(run.byPolicy).length > 0 ? { by_policy: run.byPolicy } : {}),
      ...(run.supersededBy ? { superseded_by: run.supersededBy } : {}),
    };
    await this.whole.completeWhole(id, at, {
      type: "reevaluation.completed",
      actor: run.requestedBy,
      outcome: run.state === "done" ? "ok" : "failed",
      detail,
    });
    return done;
  }

  create(...args: Parameters<ReevaluationApi["create"]>) {
    return this.own.create(...args);
  }
  get(id: string) {
    return this.own.get(id);
  }
  list(limit: number) {
    return this.own.list(limit);
  }
  parts(id: string) {
    return this.own.parts(id);
  }
  completeWhole(...args: Parameters<ReevaluationApi["completeWhole"]>) {
    return this.own.completeWhole(...args);
  }
  begin(...args: Parameters<ReevaluationApi["begin"]>) {
    return this.own.begin(...args);
  }
  next(...args: Parameters<ReevaluationApi["next"]>) {
    return this.own.next(...args);
  }
  leases(ids: readonly string[]) {
    return this.own.leases(ids);
  }
  tasks(ids: readonly string[]) {
    return this.own.tasks(ids);
  }
  seen(...args: Parameters<ReevaluationApi["seen"]>) {
    return this.own.seen(...args);
  }
  denied(...args: Parameters<ReevaluationApi["denied"]>) {
    return this.own.denied(...args);
  }
  deny(...args: Parameters<ReevaluationApi["deny"]>) {
    return this.own.deny(...args);
  }
  advance(...args: Parameters<ReevaluationApi["advance"]>) {
    return this.own.advance(...args);
  }
  sample(id: string, count: number) {
    return this.own.sample(id, count);
  }
  liveCounts() {
    return this.own.liveCounts();
  }
}
