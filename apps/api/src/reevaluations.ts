import {
  awaitReevaluation,
  type DeniedLease,
  LeashError,
  type PolicySetSnapshot,
  type Reevaluation,
  startReevaluation,
} from "@leash/core";
import { compileSnapshot, PolicyLoadError, snapshotOf } from "@leash/policy";
import type { ApiContext } from "./context.js";

/** How long a dry run may take before the caller gets a 503 (the worker decides 100,000 leases in seconds). */
const DRY_RUN_TIMEOUT_MS = 60_000;
/** A candidate set is kept this long, so the worker can read it. */
const CANDIDATE_TTL_MS = 3_600_000;

export interface Preview {
  run: Reevaluation;
  sample: DeniedLease[];
}

/** The policy set this process decides with, or 409: without one there is nothing to decide again. */
function loaded(ctx: ApiContext): PolicySetSnapshot {
  const snapshot = ctx.policySnapshot();
  if (!snapshot)
    throw new LeashError("conflict", "no policy set is loaded (LEASH_POLICY_DIR): nothing to re-evaluate");
  return snapshot;
}

/**
 * A candidate set (file name -> Cedar text) compiled against the loaded schema, or 400 naming each problem's
 * file, line and column.
 */
function candidateSet(schema: string, files: Record<string, string>): PolicySetSnapshot {
  try {
    return snapshotOf(compileSnapshot({ schema, files }));
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    const problems = error.message.split("\n");
    throw new LeashError("invalid_request", `policies: ${problems.join("; ")}`, { reasons: problems });
  }
}

/** Re-evaluates every live lease with the loaded set now (`POST /v1/reevaluations`, the console). */
export async function orderReevaluation(ctx: ApiContext, by: string): Promise<Reevaluation> {
  const snapshot = loaded(ctx);
  // Normally recorded at start and at each reload; recorded here too in case the store lost it.
  await ctx.store.policySets.put(snapshot, { current: false, keepMs: CANDIDATE_TTL_MS });
  const run = await startReevaluation(deps(ctx), {
    trigger: "request",
    requestedBy: by,
    policySet: snapshot.id,
    dryRun: false,
  });
  await ctx.audit.append({
    type: "reevaluation.ordered",
    actor: by,
    outcome: "ok",
    detail: { id: run.id, policy_set: run.policySet },
  });
  return run;
}

/**
 * What re-evaluating now would revoke, with the loaded set or a complete candidate set, deciding and revoking
 * nothing: the worker decides every live lease (a dry run) and this waits for its counts and a sample.
 */
export async function previewReevaluation(
  ctx: ApiContext,
  by: string,
  candidate: Record<string, string> | undefined,
  signal?: AbortSignal,
): Promise<Preview> {
  const snapshot = loaded(ctx);
  const set = candidate ? candidateSet(snapshot.schema, candidate) : snapshot;
  await ctx.store.policySets.put(set, { current: false, keepMs: CANDIDATE_TTL_MS });
  const started = await startReevaluation(deps(ctx), {
    trigger: "request",
    requestedBy: by,
    policySet: set.id,
    dryRun: true,
  });
  const run = await awaitReevaluation(deps(ctx), started.id, DRY_RUN_TIMEOUT_MS, signal);
  if (run.state === "failed")
    throw new LeashError("internal", `the dry run failed: ${run.problems.join("; ") || "unknown reason"}`);
  const sample = await ctx.store.reevaluations.sample(run.id, 20);
  await ctx.audit.append({
    type: "reevaluation.previewed",
    actor: by,
    outcome: "ok",
    detail: {
      policy_set: set.id,
      candidate: candidate !== undefined,
      checked: run.checked,
      denied: run.denied,
      by_policy: run.byPolicy,
    },
  });
  return { run, sample };
}

function deps(ctx: ApiContext) {
  return { reevaluations: ctx.store.reevaluations, queue: ctx.producers, clock: ctx.broker.clock };
}
