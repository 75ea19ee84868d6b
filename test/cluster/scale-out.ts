import { cpus } from "node:os";
import { type RedisServer, startRedisServer } from "@leash/devstack";
import type { RedisTarget } from "@leash/store";
import { createAgents } from "../bench/agents.js";
import { CONFIG } from "../bench/config.js";
import { issuance } from "../bench/issuance.js";
import { revocationLatency } from "../bench/revocation.js";
import { startBenchStack } from "../bench/stack.js";
import { type LocalCluster, startLocalCluster } from "./redis-topologies.js";

/**
 * `pnpm bench:cluster`: the scale-out figure of `pnpm bench` (several API and worker processes, closed-loop
 * leash-jwt issuance, then completion -> revoked latency) against one redis-server and against a 3-primary Redis
 * Cluster, all on this machine. Sizes as for `pnpm bench`: BENCH_SCALE_OUT (shapes, default 1x1,2x2),
 * BENCH_SECONDS, BENCH_RUNS, BENCH_CONCURRENCY (the largest value is used). A 10-second smoke:
 * `BENCH_RUNS=1 BENCH_SECONDS=2 BENCH_SCALE_OUT=1x1 BENCH_CONCURRENCY=32 pnpm bench:cluster`.
 */
const log = (line: string) => process.stderr.write(`bench:cluster: ${line}\n`);
// The stacks get their Redis from the topology below, never from this shell.
for (const name of Object.keys(process.env)) if (name.startsWith("REDIS_")) delete process.env[name];

const concurrency = Math.max(...CONFIG.concurrency);
const rows: string[] = [];

async function measure(label: string, redisUrl: string, redis: RedisTarget | undefined): Promise<void> {
  for (const shape of CONFIG.scaleOut) {
    log(`${label}: ${shape.apis} API x ${shape.workers} worker, ${concurrency} clients`);
    const stack = await startBenchStack({ redisUrl, ...(redis ? { redis } : {}), ...shape });
    try {
      const orchestrator = await stack.issuer.mint({
        sub: "spiffe://dev.local/orchestrator",
        ttlSeconds: 86_400,
      });
      const agents = await createAgents(stack, orchestrator, concurrency);
      const figure = await issuance(stack, agents, "leash-jwt", concurrency);
      const latency = await revocationLatency(stack, agents, orchestrator, 30);
      rows.push(
        `| ${label} | ${shape.apis} x ${shape.workers} | ${Math.round(figure.rate)} | ${figure.p50.toFixed(1)} | ` +
          `${figure.p99.toFixed(1)} | ${figure.errors} | ${Math.round(latency.completion.p99)} |`,
      );
    } finally {
      await stack.stop();
    }
  }
}

let single: RedisServer | undefined;
let cluster: LocalCluster | undefined;
try {
  single = await startRedisServer();
  await measure("one redis-server", single.url, undefined);
  await single.stop();
  single = undefined;
  cluster = await startLocalCluster(3);
  const [seed] = cluster.nodes;
  await measure("Redis Cluster, 3 primaries", `redis://${seed?.host}:${seed?.port}`, cluster.target);
} finally {
  await single?.stop();
  await cluster?.stop();
}
process.stdout.write(
  [
    `Scale-out on ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}; everything on this ` +
      `machine; median of ${CONFIG.runs} runs of ${CONFIG.seconds} s, ${concurrency} closed-loop clients.`,
    "",
    "| Redis | APIs x workers | leases/s | p50 ms | p99 ms | errors | completion -> revoked p99 ms |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n"),
);
