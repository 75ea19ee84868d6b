import type { z } from "zod";

interface Timings {
  LEASH_MINT_TIMEOUT_MS: number;
  LEASH_PENDING_GRACE_MS: number;
}

/**
 * A `pending` lease older than LEASH_PENDING_GRACE_MS is presumed orphaned: the reconciler reclaims whatever the
 * provider may hold under its id and aborts it. A mint may take up to LEASH_MINT_TIMEOUT_MS, so a grace that is not
 * longer would abort leases whose mint is still running, and a credential minted a moment later would exist at
 * the provider under an aborted lease. Refused at start-up.
 */
export function checkPendingGrace(env: Timings, ctx: z.RefinementCtx): void {
  if (env.LEASH_PENDING_GRACE_MS > env.LEASH_MINT_TIMEOUT_MS) return;
  ctx.addIssue({
    code: "custom",
    path: ["LEASH_PENDING_GRACE_MS"],
    message:
      "must be greater than LEASH_MINT_TIMEOUT_MS: a pending lease younger than a mint may take is not orphaned",
  });
}
