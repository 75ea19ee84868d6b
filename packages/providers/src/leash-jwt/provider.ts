import type { CredentialProvider, Intent, MintedCredential, MintRequest, RevokeOutcome } from "@leash/core";
import { type Clock, LeashError, systemClock } from "@leash/core";
import { type JWTPayload, SignJWT } from "jose";
import { TASK_TOKEN_TYP } from "./introspect.js";
import type { SigningKeyFile } from "./keys.js";

export interface LeashJwtConfig {
  /** `iss` of task tokens: the public base URL of the API. */
  issuer: string;
  maxTtlSeconds: number;
  keys: SigningKeyFile;
  /** `iat` and `nbf` come from here (the system clock by default). */
  clock?: Clock;
}

/** RFC 8693 §4.1: the current actor at the top level, earlier actors nested inside. */
export function actClaim(chain: readonly string[]): JWTPayload | undefined {
  let act: JWTPayload | undefined;
  for (const sub of [...chain].reverse()) act = act ? { sub, act } : { sub };
  return act;
}

export function scopeOf(intent: Intent): string {
  return `${intent.action}:${intent.resource}`;
}

/**
 * Leash's own task tokens: ES256 JWTs with `jti` = lease id. Nothing exists outside Leash, so revocation is the
 * lease's state in the store, which introspection reports; offline verifiers rely on the short `exp`.
 */
export function createLeashJwtProvider(config: LeashJwtConfig): CredentialProvider {
  return {
    name: "leash-jwt",
    remintable: true,
    revokesInStore: true,
    mintsInProcess: true,
    maxTtlSeconds: () => config.maxTtlSeconds,
    validate(target) {
      if (target !== undefined) {
        throw new LeashError(
          "unknown_target",
          "leash-jwt takes no target: the audience is the intent's tool or resource",
        );
      }
    },
    async mint(request: MintRequest): Promise<MintedCredential> {
      const { kid, privateKey } = await config.keys.current();
      const { intent } = request;
      const claims: JWTPayload = {
        scope: scopeOf(intent),
        task_id: request.taskId,
        ...(intent.sensitivity ? { sensitivity: intent.sensitivity } : {}),
        ...(intent.destination ? { destination: intent.destination } : {}),
      };
      const act = actClaim(request.actorChain);
      if (act) claims.act = act;
      const issuedAt = Math.floor((config.clock ?? systemClock).now() / 1000);
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid, typ: TASK_TOKEN_TYP })
        .setIssuer(config.issuer)
        .setSubject(request.agent)
        .setAudience(intent.tool ?? intent.resource)
        .setJti(request.leaseId)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(Math.floor(request.expiresAt / 1000))
        .sign(privateKey);
      return {
        credential: { token, token_type: "Bearer" },
        // The lease id is the jti: nothing else is needed to revoke, so nothing else is stored.
        handle: {},
        providerExpiresAt: request.expiresAt,
        scope: [scopeOf(intent)],
      };
    },
    async revoke(): Promise<RevokeOutcome> {
      return {};
    },
    async reclaim() {},
  };
}
