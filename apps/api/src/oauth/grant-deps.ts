import { type GrantDeps, oauthEndpoints } from "@leash/core";
import type { ApiContext } from "../context.js";
import { rateLimiter } from "../middleware/rate-limit.js";

/**
 * What the OAuth endpoints decide with, built once per app: the broker and verifier of /v1, the endpoints under
 * LEASH_PUBLIC_URL, refused identities audited as /v1 audits them, and the per-identity rate limit (one bucket for
 * the OAuth endpoints, beside the one of /v1).
 */
export function grantDepsOf(ctx: ApiContext): GrantDeps {
  const endpoints = oauthEndpoints(ctx.publicUrl);
  const admit = rateLimiter(ctx.rateLimit);
  return {
    broker: ctx.broker,
    verifier: ctx.verifier,
    issuer: endpoints.issuer,
    tokenEndpoint: endpoints.token,
    mcpResource: endpoints.mcp,
    onIdentityRejected(reason) {
      ctx.audit
        .append({ type: "identity.rejected", actor: null, outcome: "denied", detail: { reason } })
        .catch(() => {});
    },
    onAuthenticated: (caller) => admit(caller.subject),
  };
}
