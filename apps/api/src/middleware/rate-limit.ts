import { LeashError } from "@leash/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** Bound on remembered identities; the least recently seen is forgotten first. */
  maxIdentities?: number;
}

/**
 * A token bucket per verified identity (per API process: with N replicas the cluster-wide limit is N times this).
 * Runs after identity verification, so anonymous floods are stopped by the 401 path, not counted here.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<ApiEnv> {
  const admit = rateLimiter(options);
  return async function rateLimitMiddleware(c, next) {
    admit(c.get("identity").subject);
    await next();
  };
}

/** The bucket check alone, for endpoints that learn the identity in their handler (the OAuth token endpoint). */
export function rateLimiter(options: RateLimitOptions): (subject: string) => void {
  if (!(options.perSecond > 0) || !(options.burst >= 1))
    throw new Error("rateLimit needs perSecond > 0 and burst >= 1");
  const max = options.maxIdentities ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return function admit(subject: string): void {
    const now = Date.now();
    const bucket = buckets.get(subject) ?? { tokens: options.burst, at: now };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
    bucket.at = now;
    buckets.delete(subject);
    buckets.set(subject, bucket);
    if (buckets.size > max) {
      const oldest = buckets.keys().next().value;
      if (oldest !== undefined) buckets.delete(oldest);
    }
    if (bucket.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
      throw new LeashError(
        "rate_limited",
        `more than ${options.perSecond} requests per second from this identity`,
        {
          retryAfterSeconds: wait,
        },
      );
    }
    bucket.tokens -= 1;
  };
}
