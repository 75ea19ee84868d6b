import { waitFor } from "@leash/devstack";
import type { RedisTarget } from "@leash/store";
import { startLocalCluster } from "../cluster/redis-topologies.js";
import { measureOps } from "../support/ops.js";
import { seedActiveLeases } from "../support/seed.js";
import { createAgents, workloadFor } from "./agents.js";
import { CONFIG } from "./config.js";
import { closedLoop } from "./load.js";
import { type BenchStack, startBenchStack } from "./stack.js";
import { median } from "./stats.js";

/**
 * Section `shards`: what sharding costs on this machine. With 1 and with 12 shards side by side (both stacks up,
 * runs alternating), on one redis-server and on a local Redis Cluster of 3 primaries: closed-loop leash-jwt
 * issuance (32 connections) and a mass revocation of BENCH_SHARD_MASS leases (over 200 tasks, so 12 shards all
 * hold some); and, on the one server (INFO commandstats counts per server), Redis commands per issuance and per
 * revocation. The ratios are 12 shards over 1, measured in the same run.
 */
const SHARD_COUNTS = [1, 12] as const;
const MASS = Number(process.env.BENCH_SHARD_MASS ?? 20_000);
const MASS_TASKS = 200;

interface Measured {
  rates: number[];
  p99s: number[];
  massPerSecond: number[];
  ops?: { issuance: number; revocation: number };
}

export interface ShardTopologyFigure {
  topology: string;
  byShards: Map<number, Measured>;
}

async function massRevocation(stack: BenchStack, orchestrator: string, security: string): Promise<number> {
  for (let i = 0; i < MASS_TASKS; i += 20)
    await Promise.all(
      Array.from({ length: 20 }, async (_, j) => {
        const task = await stack.post("/v1/tasks", orchestrator, {
          agent: `spiffe://dev.local/agent/mass-${(i + j) % 50}`,
          ceiling: [{ action: "read", resource: "docs/*" }],
          ttl_seconds: 3_600,
        });
        const sub = `spiffe://dev.local/agent/mass-${(i + j) % 50}`;
        await seedActiveLeases(stack.store, String(task.id), MASS / MASS_TASKS, () => sub, 3_600_000);
      }),
    );
  const started = Date.now();
  const order = await stack.post("/v1/revocations", security, {
    selector: { agent_prefix: "spiffe://dev.local/agent/mass-" },
    reason: "bench",
  });
  await waitFor(
    async () => {
      const body = await stack.get(`/v1/revocations/${order.id}`, security);
      return body.state !== "running" ? true : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 50, what: "the mass revocation" },
  );
  await waitFor(async () => ((await stack.store.audit.pending()) === 0 ? true : undefined), {
    timeoutMs: 300_000,
    intervalMs: 50,
    what: "the receipts to be chained",
  });
  return MASS / ((Date.now() - started) / 1000);
}

async function onTopology(
  topology: string,
  redisUrl: string,
  redis: RedisTarget | undefined,
  log: (line: string) => void,
  countOps: boolean,
): Promise<ShardTopologyFigure> {
  const stacks = new Map<number, BenchStack>();
  const byShards = new Map<number, Measured>();
  try {
    for (const shards of SHARD_COUNTS) {
      const stack = await startBenchStack({
        redisUrl,
        ...(redis ? { redis } : {}),
        env: { LEASH_SHARDS: String(shards) },
      });
      stacks.set(shards, stack);
      byShards.set(shards, { rates: [], p99s: [], massPerSecond: [] });
    }
    const tokens = new Map<number, { orchestrator: string; security: string }>();
    const agentsOf = new Map<number, Awaited<ReturnType<typeof createAgents>>>();
    for (const [shards, stack] of stacks) {
      const orchestrator = await stack.issuer.mint({
        sub: "spiffe://dev.local/orchestrator",
        ttlSeconds: 86_400,
      });
      const security = await stack.issuer.mint({
        sub: "spiffe://dev.local/security/bench",
        ttlSeconds: 86_400,
      });
      tokens.set(shards, { orchestrator, security });
      agentsOf.set(shards, await createAgents(stack, orchestrator, 32));
    }
    // First, while the stores hold nothing live: the count waits until every lease it issued has ended.
    if (countOps)
      for (const [shards, stack] of stacks) {
        log(`shards: Redis commands per lease with ${shards} shard(s)`);
        const t = tokens.get(shards);
        const agents = (agentsOf.get(shards) ?? []).slice(0, 8);
        const target = {
          redis: stack.redis,
          keys: stack.shardKeys,
          post: stack.post,
          orchestrator: t?.orchestrator ?? "",
          agents: agents.map((a) => ({ sub: a.sub, token: a.token })),
        };
        // Warmed up as the ops section is: a cold stack's first requests cost commands a warm one does not.
        await measureOps(target, { leases: 50, perTask: 5, idleMs: 100 });
        const figure = await measureOps(target, { leases: 500, perTask: 10 });
        const m = byShards.get(shards);
        if (m) m.ops = { issuance: figure.issuance.perLease, revocation: figure.revocation.perLease };
      }
    for (let run = 0; run < CONFIG.runs; run++)
      for (const [shards, stack] of stacks) {
        log(`shards: ${topology}, ${shards} shard(s), run ${run + 1}`);
        const m = byShards.get(shards);
        const agents = agentsOf.get(shards) ?? [];
        const result = await closedLoop(stack.apis, 32, CONFIG.seconds, workloadFor(agents, "leash-jwt"));
        m?.rates.push(result.perSecond);
        m?.p99s.push(result.p99);
        const t = tokens.get(shards);
        if (t) m?.massPerSecond.push(await massRevocation(stack, t.orchestrator, t.security));
      }
  } finally {
    for (const stack of stacks.values()) await stack.stop();
  }
  return { topology, byShards };
}

export async function shardsBench(
  redisUrl: string,
  log: (line: string) => void,
): Promise<ShardTopologyFigure[]> {
  const figures = [await onTopology("one redis-server", redisUrl, undefined, log, true)];
  const cluster = await startLocalCluster(3);
  try {
    figures.push(await onTopology("Redis Cluster, 3 primaries", "", cluster.target, log, false));
  } finally {
    await cluster.stop();
  }
  return figures;
}

export function shardsReport(figures: readonly ShardTopologyFigure[]): string {
  const lines = [
    "",
    `## Sharding: 1 vs 12 shards (median of ${CONFIG.runs} runs, alternating; mass revocation of ${MASS} leases)`,
    "",
    "| topology | shards | issuance /s | p99 ms | mass revocation leases/s | commands per issuance | per revocation |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const f of figures) {
    for (const [shards, m] of f.byShards)
      lines.push(
        `| ${f.topology} | ${shards} | ${median(m.rates).toFixed(0)} | ${median(m.p99s).toFixed(1)} | ` +
          `${median(m.massPerSecond).toFixed(0)} | ${m.ops?.issuance.toFixed(1) ?? "-"} | ` +
          `${m.ops?.revocation.toFixed(1) ?? "-"} |`,
      );
    const one = f.byShards.get(1);
    const twelve = f.byShards.get(12);
    if (one && twelve)
      lines.push(
        `| ${f.topology} | 12 / 1 | ${(median(twelve.rates) / median(one.rates)).toFixed(2)} | ` +
          `${(median(twelve.p99s) / median(one.p99s)).toFixed(2)} | ` +
          `${(median(twelve.massPerSecond) / median(one.massPerSecond)).toFixed(2)} | | |`,
      );
  }
  return `${lines.join("\n")}\n`;
}
