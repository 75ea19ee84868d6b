import type { Clock, LeaseStore } from "@leash/core";
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from "jose";

/** The `typ` header of every task token (RFC 9068 access tokens); a JWT without it was not minted as one. */
export const TASK_TOKEN_TYP = "at+jwt";

/** RFC 7662 §2.2: an inactive token says nothing else, so nothing about it leaks. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      scope: string | undefined;
      sub: string | undefined;
      aud: string | string[] | undefined;
      iss: string | undefined;
      exp: number | undefined;
      iat: number | undefined;
      jti: string;
      token_type: "Bearer";
      task_id: string;
    };

export interface IntrospectionDeps {
  /** `iss` of task tokens: the public base URL of the API. */
  issuer: string;
  /** The public keys of the current and previous signing keys (a `SigningKeyFile`). */
  keys: { current(): Promise<{ jwks: { keys: JWK[] } }> };
  leases: Pick<LeaseStore, "get">;
  clock: Clock;
}

/**
 * A task token is active while it verifies (Leash's key, issuer, ES256, `typ` at+jwt, not expired) and its lease,
 * the `jti`, is an active leash-jwt lease not past its expiry: revocation is the lease's state in the store.
 */
export async function introspectTaskToken(deps: IntrospectionDeps, token: string): Promise<Introspection> {
  const inactive = { active: false } as const;
  const { jwks } = await deps.keys.current();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: deps.issuer,
      algorithms: ["ES256"],
      typ: TASK_TOKEN_TYP,
    }));
  } catch {
    return inactive;
  }
  // OAuth access tokens share keys and typ: their `client_id` tells them apart, whatever the store says.
  if (typeof payload.jti !== "string" || payload.client_id !== undefined) return inactive;
  const lease = await deps.leases.get(payload.jti);
  if (lease?.provider !== "leash-jwt" || lease.state !== "active" || lease.expiresAt <= deps.clock.now()) {
    return inactive;
  }
  return {
    active: true,
    scope: typeof payload.scope === "string" ? payload.scope : undefined,
    sub: payload.sub,
    aud: payload.aud,
    iss: payload.iss,
    exp: payload.exp,
    iat: payload.iat,
    jti: payload.jti,
    token_type: "Bearer",
    task_id: lease.taskId,
  };
}
