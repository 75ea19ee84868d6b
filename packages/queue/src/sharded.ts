import { type RevokeOrder, shardInId } from "@leash/core";
import type { ConnectionOptions } from "bullmq";
import { createProducers, type Producers, type QueueStats, type RevokeJobState } from "./producer.js";
import { queuePrefix } from "./queues.js";

/**
 * BullMQ keeps a queue's keys under one prefix, hence one hash tag: with several shards each has its own queues
 * (`<shard prefix>q`), so a lease's revoke job lives in its lease's slot. Revocations go to their lease's shard;
 * campaigns and re-evaluations, which run in a part per shard, are started on every shard (a shard without a part
 * finds nothing to do).
 */
export function createShardedProducers(
  connection: ConnectionOptions,
  storePrefixes: readonly string[],
): Producers {
  const shards = storePrefixes.map((p) => createProducers(connection, queuePrefix(p)));
  if (shards.length === 1 && shards[0]) return shards[0];
  const at = (leaseId: string) => shards[shardInId(leaseId) ?? 0] ?? (shards[0] as Producers);
  const grouped = async (
    orders: readonly RevokeOrder[],
    run: (p: Producers, part: RevokeOrder[]) => Promise<void>,
  ) => {
    const parts = new Map<Producers, RevokeOrder[]>();
    for (const o of orders) parts.set(at(o.leaseId), [...(parts.get(at(o.leaseId)) ?? []), o]);
    await Promise.all([...parts].map(([p, part]) => run(p, part)));
  };
  return {
    revoke: (orders) => grouped(orders, (p, part) => p.revoke(part)),
    revokeDue: (orders) => grouped(orders, (p, part) => p.revokeDue(part)),
    rerunRevocations: (orders, tag) => grouped(orders, (p, part) => p.rerunRevocations(part, tag)),
    async revokeJobs(leaseIds) {
      const found = await Promise.all(shards.map((p) => p.revokeJobs(leaseIds.filter((id) => at(id) === p))));
      return new Map<string, RevokeJobState>(found.flatMap((m) => [...m]));
    },
    async startCampaign(campaignId) {
      await Promise.all(shards.map((p) => p.startCampaign(campaignId)));
    },
    async startReevaluation(reevaluationId) {
      await Promise.all(shards.map((p) => p.startReevaluation(reevaluationId)));
    },
    async stats(): Promise<QueueStats> {
      const all = await Promise.all(shards.map((p) => p.stats()));
      const jobs = new Map<string, { queue: string; state: string; count: number }>();
      for (const { queue, state, count } of all.flatMap((s) => s.jobs)) {
        const key = `${queue} ${state}`;
        const sum = jobs.get(key) ?? { queue, state, count: 0 };
        sum.count += count;
        jobs.set(key, sum);
      }
      const paused: Record<string, boolean> = {};
      for (const s of all)
        for (const [q, p] of Object.entries(s.paused)) paused[q] = (paused[q] ?? false) || p;
      return { jobs: [...jobs.values()], paused };
    },
    async close() {
      await Promise.all(shards.map((p) => p.close()));
    },
  };
}
