import { type Clock, type GrantedDetail, grantedDetails, isSession, type MintRequest } from "@leash/core";
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { SigningKeyFile } from "../leash-jwt/keys.js";
import { actClaim, scopeOf } from "../leash-jwt/provider.js";

/** RFC 9068 §2.1: the `typ` of JWT access tokens (v1 task tokens share it, and are told apart by their claims). */
export const ACCESS_TOKEN_TYP = "at+jwt";

/**
 * An access token per RFC 9068, signed with the task-token keys (published at `jwks_uri`): `aud` is the resource,
 * `jti` the lease, `client_id` the agent (the client is the workload), the intent as RFC 9396 details (`scope` too,
 * as `action:resource`, unless it is a token for /mcp), the delegation chain as `act`, and `cnf.jkt` when bound to
 * a DPoP key (RFC 9449 §6).
 */
export async function signAccessToken(keys: Pick<SigningKeyFile, "current">, issuer: string, m: MintRequest) {
  const { kid, privateKey } = await keys.current();
  const session = isSession({ provider: "oauth", intent: m.intent });
  const claims: JWTPayload = {
    client_id: m.agent,
    task_id: m.taskId,
    authorization_details: grantedDetails(m.taskId, session ? undefined : m.intent),
  };
  if (!session) claims.scope = scopeOf(m.intent);
  const act = actClaim(m.actorChain);
  if (act) claims.act = act;
  if (m.confirmation) claims.cnf = { jkt: m.confirmation.jkt };
  const issuedAt = Math.floor((m.issuedAt ?? m.expiresAt - m.ttlSeconds * 1000) / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(issuer)
    .setSubject(m.agent)
    .setAudience(m.target ?? "")
    .setJti(m.leaseId)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(Math.floor(m.expiresAt / 1000))
    .sign(privateKey);
}

/** The claims of a verified access token that Leash reads back (introspection, revocation). */
export interface AccessTokenClaims {
  payload: JWTPayload & {
    jti: string;
    sub: string;
    client_id: string;
    authorization_details: GrantedDetail[];
  };
}

export interface AccessTokenVerifierDeps {
  issuer: string;
  keys: { current(): Promise<{ jwks: { keys: JWK[] } }> };
  clock: Clock;
}

/**
 * Verifies a token as one of Leash's access tokens: Leash's key, ES256, `typ` at+jwt, `iss`, not expired, and the
 * claims only access tokens carry (`client_id`, `authorization_details`): a v1 task token is not one. Null otherwise.
 */
export async function verifyAccessToken(
  deps: AccessTokenVerifierDeps,
  token: string,
): Promise<AccessTokenClaims | null> {
  const { jwks } = await deps.keys.current();
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: deps.issuer,
      algorithms: ["ES256"],
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: ["jti", "sub", "exp", "aud"],
      currentDate: new Date(deps.clock.now()),
    });
    if (typeof payload.client_id !== "string" || !Array.isArray(payload.authorization_details)) return null;
    return { payload: payload as AccessTokenClaims["payload"] };
  } catch {
    return null;
  }
}
