import { type ResourceRule, resourceProblem } from "@leash/core/resource";
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
import { createLeashClient } from "./client.js";
import type { FetchLike, TokenSource } from "./transport.js";

export interface TokenVerifierOptions {
  /** `<api>/.well-known/jwks.json` */
  jwksUrl: string;
  /** The API's public URL: the `iss` of its task tokens. */
  issuer: string;
  /** This tool's name (the intent's `tool`, else its resource): checked against `aud` when given. */
  audience?: string;
  /** Also ask the API whether the lease is still live (revocation is otherwise only seen at `exp`). */
  introspect?: { baseUrl: string; token: TokenSource };
  fetch?: FetchLike;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 5. */
  clockToleranceSeconds?: number;
}

const Options = z.object({
  jwksUrl: z.url({ protocol: /^https?$/ }),
  issuer: z.string().min(1),
  audience: z.string().min(1).optional(),
  introspect: z.object({ baseUrl: z.url({ protocol: /^https?$/ }), token: z.unknown() }).optional(),
  clockToleranceSeconds: z.number().min(0).max(300).default(5),
});

interface Actor {
  sub: string;
  act?: Actor | undefined;
}
const Actor: z.ZodType<Actor> = z.lazy(() => z.object({ sub: z.string(), act: Actor.optional() }));

/** The claims of a Leash task token (`jti` is the lease id; `act` the delegation chain, RFC 8693 §4.1). */
export const TaskTokenClaims = z.looseObject({
  iss: z.string(),
  sub: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  jti: z.string(),
  exp: z.number(),
  iat: z.number().optional(),
  nbf: z.number().optional(),
  scope: z.string(),
  task_id: z.string(),
  sensitivity: z.string().optional(),
  destination: z.string().optional(),
  act: Actor.optional(),
});
export type TaskTokenClaims = z.infer<typeof TaskTokenClaims>;

/**
 * `outside_scope`: the token is valid but does not allow what the tool was asked; `invalid_resource`: the
 * resource the tool was asked for is not canonical (answer 400), whatever the token.
 */
export type InactiveReason =
  | "invalid"
  | "expired"
  | "wrong_audience"
  | "revoked"
  | "outside_scope"
  | "invalid_resource";

/** What a tool is about to do, with the resource exactly as it will use it (never normalised first). */
export interface ScopeRequest {
  action: string;
  resource: string;
}

export type ScopeCheck =
  | { allowed: true }
  | { allowed: false; reason: "outside_scope" }
  | { allowed: false; reason: "invalid_resource"; rule: ResourceRule; message: string };

/**
 * Whether a task token's `scope` (`<action>:<resource>`) allows `request`, with the grammar the API enforces:
 * the requested resource must be canonical (so no normalisation by the tool can move it), and is then allowed
 * when it equals the granted resource, or starts with it when that ends in `/` (a prefix). A granted resource
 * that is not canonical allows nothing.
 */
export function scopeAllows(claims: Pick<TaskTokenClaims, "scope">, request: ScopeRequest): ScopeCheck {
  const problem = resourceProblem(request.resource, "request");
  if (problem)
    return { allowed: false, reason: "invalid_resource", rule: problem.rule, message: problem.message };
  const head = `${request.action}:`;
  if (!claims.scope.startsWith(head)) return { allowed: false, reason: "outside_scope" };
  const granted = claims.scope.slice(head.length);
  if (resourceProblem(granted, "request")) return { allowed: false, reason: "outside_scope" };
  const allowed = granted.endsWith("/") ? request.resource.startsWith(granted) : request.resource === granted;
  return allowed ? { allowed: true } : { allowed: false, reason: "outside_scope" };
}

export type TokenVerification =
  | { active: true; claims: TaskTokenClaims }
  | { active: false; claims: TaskTokenClaims | null; reason: InactiveReason };

export interface TokenVerifier {
  /**
   * `active: false` for a token that must be refused (bad signature, expired, another audience, revoked) and,
   * given `request`, for one whose scope does not allow it (see scopeAllows). Throws when the answer cannot be
   * known (keys or introspection unreachable): the caller must then refuse as well.
   */
  verify(token: string, request?: ScopeRequest): Promise<TokenVerification>;
}

/** Token problems end in `active: false`; everything else (a JWKS that cannot be fetched) is thrown. */
function inactiveReason(error: unknown): InactiveReason | undefined {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed)
    return error.claim === "aud" ? "wrong_audience" : "invalid";
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  )
    return "invalid";
  return undefined;
}

/** For tools and resource servers: verifies Leash task tokens (ES256) and, optionally, that they are still live. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const o = Options.parse(options);
  const fetchImpl = options.fetch;
  const jwks = createRemoteJWKSet(new URL(o.jwksUrl), fetchImpl ? { [customFetch]: fetchImpl } : {});
  const introspector = options.introspect
    ? createLeashClient({
        baseUrl: options.introspect.baseUrl,
        token: options.introspect.token,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      })
    : undefined;

  return {
    async verify(token, request) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: o.issuer,
          ...(o.audience ? { audience: o.audience } : {}),
          algorithms: ["ES256"],
          typ: "at+jwt",
          requiredClaims: ["jti", "sub", "exp"],
          clockTolerance: o.clockToleranceSeconds,
        }));
      } catch (error) {
        const reason = inactiveReason(error);
        if (reason) return { active: false, claims: null, reason };
        throw error;
      }
      const parsed = TaskTokenClaims.safeParse(payload);
      if (!parsed.success) return { active: false, claims: null, reason: "invalid" };
      const claims = parsed.data;
      if (request) {
        const check = scopeAllows(claims, request);
        if (!check.allowed) return { active: false, claims, reason: check.reason };
      }
      if (introspector) {
        const state = await introspector.introspect(token);
        if (!state.active || state.jti !== claims.jti) return { active: false, claims, reason: "revoked" };
      }
      return { active: true, claims };
    },
  };
}
