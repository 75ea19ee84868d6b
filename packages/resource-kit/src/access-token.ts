import { errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { z } from "zod";
import type { Actor, Clock, LeashGrant, LeashIntent } from "./types.js";

/** RFC 9068 §2.1: the `typ` header of a JWT access token. */
const ACCESS_TOKEN_TYP = "at+jwt";

const text = z.string().min(1).max(2048);

const ActorSchema: z.ZodType<Actor> = z.lazy(() =>
  z.looseObject({ sub: text, act: ActorSchema.optional() }).transform((a) => ({
    sub: a.sub,
    ...(a.act ? { act: a.act } : {}),
  })),
);

const IntentSchema = z.looseObject({
  type: z.literal("leash_intent"),
  action: text,
  resource: text,
  tool: text.optional(),
  sensitivity: text.optional(),
  destination: text.optional(),
  purpose: text.optional(),
});

/**
 * The claims a Leash access token must carry beyond what `jwtVerify` checks. `client_id` and
 * `authorization_details` are what tell an access token from a v1 task token signed with the same key: a task
 * token has neither, and is refused here whatever its audience.
 */
const Claims = z.looseObject({
  sub: text,
  jti: text,
  exp: z.number(),
  client_id: text,
  task_id: text.optional(),
  scope: z.string().max(8192).optional(),
  authorization_details: z.array(z.looseObject({ type: text })).max(16),
  act: ActorSchema.optional(),
  cnf: z.looseObject({ jkt: z.string().min(1).max(128).optional() }).optional(),
});

export interface AccessTokenOptions {
  issuer: string;
  /** This resource: `aud` must be exactly it. */
  resource: string;
  keys: JWTVerifyGetKey;
  algorithms: readonly string[];
  clock: Clock;
  clockToleranceSeconds: number;
}

/** Raised for any token that must be refused; `reason` is a fixed sentence, never a claim or the token. */
export class InvalidAccessToken extends Error {
  override readonly name = "InvalidAccessToken";
}

function reasonOf(error: unknown): string | undefined {
  // The keys could not be fetched: nothing is known about the token, and the caller fails closed (503).
  if (error instanceof errors.JWKSTimeout) return undefined;
  if (error instanceof errors.JWTExpired) return "the access token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "the access token is for another resource";
    if (error.claim === "iss") return "the access token is from another issuer";
    if (error.claim === "typ") return "the token is not an access token (typ at+jwt)";
    return "the access token's claims are not valid";
  }
  if (error instanceof errors.JOSEError) return "the access token does not verify";
  return undefined;
}

function intentOf(details: readonly Record<string, unknown>[]): LeashIntent | null {
  const entry = details.find((d) => d.type === "leash_intent");
  // A token for Leash's own /mcp names its task and no intent: each credential is decided when asked for.
  if (!entry || (entry.action === undefined && entry.resource === undefined)) return null;
  const parsed = IntentSchema.safeParse(entry);
  if (!parsed.success) throw new InvalidAccessToken("the access token's leash_intent is malformed");
  const { type: _type, ...intent } = parsed.data;
  const { action, resource, tool, sensitivity, destination, purpose } = intent;
  return {
    action,
    resource,
    ...(tool !== undefined ? { tool } : {}),
    ...(sensitivity !== undefined ? { sensitivity } : {}),
    ...(destination !== undefined ? { destination } : {}),
    ...(purpose !== undefined ? { purpose } : {}),
  };
}

/**
 * Verifies a Leash access token locally: signature by the issuer's keys (pinned algorithms, never `none` or HMAC),
 * `iss`, `typ` at+jwt, `exp`, `aud` exactly this resource (a token naming several audiences could be replayed by
 * one of them against another), and the RFC 9068 claims. Revocation and DPoP are checked by the caller.
 * Throws InvalidAccessToken for tokens to refuse; other errors (keys unreachable) propagate: the caller fails closed.
 */
export async function verifyAccessToken(token: string, opts: AccessTokenOptions): Promise<LeashGrant> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, opts.keys, {
      issuer: opts.issuer,
      audience: opts.resource,
      typ: ACCESS_TOKEN_TYP,
      algorithms: [...opts.algorithms],
      currentDate: new Date(opts.clock.now()),
      clockTolerance: opts.clockToleranceSeconds,
      requiredClaims: ["exp", "iat", "jti", "sub"],
    }));
  } catch (error) {
    const reason = reasonOf(error);
    if (reason) throw new InvalidAccessToken(reason);
    throw error;
  }
  const aud = payload.aud;
  if (!(aud === opts.resource || (Array.isArray(aud) && aud.length === 1 && aud[0] === opts.resource)))
    throw new InvalidAccessToken("the access token is for another resource");
  const parsed = Claims.safeParse(payload);
  if (!parsed.success) throw new InvalidAccessToken("the token is not a Leash access token");
  const claims = parsed.data;
  return {
    agent: claims.sub,
    clientId: claims.client_id,
    leaseId: claims.jti,
    taskId: claims.task_id ?? null,
    intent: intentOf(claims.authorization_details),
    authorizationDetails: claims.authorization_details,
    scopes: claims.scope ? claims.scope.split(" ").filter((s) => s !== "") : [],
    resource: opts.resource,
    expiresAt: claims.exp,
    actor: claims.act ?? null,
    jkt: claims.cnf?.jkt ?? null,
  };
}
