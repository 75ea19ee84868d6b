import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from "jose";
import { KeySetUnavailable, readLimited } from "./key-set.js";

export interface RemoteKeySetOptions {
  /** Abort a JWKS request after this long. */
  timeoutMs: number;
  /** After a successful fetch, an unknown `kid` triggers no new fetch for this long. */
  cooldownMs: number;
  /** Refetch the set at the first use after this age, so keys removed at the issuer stop being trusted. */
  cacheMaxAgeMs: number;
  /** After a failed fetch, fail fast without a request for this long, so an outage is not amplified. */
  failureBackoffMs: number;
  /** Largest JWKS response accepted. */
  maxBytes: number;
}

function isJwkSet(value: unknown): boolean {
  return typeof value === "object" && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

/**
 * jose's remote key set (single in-flight request, cooldown, timeout, no redirects) with a fetch that fails fast
 * after a failure and bounds the response. jose only records successful fetches, so without the backoff every
 * request for an unknown `kid` would reach an issuer that is down.
 */
export function remoteKeySet(uri: string, options: RemoteKeySetOptions): JWTVerifyGetKey {
  let failedAt = Number.NEGATIVE_INFINITY;

  const fetchJwks: FetchImplementation = async (url, init) => {
    if (Date.now() - failedAt < options.failureBackoffMs) throw new KeySetUnavailable("recent fetch failed");
    try {
      const response = await fetch(url, init);
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new KeySetUnavailable(`HTTP ${response.status}`);
      }
      const text = await readLimited(response, options.maxBytes);
      if (!isJwkSet(JSON.parse(text))) throw new KeySetUnavailable("response is not a JWK set");
      return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
    } catch (error) {
      failedAt = Date.now();
      throw error;
    }
  };

  const remote = createRemoteJWKSet(new URL(uri), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [customFetch]: fetchJwks,
  });

  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw error instanceof KeySetUnavailable
        ? error
        : new KeySetUnavailable("fetch failed", { cause: error });
    }
  };
}
