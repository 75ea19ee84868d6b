import { seedActiveLeases } from "../support/seed.js";
import type { BenchAgent } from "./agents.js";
import { CONFIG } from "./config.js";
import { issuance, type LoadFigure } from "./issuance.js";
import { revocationLatency } from "./revocation.js";
import type { BenchStack } from "./stack.js";

export interface ScalePoint {
  live: number;
  issuance: LoadFigure;
  completionP99: number;
  bytesPerLease: number;
}

const usedMemory = async (stack: BenchStack) =>
  Number(/used_memory:(\d+)/.exec(await stack.redis.info("memory"))?.[1] ?? 0);
const auditBytes = async (stack: BenchStack) =>
  Number((await stack.redis.call("MEMORY", "USAGE", `${stack.prefix}audit`)) ?? 0);

/** Redis memory before any lease exists, so later points can report bytes per live lease. */
export async function memoryBaseline(stack: BenchStack) {
  return {
    used: await usedMemory(stack),
    audit: await auditBytes(stack),
    live: await stack.store.leases.liveCount({}),
  };
}

/**
 * Tops the live leases up to each level (written straight into the store, as the API would have), then measures
 * issuance latency and completion -> revoked there: both should stay flat as the store grows.
 */
export async function scale(
  stack: BenchStack,
  agents: readonly BenchAgent[],
  orchestrator: string,
  baseline: { used: number; audit: number; live: number },
): Promise<ScalePoint[]> {
  const points: ScalePoint[] = [];
  const owner = agents[0];
  if (!owner) return points;
  for (const level of CONFIG.scaleLevels) {
    const live = await stack.store.leases.liveCount({});
    if (live < level) {
      process.stderr.write(`  seeding ${level - live} live leases\n`);
      await seedActiveLeases(stack.store, owner.taskId, level - live, () => owner.sub, 3_600_000);
    }
    const nowLive = await stack.store.leases.liveCount({});
    // The audit stream is an event log with its own retention, not per-lease state: excluded here.
    const bytes = (await usedMemory(stack)) - baseline.used - ((await auditBytes(stack)) - baseline.audit);
    const figure = await issuance(
      stack,
      agents.slice(0, 32),
      "leash-jwt",
      32,
      Math.max(2, CONFIG.seconds / 2),
    );
    const latency = await revocationLatency(stack, agents, orchestrator, 30);
    points.push({
      live: nowLive,
      issuance: figure,
      completionP99: latency.completion.p99,
      bytesPerLease: bytes / Math.max(1, nowLive - baseline.live),
    });
  }
  return points;
}
