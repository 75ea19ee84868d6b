import type { LeaseStore } from "@leash/core";
import { type AccessTokenVerifierDeps, verifyAccessToken } from "./access-token.js";

/** RFC 7662 §2.2 for access tokens; an inactive token says nothing else. */
export type AccessTokenIntrospection = { active: false } | ({ active: true } & Record<string, unknown>);

export interface AccessTokenIntrospectionDeps extends AccessTokenVerifierDeps {
  leases: Pick<LeaseStore, "get">;
}

const CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "task_id"] as const;

/**
 * Active while the token verifies as an access token (a v1 task token never does) and its lease, the `jti`, is an
 * active oauth lease not past its expiry: ending the lease ends the token at once here.
 */
export async function introspectAccessToken(
  deps: AccessTokenIntrospectionDeps,
  token: string,
): Promise<AccessTokenIntrospection> {
  const inactive = { active: false } as const;
  const verified = await verifyAccessToken(deps, token);
  if (!verified) return inactive;
  const { payload } = verified;
  const lease = await deps.leases.get(payload.jti);
  if (lease?.provider !== "oauth" || lease.state !== "active" || lease.expiresAt <= deps.clock.now())
    return inactive;
  const answer: Record<string, unknown> = { active: true };
  for (const claim of CLAIMS) if (payload[claim] !== undefined) answer[claim] = payload[claim];
  answer.token_type = payload.cnf === undefined ? "Bearer" : "DPoP";
  answer.authorization_details = payload.authorization_details;
  if (payload.act !== undefined) answer.act = payload.act;
  if (payload.cnf !== undefined) answer.cnf = payload.cnf;
  return { active: true, ...answer };
}
