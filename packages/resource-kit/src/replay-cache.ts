/**
 * Remembers DPoP proof `jti`s until their proof could no longer be accepted anyway, so each proof is used once
 * (RFC 9449 §11.1). In memory: resource servers running several instances share nothing, so a proof captured
 * in flight could be replayed once per instance within the acceptance window; give the kit a shared cache
 * (Redis `SET NX PX`) through this interface to close that.
 */
export interface ReplayCache {
  /** True the first time a `jti` is seen before `expiresAt` (epoch ms); false when it was seen already. */
  useOnce(jti: string, expiresAt: number, now: number): boolean | Promise<boolean>;
}

export class ReplayCacheFull extends Error {
  override readonly name = "ReplayCacheFull";
}

/**
 * Entries are kept in insertion order, which is nearly expiry order (every entry lives one acceptance window), so
 * pruning only looks at the oldest entries. When `maxEntries` are live the cache refuses new ones (the caller
 * answers 503) rather than forget one that could then be replayed.
 */
export function memoryReplayCache(maxEntries = 200_000): ReplayCache {
  const seen = new Map<string, number>();
  function prune(now: number): void {
    for (const [jti, expiresAt] of seen) {
      if (expiresAt > now) return;
      seen.delete(jti);
    }
  }
  return {
    useOnce(jti, expiresAt, now) {
      prune(now);
      const previous = seen.get(jti);
      if (previous !== undefined && previous > now) return false;
      if (seen.size >= maxEntries) throw new ReplayCacheFull("the DPoP replay cache is full");
      seen.delete(jti);
      seen.set(jti, expiresAt);
      return true;
    },
  };
}
