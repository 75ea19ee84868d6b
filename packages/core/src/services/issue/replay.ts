import { sleepOn } from "../../clock.js";
import { LeashError } from "../../errors.js";
import type { Lease } from "../../lease.js";
import type { IdempotencyRecord } from "../../ports.js";
import type { Decided, Issued } from "./context.js";
import { mintRequestOf } from "./mint.js";

/** How often a replay looks again at a lease whose first request is still minting. */
const POLL_MS = 25;

/**
 * The Idempotency-Key was used already: the same body gets the same lease back (waiting, on the injected clock,
 * up to the mint timeout for the first request to finish), with its credential from the replay cache or minted
 * again where that creates nothing new; another body, or a lease that did not end up active, is a conflict.
 */
export async function replay(ctx: Decided, earlier: IdempotencyRecord): Promise<Issued> {
  if (earlier.bodyHash !== ctx.requestHash) {
    throw new LeashError(
      "idempotency_conflict",
      "this Idempotency-Key was used with a different request body",
    );
  }
  const { deps, provider } = ctx;
  const leaseId = earlier.leaseId;
  const lease = await settledLease(ctx, leaseId);
  if (lease?.state !== "active") {
    throw new LeashError(
      "idempotency_conflict",
      `the request with this Idempotency-Key ended as lease ${leaseId} in state ${lease?.state ?? "unknown"}; use a new key`,
    );
  }
  const cached = deps.replay.get(leaseId);
  if (cached) return { kind: "issued", lease, credential: cached, replayed: true };
  if (provider.remintable) {
    const again = await provider.mint(
      // The same body (its hash matched), so the same key to bind to.
      mintRequestOf(lease, ctx.chain, [], ctx.request.confirmation),
      AbortSignal.timeout(deps.config.mintTimeoutMs),
    );
    return { kind: "issued", lease, credential: again.credential, replayed: true };
  }
  throw new LeashError(
    "idempotency_conflict",
    `the credential of lease ${leaseId} was already delivered and Leash never stores secrets; return it (DELETE) and ask again with a new key`,
  );
}

/** The lease once its first request is done with it, or as it is when the mint timeout passes (still pending). */
async function settledLease({ deps, options }: Decided, leaseId: string): Promise<Lease | null> {
  const deadline = deps.clock.now() + deps.config.mintTimeoutMs;
  let lease = await deps.leases.get(leaseId);
  while (lease?.state === "pending" && deps.clock.now() < deadline) {
    await sleepOn(deps.clock, POLL_MS, options.signal);
    lease = await deps.leases.get(leaseId);
  }
  return lease;
}
