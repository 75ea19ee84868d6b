import type { Lease, LeaseSelector } from "@leash/core";
import type { WorkerContext } from "./context.js";

const key = (l: Pick<Lease, "provider" | "target">) => `${l.provider}\u0000${l.target ?? ""}`;
/** Marks a target whose provider declined to cut it wholesale, so later chunks do not ask again. */
const NOT_CUT = "\u0000per-lease";

/**
 * A campaign that selects whole targets (by `target`, or `all`) cuts each target once at providers that can
 * (an STS `aws:TokenIssueTime` deny on the role, Vault `revoke-prefix`), instead of one call per lease. Selectors
 * by agent or task never cut: a target is shared, and cutting it would revoke other agents' credentials.
 * Returns the provider/target keys that were cut; their leases are then settled without a provider call.
 */
export async function cutTargets(
  ctx: WorkerContext,
  campaignId: string,
  selector: LeaseSelector,
  issuedBefore: number,
  leases: readonly Lease[],
): Promise<Set<string>> {
  const cut = new Set<string>();
  if (!(selector.all || selector.target !== undefined)) return cut;
  const done = new Set(await ctx.store.campaigns.cuts(campaignId));
  const seen = new Map<string, Lease>();
  for (const l of leases) if (l.target !== null && !seen.has(key(l))) seen.set(key(l), l);
  for (const [k, l] of seen) {
    const provider = ctx.revoker.providers.get(l.provider);
    if (!provider?.cutTarget || l.target === null || done.has(`${k}${NOT_CUT}`)) continue;
    if (!done.has(k)) {
      // A failed cut must not hold the campaign up: the target's leases are then revoked one by one, with retries.
      const whole = await provider
        .cutTarget({ target: l.target, issuedBefore }, AbortSignal.timeout(ctx.env.LEASH_MINT_TIMEOUT_MS))
        .catch((error: Error) => {
          ctx.logger.warn(
            { provider: l.provider, target: l.target, error: error.message },
            "target cut failed",
          );
          return false;
        });
      if (!whole) {
        await ctx.store.campaigns.recordCut(campaignId, `${k}${NOT_CUT}`);
        continue;
      }
      await ctx.store.campaigns.recordCut(campaignId, k);
      await ctx.revoker.audit.append({
        type: "revocation.target_cut",
        actor: null,
        outcome: "warning",
        detail: { campaign: campaignId, provider: l.provider, target: l.target, issued_before: issuedBefore },
      });
    }
    cut.add(k);
  }
  return cut;
}

export function isCut(cut: ReadonlySet<string>, lease: Lease): boolean {
  return cut.has(key(lease));
}
