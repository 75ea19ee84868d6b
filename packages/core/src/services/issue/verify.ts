import { intentWithinCeiling } from "../../ceiling.js";
import { withinEffectiveCeiling } from "../../effective-ceiling.js";
import { LeashError } from "../../errors.js";
import { isSession } from "../../oauth/session.js";
import { deny } from "./audit.js";
import type { Loaded, Verified } from "./context.js";
import { ensureChainNotSuspended } from "./standing.js";

/**
 * The intent must be inside the task's effective ceiling (its own and every ancestor's), or inside the ceiling of the break-glass grant in force for it
 * (the lease then needs that grant and ends with it); then the provider checks target and intent.
 */
export async function verify(ctx: Loaded): Promise<Verified> {
  const { deps, request, task, now } = ctx;
  await ensureChainNotSuspended(ctx);
  let grant = null;
  const above = ctx.ancestors.map((a) => a.ceiling);
  // A token for /mcp grants no intent of its own: its tools' requests meet the ceiling one by one.
  if (!isSession(request) && !withinEffectiveCeiling(request.intent, task.ceiling, above)) {
    const current = await deps.breakGlass.current(task.id, now);
    if (!current || !intentWithinCeiling(request.intent, current.ceiling)) {
      await deny(ctx, ["outside the task ceiling"]);
      throw new LeashError("ceiling_exceeded", "the intent is outside the task's ceiling", {
        reasons: ["intent not covered by any ceiling entry of the task"],
      });
    }
    grant = current;
  }
  ctx.provider.validate(request.target, request.intent);
  return { ...ctx, grant };
}

/**
 * Closing a grant marks it closed and then revokes the live leases issued under it; this lease is written ahead
 * before the grant is read again, so either the closing finds it (and activation revokes it) or it sees the grant
 * closed here and nothing is minted.
 */
export async function ensureGrantOpen(ctx: Verified & { lease: { id: string } }): Promise<void> {
  if (!ctx.grant) return;
  const grantId = ctx.grant.id;
  const grant = await ctx.deps.breakGlass.get(grantId);
  if (grant && grant.closedAt === undefined) return;
  await ctx.deps.leases.abort(ctx.lease.id, "break-glass closed");
  await deny(ctx, [`break-glass ${grantId} was closed`]);
  throw new LeashError("ceiling_exceeded", "the intent is outside the task's ceiling", {
    reasons: [`break-glass ${grantId} was closed`],
  });
}
