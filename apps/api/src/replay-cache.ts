import type { ReplayCache } from "@leash/core";

/**
 * Delivered credentials, kept in process memory only (never at rest) for a short while, so that a client retrying
 * with the same Idempotency-Key after a lost response gets the very same credential.
 */
export function createReplayCache(maxEntries = 10_000, ttlMs = 10 * 60_000): ReplayCache {
  const entries = new Map<string, { credential: Readonly<Record<string, unknown>>; until: number }>();
  return {
    get(leaseId) {
      const entry = entries.get(leaseId);
      if (!entry) return undefined;
      if (entry.until < Date.now()) {
        entries.delete(leaseId);
        return undefined;
      }
      return entry.credential;
    },
    set(leaseId, credential) {
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(leaseId, { credential, until: Date.now() + ttlMs });
    },
  };
}
