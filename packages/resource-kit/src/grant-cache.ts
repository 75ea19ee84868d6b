import type { Clock, LeashGrant } from "./types.js";

export interface GrantCache {
  get(token: string): LeashGrant | undefined;
  set(token: string, grant: LeashGrant): void;
}

/**
 * Verified grants by token, for `ttlMs`: a client presents the same token on every request, and verifying its
 * signature costs far more than the rest of the checks. Failures are never kept; `exp` is still compared on
 * every request, and revocation and DPoP are checked every time by the caller. What this defers is a signing key
 * withdrawn from the issuer's key set: its tokens are refused up to `ttlMs` late.
 */
export function grantCache(ttlMs: number, maxEntries: number, clock: Clock): GrantCache {
  const cache = new Map<string, { grant: LeashGrant; until: number }>();
  return {
    get(token) {
      const hit = cache.get(token);
      const now = clock.now();
      if (!hit) return undefined;
      if (hit.until > now && hit.grant.expiresAt * 1000 > now) return hit.grant;
      cache.delete(token);
      return undefined;
    },
    set(token, grant) {
      if (ttlMs <= 0) return;
      if (cache.size >= maxEntries) {
        // Oldest first (a Map keeps insertion order): a tenth at once rather than one per insertion.
        let drop = Math.ceil(maxEntries / 10);
        for (const key of cache.keys()) {
          cache.delete(key);
          if (--drop === 0) break;
        }
      }
      cache.set(token, { grant, until: clock.now() + ttlMs });
    },
  };
}
