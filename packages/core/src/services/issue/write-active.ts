import { withinEffectiveCeiling } from "../../effective-ceiling.js";
import { LeashError } from "../../errors.js";
import type { Lease } from "../../lease.js";
import { isSession } from "../../oauth/session.js";
import type { IdempotencyRecord, IssueRefusal, IssueStanding } from "../../ports.js";
import type { MintedCredential } from "../../provider.js";
import type { Task } from "../../task.js";
import { deny } from "./audit.js";
import type { Decided } from "./context.js";
import { readAgain } from "./load.js";
import { auditMintFailed, mintError, mintRequestOf } from "./mint.js";
import { writeCounted } from "./write-ahead.js";

/** How many times a narrowing that keeps landing between the read and the write sends the write round again. */
const ATTEMPTS = 3;

/**
 * The one-step issuance applies to credentials that only Leash's signature makes (`mintsInProcess`), outside a
 * break-glass grant (whose closing is checked after a write-ahead, `ensureGrantOpen`).
 */
export function issuesInOneStep({ provider, grant }: Decided): boolean {
  return provider.mintsInProcess === true && grant === null;
}

/**
 * Signs, then records the lease `active` in one store step that checks again, atomically, what the lease was
 * decided on: its task still active, no ceiling above it narrowed since it was read, no identity it depends on
 * suspended. A narrowing, suspension or task end that lands before that step refuses the lease here; one that lands
 * after finds the lease live and orders its revocation. The credential leaves only through the return value, after
 * the step: a crash before leaves a token nobody received and no record, so nothing to write ahead or reclaim.
 * With an Idempotency-Key already used, nothing is written and the earlier request's record is returned.
 */
export async function writeActive(
  ctx: Decided,
): Promise<{ lease: Lease; credential: Readonly<Record<string, unknown>> } | IdempotencyRecord> {
  const minted = await sign(ctx);
  const lease: Lease = {
    ...ctx.lease,
    state: "active",
    handle: minted.handle,
    providerExpiresAt: minted.providerExpiresAt,
    scope: minted.scope,
  };
  try {
    let levels: readonly Task[] = [ctx.task, ...ctx.ancestors];
    for (let attempt = 1; ; attempt++) {
      const standing = standingOf(ctx, levels);
      const outcome = await writeCounted(ctx, (idem, pools) =>
        ctx.deps.leases.createActive(lease, standing, idem, pools),
      );
      if (!outcome) break;
      if (!("refused" in outcome)) return outcome;
      // The step compares state and stamps before it reads the suspensions: this refusal is on current records.
      if (outcome.refused === "agent_suspended")
        throw await refuse({ ...ctx, cached: false }, outcome.refused);
      // Decided on records from memory that are no longer current (the task ended, or a narrowing or suspension
      // moved a stamp): everything is read and decided again, as if nothing had been cached.
      if (ctx.cached) readAgain(ctx, `task ${ctx.task.id} changed since it was cached`);
      if (outcome.refused !== "changed") throw await refuse(ctx, outcome.refused);
      // A narrowing or a suspension landed since the levels were read: decide again on what they hold now.
      if (attempt === ATTEMPTS) throw new LeashError("conflict", `task ${ctx.task.id} kept changing; retry`);
      const again = await reread(ctx);
      if (!again) throw await refuse(ctx, "changed");
      levels = again;
    }
  } catch (error) {
    // Nothing was written: an approval this request redeemed is not spent (as after a refused write-ahead).
    if (ctx.approvalId) await ctx.deps.approvals.release(ctx.approvalId, ctx.lease.id).catch(() => false);
    throw error;
  }
  // Kept in process memory a few minutes, so an idempotent replay returns exactly this credential.
  ctx.deps.replay.set(lease.id, minted.credential);
  return { lease, credential: minted.credential };
}

/**
 * What the store checks again: the levels' stamps as read (a token for /mcp holds no intent, but a suspension moves
 * its task's stamp too), and the suspensions only under a task one has reached before: the door refused the caller
 * before the task was read, `verify` read the chain's after, and any suspension since moves the stamp.
 */
function standingOf({ caller, chain }: Decided, levels: readonly Task[]): IssueStanding {
  return {
    tasks: levels.map((t) => ({ id: t.id, stamp: t.stamp ?? 0 })),
    agents: levels[0]?.reachedBySuspension ? [caller.subject, ...chain] : [],
  };
}

/** The task and its ancestors read again, or null when the intent is no longer inside their ceilings. */
async function reread({ deps, task, ancestors, request }: Decided): Promise<Task[] | null> {
  const levels = await Promise.all([task, ...ancestors].map((t) => deps.tasks.get(t.id)));
  const [own, ...above] = levels;
  if (!own || above.some((t) => t === null)) return null;
  const ceilings = above.flatMap((t) => (t ? [t.ceiling] : []));
  if (!isSession(request) && !withinEffectiveCeiling(request.intent, own.ceiling, ceilings)) return null;
  return levels.flatMap((t) => (t ? [t] : []));
}

/** A signature fails only inside Leash (a key, a bug): nothing exists anywhere, so it is audited and thrown. */
async function sign(ctx: Decided): Promise<MintedCredential> {
  const { deps, provider, lease } = ctx;
  const request = mintRequestOf(lease, ctx.chain, ctx.decision?.scopeHints ?? [], ctx.request.confirmation);
  try {
    return await provider.mint(request, AbortSignal.timeout(deps.config.mintTimeoutMs));
  } catch (error) {
    const known = mintError(provider, error);
    await auditMintFailed(deps, provider, lease, known);
    throw known;
  }
}

async function refuse(ctx: Decided, why: IssueRefusal): Promise<LeashError> {
  const { task } = ctx;
  if (why === "task_not_active") {
    await deny(ctx, [`task ${task.id} ended while the credential was being issued`]);
    return new LeashError("task_not_active", `task ${task.id} ended while the credential was being issued`);
  }
  if (why === "agent_suspended") {
    const reason = "an identity this request depends on was suspended";
    await deny(ctx, [reason]);
    return new LeashError("agent_suspended", "an identity this request depends on is suspended", {
      reasons: [reason],
    });
  }
  // A level changed and no longer covers the intent: a narrowing (a suspension refuses as `agent_suspended`).
  const reason = "the task's ceiling was narrowed";
  await deny(ctx, [reason]);
  return new LeashError("ceiling_exceeded", "the intent is outside the task's ceiling", {
    reasons: [reason],
  });
}
