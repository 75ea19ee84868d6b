import {
  ASSERTION_TYPE_JWT_BEARER,
  authenticateClient,
  ensureNotSuspended,
  type GrantDeps,
  LeashError,
  OAuthError,
  type WorkloadIdentity,
} from "@leash/core";
import type { Context } from "hono";
import type { ApiContext } from "../context.js";
import type { ApiEnv } from "../env.js";
import { single } from "./form.js";

/**
 * The caller of `/oauth/revoke` and `/oauth/introspect` (RFC 7009 §2.1, RFC 7662 §2.1): a workload JWT, either as
 * an RFC 7523 client assertion (for the issuer, the token endpoint or this endpoint) or as `Authorization: Bearer`
 * (for the API's audience, as for /v1). Unauthenticated is `401 invalid_client`; a suspended identity is refused.
 * Each call counts against the caller's bucket of the OAuth endpoints, as a token request does (`429`).
 */
export async function endpointCaller(
  ctx: ApiContext,
  grant: GrantDeps,
  c: Context<ApiEnv>,
  pairs: readonly [string, string][],
  endpoint: string,
): Promise<WorkloadIdentity> {
  const assertion = single(pairs, "client_assertion");
  const header = c.req.header("authorization");
  if (assertion !== undefined && header !== undefined)
    throw new OAuthError("invalid_request", "authenticate once: client_assertion or Authorization, not both");
  let caller: WorkloadIdentity;
  if (assertion !== undefined) {
    if (single(pairs, "client_assertion_type") !== ASSERTION_TYPE_JWT_BEARER)
      throw new OAuthError("invalid_client", `client_assertion_type must be ${ASSERTION_TYPE_JWT_BEARER}`);
    caller = await authenticateClient(grant, assertion, [endpoint]);
  } else {
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!bearer)
      throw new OAuthError("invalid_client", "authenticate with a workload JWT (client_assertion or Bearer)");
    caller = await ctx.verifier.verify(bearer).catch((error: unknown) => {
      if (error instanceof LeashError && error.code === "unauthenticated") {
        grant.onIdentityRejected?.(error.message);
        throw new OAuthError("invalid_client", error.message);
      }
      throw error;
    });
  }
  await grant.onAuthenticated?.(caller);
  await ensureNotSuspended(ctx.door, [caller.subject]).catch((error: unknown) => {
    throw error instanceof LeashError
      ? new OAuthError("access_denied", error.message, { status: 403 })
      : error;
  });
  return caller;
}
