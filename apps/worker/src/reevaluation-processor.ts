import { failReevaluation, type ReevaluationDeps, runReevaluation, sleepOn } from "@leash/core";
import { ReevaluationJob } from "@leash/queue";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import type { WorkerContext } from "./context.js";
import { createPacer } from "./pacer.js";
import { PolicySetCache } from "./policy-sets.js";

/**
 * The share of the time a re-evaluation works (the rest it waits), so issuance keeps its latency while 100,000
 * leases are decided again. With the worker at a lower CPU priority (LEASH_WORKER_NICE) the scheduler does most of
 * that; resting half the time as well stretched a run past 10 s. Measured with the bench's `reevaluate` section
 * (BENCHMARKS.md).
 */
const WORK_SHARE = 0.7;
/** Compiles of the loaded set at start, kept by none, to warm the JIT (PolicySetCache.warm). */
const WARM_COMPILES = 3;
const WARM_WAIT_MS = 60_000;

/**
 * Runs a re-evaluation (core `runReevaluation`) as a BullMQ job with the policy set the store holds for it,
 * compiled once per set. When BullMQ aborts the job (the worker is stopping), the run stops between chunks and
 * the job goes back to the queue, to resume at the saved cursor; after a crash, BullMQ hands it to a worker again.
 */
export function reevaluationProcessor(ctx: WorkerContext, shared?: PolicySetCache) {
  const { env, store } = ctx;
  // Every shard's part of a run decides with the same set: the shards of one worker compile it once.
  const sets = shared ?? new PolicySetCache(store.policySets);
  if (shared === undefined) warmUp(ctx, sets);
  const deps: ReevaluationDeps = {
    reevaluations: store.reevaluations,
    policySets: store.policySets,
    queue: ctx.producers,
    providers: ctx.revoker.providers,
    audit: ctx.audit,
    clock: ctx.clock,
    config: {
      defaultTtlSeconds: env.LEASH_DEFAULT_TTL_SECONDS,
      environment: env.LEASH_ENVIRONMENT,
      maxDelegationDepth: env.LEASH_MAX_DELEGATION_DEPTH,
      retentionMs: env.LEASH_LEASE_RETENTION_SECONDS * 1000,
    },
  };
  return async function processReevaluation(job: Job, token?: string, signal?: AbortSignal) {
    const parsed = ReevaluationJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed re-evaluation job ${job.id}`);
    const run = await store.reevaluations.get(parsed.data.reevaluationId);
    if (!run) throw new UnrecoverableError(`re-evaluation ${parsed.data.reevaluationId} does not exist`);
    if (run.state !== "running") return run.state;
    const acquiring = ctx.clock.now();
    const compiled = await sets.acquire(run.policySet);
    const compileMs = ctx.clock.now() - acquiring;
    try {
      if ("problems" in compiled) {
        await failReevaluation(deps, run, compiled.problems);
        return "failed";
      }
      const pacer = createPacer(ctx.clock, WORK_SHARE);
      const started = ctx.clock.now();
      const out = await runReevaluation(
        deps,
        run,
        compiled.decider,
        {
          settled: (leases) => {
            for (const l of leases) ctx.metrics.revocations.inc({ provider: l.provider, outcome: "revoked" });
          },
          chunkDone: async ({ checked }) => {
            // Receipts of the leases it ended are chained at once, not at the next poll.
            await ctx.audit.drain();
            await job.updateProgress({ checked });
            await pacer.pause(signal);
          },
        },
        signal,
      );
      if (out.kind === "finished")
        ctx.logger.info(
          {
            reevaluation: run.id,
            trigger: run.trigger,
            dry_run: run.dryRun,
            checked: out.run.checked,
            denied: out.run.denied,
            revoked: out.run.revoked,
            decisions: out.decisions,
            ms: ctx.clock.now() - started,
            rested_ms: pacer.rested,
            phase_ms: out.phaseMs,
            // Reading and compiling the set, unless this worker had it already.
            compile_ms: compileMs,
          },
          "re-evaluation finished",
        );
      if (out.kind === "paused" && token) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      await ctx.audit.drain();
      return out.kind === "finished"
        ? `${out.run.state}: checked ${out.run.checked}, denied ${out.run.denied}`
        : out.kind;
    } finally {
      sets.release(run.policySet);
    }
  };
}

/**
 * The first compiles in a process are several times slower (Cedar's wasm and the JIT warm up): pay them at start,
 * not in the first reload's path from a policy file's write to the revocations it brings. The API records the set
 * it loads as it starts, maybe after this worker does: wait for it a while.
 */
export function warmUp(ctx: WorkerContext, sets: PolicySetCache): void {
  void (async () => {
    for (let wait = 0; wait < WARM_WAIT_MS; wait += 1_000) {
      const id = await ctx.store.policySets.current();
      if (id !== null) {
        await sets.warm(id, WARM_COMPILES);
        await sets.acquire(id);
        sets.release(id);
        return;
      }
      await sleepOn(ctx.clock, 1_000);
    }
  })().catch(() => undefined);
}
