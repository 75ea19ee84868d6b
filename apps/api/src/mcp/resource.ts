import type { LeaseStore } from "@leash/core";
import { createResourceServer, type ResourceServer, type RevocationStatus } from "@leash/resource-kit";
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from "jose";
import type { ApiContext } from "../context.js";

/** Leash's signing keys as a key set jose can use, rebuilt only when the key file changed (rotation). */
function signingKeySet(ctx: Pick<ApiContext, "signingKeys">): JWTVerifyGetKey {
  let cached: { jwks: { keys: JWK[] }; keySet: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    const { jwks } = await ctx.signingKeys.current();
    if (cached?.jwks !== jwks) cached = { jwks, keySet: createLocalJWKSet(jwks) };
    return cached.keySet(header, token);
  };
}

/**
 * In-process, the lease itself says whether the token still works: no feed to poll, no staleness. A token for
 * /mcp is live while its lease is an active oauth lease for this resource, before its expiry.
 */
async function liveness(leases: Pick<LeaseStore, "get">, leaseId: string, resource: string, now: number) {
  try {
    const lease = await leases.get(leaseId);
    const live =
      lease?.provider === "oauth" &&
      lease.state === "active" &&
      lease.target === resource &&
      lease.expiresAt > now;
    return (live ? "live" : "revoked") satisfies RevocationStatus;
  } catch {
    return "unknown" satisfies RevocationStatus;
  }
}

/**
 * `/mcp` as a resource server of Leash's own tokens: `aud` exactly `<LEASH_PUBLIC_URL>/mcp`, Leash's keys, the
 * lease's state for revocation, DPoP proofs remembered in Redis (so several API processes accept each once).
 */
export function leashMcpResource(ctx: ApiContext): ResourceServer {
  const resource = `${ctx.publicUrl.replace(/\/+$/, "")}/mcp`;
  const { clock } = ctx.broker;
  return createResourceServer({
    resource,
    issuer: ctx.publicUrl,
    keys: signingKeySet(ctx),
    revocation: { status: (token) => liveness(ctx.store.leases, token.leaseId, resource, clock.now()) },
    dpop: { replay: { useOnce: (jti, expiresAt) => ctx.store.dpopReplay.firstUse(`mcp:${jti}`, expiresAt) } },
    // Behind a proxy that strips a path prefix the request's own path is not what the client addressed.
    requestUrl: () => resource,
    clock,
  });
}
