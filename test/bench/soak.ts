import type { BenchStack } from "./stack.js";

export interface SoakConfig {
  /** Leases issued (and ended) per second, open loop. */
  rate: number;
  seconds: number;
  /** LEASH_LEASE_RETENTION_SECONDS and LEASH_AUDIT_RETENTION_SECONDS of the soak's stack. */
  retentionSeconds: number;
  sampleSeconds: number;
}

interface SoakSample {
  /** Seconds since the load started. */
  at: number;
  /** Sum of MEMORY USAGE over the soak's keys: the store and audit log (what the retentions bound)... */
  bytes: number;
  keys: number;
  /** ...and BullMQ's job queues (bounded by BullMQ: completed jobs removed, event streams capped). */
  queueBytes: number;
  /** The whole Redis server's used_memory. */
  usedMemory: number;
  /** Leases ended so far, and leases live at the sample. */
  ended: number;
  live: number;
}

export interface SoakResult {
  config: SoakConfig;
  samples: SoakSample[];
  issued: number;
  errors: number;
  /** Mean of the samples from twice the retention on (the plateau), and bytes per lease kept in it. */
  steadyBytes: number;
  steadyKeys: number;
  bytesPerRetainedLease: number;
  /** Growth over the last third of the run, relative to the plateau (near 0 when memory has levelled off). */
  lateGrowth: number;
  /** Bytes by kind of key at the last sample taken under load, largest first. */
  byKind: [string, number][];
}

/** The environment of the soak's own stack: short retentions, swept and trimmed often enough to show a plateau. */
export function soakEnv(config: SoakConfig): Record<string, string> {
  return {
    LEASH_LEASE_RETENTION_SECONDS: String(config.retentionSeconds),
    LEASH_AUDIT_RETENTION_SECONDS: String(config.retentionSeconds),
    LEASH_AUDIT_TRIM_INTERVAL_MS: String(Math.max(1_000, Math.round((config.retentionSeconds * 1000) / 10))),
  };
}

/** A key's kind: its name without the prefix and with ids and numbers replaced by `*`. */
const kindOf = (prefix: string, key: string) =>
  key
    .slice(prefix.length)
    .replace(/(ls|tk|rv|ap|bg)_[0-9a-z]+/g, "*")
    .replace(/:[0-9a-zA-Z_-]{20,}(?=:|$)/g, ":*")
    .replace(/:\d+(?=:|$)/g, ":*");

async function sizeOf(
  stack: BenchStack,
): Promise<{ bytes: number; keys: number; queueBytes: number; byKind: Map<string, number> }> {
  const redis = stack.redis;
  let cursor = "0";
  let bytes = 0;
  let keys = 0;
  let queueBytes = 0;
  const byKind = new Map<string, number>();
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${stack.prefix}*`, "COUNT", 1000);
    cursor = next;
    if (batch.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.call("MEMORY", "USAGE", key, "SAMPLES", "0");
    for (const [i, [error, size]] of ((await pipeline.exec()) ?? []).entries()) {
      if (error) continue;
      const kind = kindOf(stack.prefix, batch[i] ?? "");
      byKind.set(kind, (byKind.get(kind) ?? 0) + Number(size ?? 0));
      if (kind.startsWith("q:")) queueBytes += Number(size ?? 0);
      else {
        bytes += Number(size ?? 0);
        keys++;
      }
    }
  } while (cursor !== "0");
  return { bytes, keys, queueBytes, byKind };
}

/**
 * Issues leases at a steady rate for several minutes against a stack with a short retention, ending each one way or
 * another (half returned by their agent, half left to expire; every task completed), and samples the memory its
 * keys take. With the retention applied, memory and key count level off at about rate x retention worth of ended
 * records (plus the audit events of that window) instead of growing with the run.
 */
export async function soak(stack: BenchStack, orchestrator: string, config: SoakConfig): Promise<SoakResult> {
  const agent = "spiffe://dev.local/agent/soak";
  const token = await stack.issuer.mint({ sub: agent, ttlSeconds: 86_400 });
  let issued = 0;
  let ended = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function one(n: number): Promise<void> {
    try {
      const task = await stack.post("/v1/tasks", orchestrator, {
        agent,
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 60,
      });
      const returned = n % 2 === 0;
      const lease = await stack.post("/v1/leases", token, {
        task_id: task.id,
        provider: "leash-jwt",
        intent: { action: "read", resource: `docs/${n}` },
        ttl_seconds: 1,
      });
      issued++;
      if (returned) await stack.del(`/v1/leases/${lease.lease_id}`, token);
      await sleep(returned ? 200 : 1_500);
      await stack.post(`/v1/tasks/${task.id}/complete`, orchestrator);
      ended++;
    } catch {
      errors++;
    }
  }

  const samples: SoakSample[] = [];
  let byKind = new Map<string, number>();
  const started = Date.now();
  const sample = async (underLoad = true) => {
    const [{ bytes, keys, queueBytes, byKind: kinds }, info, live] = await Promise.all([
      sizeOf(stack),
      stack.redis.info("memory"),
      stack.store.leases.liveCount({}),
    ]);
    const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    if (underLoad) byKind = kinds;
    const at = Math.round((Date.now() - started) / 1000);
    const s = { at, bytes, keys, queueBytes, usedMemory, ended, live };
    samples.push(s);
    process.stderr.write(
      `  soak ${at} s: ${(bytes / 1024).toFixed(0)} KiB in ${keys} keys (job queues ${(queueBytes / 1024).toFixed(0)} KiB), ${ended} ended, ${live} live\n`,
    );
  };

  await sample();
  const interval = 1000 / config.rate;
  let nextSample = started + config.sampleSeconds * 1000;
  let sampling: Promise<void> = Promise.resolve();
  for (let n = 0; Date.now() - started < config.seconds * 1000; n++) {
    const due = started + n * interval;
    if (due > Date.now()) await sleep(due - Date.now());
    const p = one(n).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (Date.now() >= nextSample) {
      nextSample += config.sampleSeconds * 1000;
      // Sampled beside the load, so the issuance rate stays steady while the keys are measured.
      sampling = sampling.then(() => sample());
    }
  }
  await Promise.all(inFlight);
  await sampling;
  await sample(false);

  const plateau = samples.filter((s) => s.at >= 2 * config.retentionSeconds);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const steadyBytes = mean(plateau.map((s) => s.bytes));
  const steadyKeys = mean(plateau.map((s) => s.keys));
  const last = samples.filter((s) => s.at >= (config.seconds * 2) / 3);
  const first = last[0];
  const final = last.at(-1);
  return {
    config,
    samples,
    issued,
    errors,
    steadyBytes,
    steadyKeys,
    bytesPerRetainedLease: steadyBytes / (config.rate * config.retentionSeconds),
    lateGrowth: first && final && steadyBytes > 0 ? (final.bytes - first.bytes) / steadyBytes : 0,
    byKind: [...byKind.entries()].sort((a, b) => b[1] - a[1]),
  };
}
