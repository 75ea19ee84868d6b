import type { Clock } from "@leash/core";
import type { GatewayGrant } from "@leash/providers";
import type { TokenVerifier } from "./ports.js";

export interface TokenCacheOptions {
  /** A verified token is trusted this long before it is verified again (a signing key removed from the key file
   * stops admitting its tokens this late; ended leases are refused at once by the live view). */
  ttlMs?: number;
  maxEntries?: number;
  clock: Clock;
}

/**
 * Verifying an ES256 signature costs a few hundred microseconds: an agent's requests present the same token again
 * and again, so a verified grant is kept for a short while, keyed by upstream and token. Failures are not kept.
 * Expiry is still checked on every request (checkLive compares the grant's `exp` with the clock).
 */
export function cachedVerifier(verifier: TokenVerifier, options: TokenCacheOptions): TokenVerifier {
  const ttlMs = options.ttlMs ?? 30_000;
  const max = options.maxEntries ?? 10_000;
  const cache = new Map<string, { grant: GatewayGrant; until: number }>();
  return {
    async verify(token, upstream) {
      const key = `${upstream}\u0000${token}`;
      const now = options.clock.now();
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.grant;
      if (hit) cache.delete(key);
      const grant = await verifier.verify(token, upstream);
      if (cache.size >= max) {
        // Oldest first (a Map keeps insertion order): drop a tenth at once rather than one per insertion.
        let drop = Math.ceil(max / 10);
        for (const k of cache.keys()) {
          cache.delete(k);
          if (--drop === 0) break;
        }
      }
      cache.set(key, { grant, until: now + ttlMs });
      return grant;
    },
  };
}
