import { randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ConsoleEnv } from "./env.js";

/** What the browser may load on a console page: our own origin, plus inline code carrying this response's nonce. */
export function consolePolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The queue dashboard is a prebuilt single-page app: its scripts and styles are files of our origin, and React sets
 * inline styles, so styles may be inline there; scripts may not.
 */
export const DASHBOARD_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Pages show who holds which credential: never cached, never framed (clickjacking a revoke button), never sniffed,
 * never sent as a referrer. Set after the handler so redirects and error pages carry them too.
 */
export function pageHeaders(policy: (nonce: string) => string): MiddlewareHandler<ConsoleEnv> {
  return async function pageHeadersMiddleware(c, next) {
    const nonce = randomBytes(18).toString("base64url");
    c.set("nonce", nonce);
    await next();
    const h = c.res.headers;
    h.set("cache-control", "no-store");
    h.set("content-security-policy", policy(nonce));
    h.set("x-frame-options", "DENY");
    h.set("x-content-type-options", "nosniff");
    h.set("referrer-policy", "no-referrer");
    h.set("cross-origin-opener-policy", "same-origin");
  };
}
