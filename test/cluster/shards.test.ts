import { waitFor } from "@leash/devstack";
import { connectRedis, keySlot, type RedisClient, readShardMap } from "@leash/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedActiveLeases } from "../support/seed.js";
import { agentId, ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";
import { storeOf } from "../support/store.js";
import { killPrimaryOfSlot } from "./cluster-failover.js";
import { clusterSpread, formatSpread, withinSpread } from "./cluster-spread.js";
import { type LoadRecord, runLoad, settleAndJudge } from "./failover-load.js";
import { info } from "./redis-cli.js";
import { type LocalCluster, startLocalCluster } from "./redis-topologies.js";

/**
 * Leash sharded (LEASH_SHARDS=12) on a Redis Cluster of its own, 3 primaries and 3 replicas: its keys and memory
 * spread evenly over the primaries, and a primary killed -9 under load costs only the requests of the shards it
 * served, while its replica takes over; no lease is lost, every one still ends on time, and the audit chains and
 * their anchors verify after.
 */
const SHARDS = 12;
const TASKS = 1_200;
const LEASES_PER_TASK = 5;

let cluster: LocalCluster;
let stack: Stack;
let redis: RedisClient;
let prefixes: string[];

beforeAll(async () => {
  cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  stack = await startStack({
    redis: cluster.target,
    env: {
      LEASH_SHARDS: String(SHARDS),
      LEASH_REDIS_WAIT_REPLICAS: "1",
      LEASH_JOB_LOCK_MS: "5000",
      LEASH_RECONCILE_INTERVAL_MS: "1000",
      LEASH_AUDIT_ANCHOR_INTERVAL_MS: "1000",
      LEASH_RATE_LIMIT_PER_SECOND: "100000",
      LEASH_RATE_LIMIT_BURST: "100000",
    },
  });
  redis = connectRedis(cluster.target, { mode: "worker", name: "shards-test" });
  prefixes = (await readShardMap(redis, stack.prefix))?.prefixes ?? [];
}, 120_000);
afterAll(async () => {
  await redis?.quit();
  await stack?.stop();
  await cluster?.stop();
});

describe(`${SHARDS} shards on a 3+3 Redis Cluster`, () => {
  it("spread task trees, keys and memory within 15% over the primaries", async () => {
    expect(prefixes).toHaveLength(SHARDS);
    const baseline = await clusterSpread(cluster, prefixes);
    const orch = await stack.token(ORCHESTRATOR, 600);
    const store = await storeOf(redis, stack.prefix);
    for (let i = 0; i < TASKS; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const res = await stack.call("POST", "/v1/tasks", orch, {
            agent: agentId(`spread-${(i + j) % 40}`),
            ceiling: [{ action: "read", resource: "docs/*" }],
            ttl_seconds: 3_600,
          });
          expect(res.status).toBe(201);
          const { id } = (await res.json()) as { id: string };
          await seedActiveLeases(store, id, LEASES_PER_TASK, () => agentId(`spread-${(i + j) % 40}`));
        }),
      );
    }
    const rows = await clusterSpread(cluster, prefixes, baseline);
    const table = formatSpread(rows);
    console.log(`${TASKS} tasks, ${TASKS * LEASES_PER_TASK} leases over ${SHARDS} shards:\n${table}`);
    expect(rows.map((r) => r.prefixes.length)).toEqual([4, 4, 4]);
    expect(withinSpread(rows, 0.15, "keys"), table).toBe(true);
    expect(withinSpread(rows, 0.15, "usedMemory"), table).toBe(true);
  }, 180_000);

  it("a primary killed -9 under load: only its shards' requests refused, nothing lost, every lease ends on time", async () => {
    const victim = prefixes[5] ?? "";
    let release: () => void = () => undefined;
    const stop = new Promise<void>((resolve) => {
      release = resolve;
    });
    let progress: Readonly<LoadRecord> | undefined;
    const load = runLoad(stack, { clients: 6, ttlSeconds: 4, leasesPerTask: 3 }, stop, (r) => {
      progress = r;
    });
    await waitFor(async () => ((progress?.issued.length ?? 0) > 50 ? true : undefined), {
      timeoutMs: 30_000,
      what: "the load to start",
    });
    const before = await clusterSpread(cluster, prefixes);
    const onVictim = new Set(before.find((r) => r.prefixes.includes(victim))?.prefixes ?? []);
    const killed = await killPrimaryOfSlot(cluster, keySlot(victim));
    // As a supervisor would, the crashed node is started again: it rejoins as the replica of the one promoted, and
    // the shards there can acknowledge writes with WAIT 1 again (their only replica was the one promoted).
    const killedPort = Number(killed.killed.split(":")[1]);
    await cluster.servers.get(killedPort)?.start();
    const promotedPort = Number(killed.promoted.split(":")[1]);
    await waitFor(
      async () =>
        (await info(promotedPort, "info", "replication")).slave0?.includes("state=online") ? true : undefined,
      { timeoutMs: 30_000, what: "the restarted node to replicate the promoted one" },
    );
    const replicaBackMs = Date.now() - killed.killedAt;
    // Some more load after the replica took over, then everything must settle.
    const issuedAtFailover = progress?.issued.length ?? 0;
    await waitFor(async () => ((progress?.issued.length ?? 0) > issuedAtFailover + 300 ? true : undefined), {
      timeoutMs: 30_000,
      what: "issuance to go on after the failover",
    });
    release();
    const record = await load;
    const outcome = await settleAndJudge(stack, record, 60_000);
    const victimShards = new Set(prefixes.flatMap((p, n) => (onVictim.has(p) ? [String(n)] : [])));
    const elsewhere = Object.entries(record.refusedByShard).filter(
      ([s]) => s !== "new" && !victimShards.has(s),
    );
    console.log(
      `killed ${killed.killed} (shards ${[...victimShards].join(", ")}), replica ${killed.promoted} promoted after ` +
        `${killed.failoverMs} ms, the restarted node replicating it after ${replicaBackMs} ms; refused ${record.refused} (by shard ${JSON.stringify(record.refusedByShard)}) ` +
        `from ${record.refusedFrom ? record.refusedFrom - killed.killedAt : "-"} to ` +
        `${record.refusedUntil ? record.refusedUntil - killed.killedAt : "-"} ms after the kill; ${outcome.issued} issued, ` +
        `${outcome.lost.length} lost, ${outcome.late} late (worst ${outcome.worstLatenessMs} ms), ` +
        `audit ${outcome.auditChainOk ? "verified" : "BROKEN"}`,
    );
    expect(elsewhere).toEqual([]);
    expect(outcome.issued).toBeGreaterThan(100);
    expect(outcome.lost).toEqual([]);
    expect(record.lostTasks).toEqual([]);
    expect(outcome.late).toBe(0);
    expect(outcome.auditChainOk).toBe(true);
  }, 240_000);
});
