import { withinEffectiveCeiling } from "../../effective-ceiling.js";
import { LeashError } from "../../errors.js";
import { isSession } from "../../oauth/session.js";
import { ensureNotSuspended } from "../suspension.js";
import { deny } from "./audit.js";
import type { Decided, Loaded } from "./context.js";

/**
 * Nothing is issued under a task descending from a suspended identity's tasks. The caller itself was refused at
 * the door (every request of a suspended identity is), so only the chain above it is read here, and only when there
 * is one: a root task's issuance pays nothing before its write-ahead.
 */
export async function ensureChainNotSuspended(ctx: Loaded): Promise<void> {
  try {
    await ensureNotSuspended(ctx.deps, ctx.chain);
  } catch (error) {
    await deny(ctx, ["a task above this one belongs to a suspended identity"]);
    throw error;
  }
}

/**
 * A narrowing or a suspension orders, in one store step, the revocation of the live leases it finds; this lease was
 * written ahead before the task, its ancestors and the suspensions are read again here. So either that step found
 * it (and its activation revokes it) or this read sees the change and nothing is minted: no lease escapes either.
 * A lease issued under a break-glass grant is checked against its grant instead (`ensureGrantOpen`).
 */
export async function ensureStillStanding(ctx: Decided): Promise<void> {
  const { deps, caller, task, ancestors, request } = ctx;
  const [suspended, levels] = await Promise.all([
    // The copy in the lease's own shard: the one its write-ahead and a suspension's revocations meet in.
    deps.suspensions.firstSuspended([caller.subject, ...ctx.chain], deps.clock.now(), task.id),
    ctx.grant || isSession(request)
      ? null
      : Promise.all([task, ...ancestors].map((t) => deps.tasks.get(t.id))),
  ]);
  if (suspended) {
    await refuse(ctx, "agent_suspended", "an identity this request depends on was suspended");
  }
  if (levels) {
    const [own, ...above] = levels;
    const ceilings = above.flatMap((t) => (t ? [t.ceiling] : []));
    if (!own || !withinEffectiveCeiling(request.intent, own.ceiling, ceilings)) {
      await refuse(ctx, "ceiling_exceeded", "the task's ceiling was narrowed");
    }
  }
}

async function refuse(ctx: Decided, code: "agent_suspended" | "ceiling_exceeded", reason: string) {
  await ctx.deps.leases.abort(ctx.lease.id, reason);
  await deny(ctx, [reason]);
  throw new LeashError(
    code,
    code === "agent_suspended"
      ? "an identity this request depends on is suspended"
      : "the intent is outside the task's ceiling",
    { reasons: [reason] },
  );
}
