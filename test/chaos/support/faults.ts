import { type Cluster, TIMINGS } from "./cluster.js";
import type { Random } from "./random.js";
import type { Outage } from "./supervised.js";
import type { Disruption } from "./verdict.js";

/**
 * The worker's revocation backoff as packages/queue defines it (REVOKE_BACKOFF_BASE_MS doubling per attempt,
 * capped at REVOKE_BACKOFF_CAP_MS); restated here because the bound of an outage depends on it.
 */
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 30_000;

/** The longest wait between two revocation attempts that can start inside an outage of this length. */
function backoffStepAfter(outageMs: number): number {
  let elapsed = 0;
  for (let attempt = 1; ; attempt++) {
    const step = Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_CAP_MS);
    elapsed += step;
    if (elapsed >= outageMs || step === BACKOFF_CAP_MS) return step;
  }
}

/**
 * After a worker is back (it logged its start), a job the dead one held moves on once its lock lapses and the
 * stalled check runs (2 x the lock); a fresh process also needs a moment before its first provider calls are
 * fast (connection set-up, JIT).
 */
const WORKER_RECOVERY_MS = 2 * TIMINGS.JOB_LOCK_MS + 1_000;
/** Redis clients reconnect with a backoff capped at 2 s (packages/store connection.ts). */
const REDIS_RECONNECT_MS = 2_000;
/**
 * Sequential provider calls before a credential is dead, at most. An STS deny on a role whose inline-policy budget
 * is full: ListRolePolicies (once per worker process), PutRolePolicy refused, then waiting for the cut another
 * revocation is placing (ListRolePolicies, GetRolePolicy, PutRolePolicy), PutRolePolicy refused again if this
 * session was issued in that cut's second, and a cut of its own (GetRolePolicy, PutRolePolicy) once that second is
 * over (STS_CUT_WAIT_MS). Vault needs two calls (the secret's lease, then the token).
 */
const CALLS_PER_REVOCATION = 8;
const STS_CUT_WAIT_MS = 1_000;
const LATENCY_MS = 2_000;

export interface PhaseContext {
  cluster: Cluster;
  random: Random;
  disruptions: Disruption[];
  /** When the phase's load stops; injectors return by then. */
  loadEndsAt: number;
}

export interface FaultPhase {
  name: string;
  fault: string;
  bound: string;
  loadMs: number;
  /** Which API replica the agents talk to: the one with armed failpoints, or the steady one (default). */
  api?: "main" | "faulty";
  setup?(ctx: PhaseContext): Promise<void>;
  /** Runs alongside the load until `loadEndsAt`. */
  inject?(ctx: PhaseContext): Promise<void>;
  teardown?(ctx: PhaseContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const untilLoadEnds = (ctx: PhaseContext) => Date.now() < ctx.loadEndsAt;

/** Process outages of a phase (kills by the suite and failpoint crashes alike) as disruptions. */
function outagesAsDisruptions(
  outages: readonly Outage[],
  since: number,
  what: string,
  recoveryMs: number,
): Disruption[] {
  return outages
    .filter((o) => o.from >= since)
    .map((o) => {
      const to = o.to ?? Date.now();
      return { what, from: o.from, to, recoveryMs };
    });
}

export function steadyPhase(loadMs: number): FaultPhase {
  return {
    name: "steady",
    fault: "none (duplicate/reordered end signals, campaigns)",
    bound: "lease end + 1 s at p99, + 2 s each",
    loadMs,
  };
}

/**
 * `kill -9` of the API at random moments, on top of its failpoints that kill it right after the write-ahead and
 * right after the mint (the API replica with armed failpoints serves this phase). A credential the agent received
 * is bounded as usual; one minted but never activated is reclaimed by the reconciler once its lease is older than
 * the grace. The API is not on the revocation path, so its outages add nothing to the bound.
 */
export function apiKillPhase(loadMs: number): FaultPhase {
  return {
    name: "api-kill",
    fault: "API kill -9 every 1.5-3.5 s, failpoints after_write_ahead and after_mint",
    bound: "lease end + 2 s; never activated: mint + grace + interval + 2 s",
    loadMs,
    api: "faulty",
    async inject(ctx) {
      while (untilLoadEnds(ctx)) {
        await sleep(ctx.random.int(1_500, 3_500));
        if (untilLoadEnds(ctx)) await ctx.cluster.faultyApiProcess.kill();
      }
    },
  };
}

/**
 * `kill -9` of the worker at random moments under load (it is always revoking something), and optionally by
 * failpoints right before and right after a provider revocation. A job the dead worker held is taken over once
 * its lock lapses and the stalled check runs (2 x the lock).
 */
export function workerKillPhase(loadMs: number, failpointProbability = 0): FaultPhase {
  let since = 0;
  const failpoints = failpointProbability > 0;
  return {
    name: "worker-kill",
    fault: `worker kill -9 every 1.5-3 s${failpoints ? `, failpoints before/after_revoke at ${failpointProbability}` : ""}`,
    bound: `lease end + worker downtime + 2 x lock + warm-up (${WORKER_RECOVERY_MS / 1000} s) + 2 s`,
    loadMs,
    async setup({ cluster }) {
      since = Date.now();
      if (!failpoints) return;
      cluster.workerEnv.LEASH_FAILPOINTS = `before_revoke:${failpointProbability},after_revoke:${failpointProbability}`;
      await cluster.workerProcess.kill(); // the supervisor starts it again with the failpoints
    },
    async inject(ctx) {
      while (untilLoadEnds(ctx)) {
        await sleep(ctx.random.int(1_500, 3_000));
        if (untilLoadEnds(ctx)) await ctx.cluster.workerProcess.kill();
      }
    },
    async teardown({ cluster, disruptions }) {
      if (failpoints) {
        delete cluster.workerEnv.LEASH_FAILPOINTS;
        await cluster.workerProcess.kill();
      }
      disruptions.push(
        ...outagesAsDisruptions(cluster.workerProcess.outages, since, "worker down", WORKER_RECOVERY_MS),
      );
    },
  };
}

/** `kill -9` of redis-server (AOF, fsync every second) under load, restarted on the same port and data. */
export function redisRestartPhase(loadMs: number): FaultPhase {
  return {
    name: "redis-restart",
    fault: "redis-server kill -9, down 0.5-1.5 s, every 2-4 s (AOF everysec)",
    bound: `lease end + Redis downtime + reconnect (${REDIS_RECONNECT_MS / 1000} s) + 2 s`,
    loadMs,
    async inject(ctx) {
      while (untilLoadEnds(ctx)) {
        await sleep(ctx.random.int(2_000, 4_000));
        if (!untilLoadEnds(ctx)) return;
        const from = Date.now();
        await ctx.cluster.redis.kill();
        await sleep(ctx.random.int(500, 1_500));
        await ctx.cluster.redis.start();
        const to = Date.now();
        ctx.disruptions.push({ what: "redis down", from, to, recoveryMs: REDIS_RECONNECT_MS });
      }
    },
  };
}

/**
 * Vault refuses connections and STS/IAM answer 503 for `outageMs` while the load goes on: issuance fails closed,
 * revocations fail and retry with backoff. Bound: the rest of the outage, one backoff step, one call in flight.
 */
export function providerOutagePhase(outageMs: number): FaultPhase {
  const step = backoffStepAfter(outageMs);
  return {
    name: "provider-outage",
    fault: `Vault and STS/IAM down for ${outageMs / 1000} s`,
    bound: `lease end + rest of outage + backoff step (${step / 1000} s) + call timeout (${TIMINGS.MINT_TIMEOUT_MS / 1000} s) + 2 s`,
    loadMs: outageMs + 2_000,
    async inject(ctx) {
      await sleep(1_000);
      const from = Date.now();
      ctx.cluster.vault.emulator.faults.set({ unavailable_for_ms: outageMs, unavailable_mode: "refuse" });
      ctx.cluster.aws.emulator.faults.unavailableFor(outageMs, ["sts", "iam"]);
      const to = from + outageMs;
      ctx.disruptions.push({
        what: "providers down",
        from,
        to,
        recoveryMs: step + TIMINGS.MINT_TIMEOUT_MS,
      });
      await sleep(outageMs);
    },
    async teardown({ cluster }) {
      await cluster.vault.emulator.faults.clear();
      cluster.aws.emulator.faults.clear();
    },
  };
}

/** Every Vault and STS/IAM call takes 2 s longer. Bound: 2 s for each call a revocation makes. */
export function providerLatencyPhase(loadMs: number): FaultPhase {
  let from = 0;
  return {
    name: "provider-latency",
    fault: `Vault and STS/IAM answer ${LATENCY_MS / 1000} s late`,
    bound: `lease end + ${LATENCY_MS / 1000} s x ${CALLS_PER_REVOCATION} calls + ${STS_CUT_WAIT_MS / 1000} s + 2 s`,
    loadMs,
    async setup({ cluster }) {
      from = Date.now();
      cluster.vault.emulator.faults.set({ latency_ms: LATENCY_MS });
      cluster.aws.emulator.faults.setLatency(LATENCY_MS, ["sts", "iam"]);
    },
    async teardown({ cluster, disruptions }) {
      await cluster.vault.emulator.faults.clear();
      cluster.aws.emulator.faults.clear();
      disruptions.push({
        what: "providers slow",
        from,
        to: Date.now(),
        recoveryMs: 0,
        allowance: () => LATENCY_MS * CALLS_PER_REVOCATION + STS_CUT_WAIT_MS,
      });
    },
  };
}
