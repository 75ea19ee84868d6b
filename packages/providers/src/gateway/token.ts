import { type Clock, type Intent, LeashError, systemClock } from "@leash/core";
import { createLocalJWKSet, errors, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { SigningKeyFile } from "../leash-jwt/keys.js";
import { UPSTREAM_NAME } from "./config.js";

/** The `typ` of gateway tokens: a task token (at+jwt) or an audit checkpoint never passes for one, nor the reverse. */
export const GATEWAY_TOKEN_TYP = "leash-gw+jwt";

/** Where an agent sends a gateway lease's requests; also the token's `aud`, so it is valid under that upstream only. */
export function gatewayBaseUrl(publicUrl: string, upstream: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/u/${upstream}/`;
}

/** What a verified gateway token grants. Times are epoch ms. */
export interface GatewayGrant {
  leaseId: string;
  taskId: string;
  agent: string;
  upstream: string;
  action: string;
  resource: string;
  methods: readonly string[];
  /** The lease's write-ahead instant, which whole-upstream cuts compare (exact to the millisecond). */
  issuedAt: number;
  expiresAt: number;
}

export interface GatewayTokenClaims {
  issuer: string;
  publicUrl: string;
  leaseId: string;
  taskId: string;
  agent: string;
  upstream: string;
  intent: Pick<Intent, "action" | "resource">;
  methods: readonly string[];
  issuedAt: number;
  expiresAt: number;
}

/** `iat` has whole seconds; this private claim carries the lease's issue instant to the millisecond. */
const ISSUED_AT_MS = "lease_issued_at";

export async function signGatewayToken(keys: SigningKeyFile, c: GatewayTokenClaims): Promise<string> {
  const { kid, privateKey } = await keys.current();
  const issuedAt = Math.floor(c.issuedAt / 1000);
  return new SignJWT({
    task_id: c.taskId,
    upstream: c.upstream,
    intent: { action: c.intent.action, resource: c.intent.resource },
    methods: [...c.methods],
    [ISSUED_AT_MS]: c.issuedAt,
  })
    .setProtectedHeader({ alg: "ES256", kid, typ: GATEWAY_TOKEN_TYP })
    .setIssuer(c.issuer)
    .setSubject(c.agent)
    .setAudience(gatewayBaseUrl(c.publicUrl, c.upstream))
    .setJti(c.leaseId)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(Math.floor(c.expiresAt / 1000))
    .sign(privateKey);
}

export interface GatewayTokenVerifierOptions {
  /** Leash's signing keys (the public halves are used); a `SigningKeyFile` re-reads the file when it changes. */
  keys: Pick<SigningKeyFile, "current">;
  /** `iss` of the tokens: Leash's public URL (LEASH_PUBLIC_URL). */
  issuer: string;
  /** The gateway's public URL (LEASH_GATEWAY_PUBLIC_URL): `aud` is `<it>/u/<upstream>/`. */
  publicUrl: string;
  /** `exp` and `nbf` are checked against this clock (the system clock by default). */
  clock?: Clock;
}

export interface GatewayTokenVerifier {
  /** The grant of a token valid under `upstream` now; throws LeashError `unauthenticated` otherwise. */
  verify(token: string, upstream: string): Promise<GatewayGrant>;
}

const refused = (why: string) => new LeashError("unauthenticated", `gateway token ${why}`);

/** Says why a token failed, never quoting it. */
function reasonOf(error: unknown): LeashError {
  if (error instanceof LeashError) return error;
  if (error instanceof errors.JWTExpired) return refused("has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return refused("is not valid for this upstream");
    if (error.claim === "nbf") return refused("is not valid yet");
    if (error.claim === "typ") return refused("is not a gateway token (typ)");
    return refused(`has a wrong or missing ${error.claim} claim`);
  }
  return refused("is not valid (signature, algorithm or type)");
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((m) => typeof m === "string");

function grantOf(payload: JWTPayload, upstream: string): GatewayGrant {
  const intent = payload.intent as { action?: unknown; resource?: unknown } | undefined;
  const issuedAt = payload[ISSUED_AT_MS];
  const ok =
    typeof payload.jti === "string" &&
    typeof payload.sub === "string" &&
    typeof payload.task_id === "string" &&
    payload.upstream === upstream &&
    typeof intent?.action === "string" &&
    typeof intent.resource === "string" &&
    isStringArray(payload.methods) &&
    typeof issuedAt === "number" &&
    typeof payload.iat === "number" &&
    Math.floor(issuedAt / 1000) === payload.iat &&
    typeof payload.exp === "number";
  if (!ok) throw refused("lacks the claims of a gateway token");
  return {
    leaseId: payload.jti as string,
    taskId: payload.task_id as string,
    agent: payload.sub as string,
    upstream,
    action: intent?.action as string,
    resource: intent?.resource as string,
    methods: payload.methods as string[],
    issuedAt: issuedAt as number,
    expiresAt: (payload.exp as number) * 1000,
  };
}

/**
 * Verifies gateway tokens locally: ES256 under one of Leash's current keys (the key set is imported once per key
 * file version), `typ` leash-gw+jwt, `iss`, `aud` = the `base_url` of the upstream the request is for (a token for
 * one upstream is refused under another), `exp`/`nbf` on the injected clock with no leeway.
 */
export function createGatewayTokenVerifier(opts: GatewayTokenVerifierOptions): GatewayTokenVerifier {
  const clock = opts.clock ?? systemClock;
  let cached: { jwks: { keys: JWK[] }; set: ReturnType<typeof createLocalJWKSet> } | undefined;
  async function keySet() {
    const { jwks } = await opts.keys.current();
    if (cached?.jwks !== jwks) cached = { jwks, set: createLocalJWKSet(jwks) };
    return cached.set;
  }
  return {
    async verify(token, upstream) {
      if (!UPSTREAM_NAME.test(upstream)) throw refused("is not valid for this upstream");
      try {
        const { payload } = await jwtVerify(token, await keySet(), {
          algorithms: ["ES256"],
          typ: GATEWAY_TOKEN_TYP,
          issuer: opts.issuer,
          audience: gatewayBaseUrl(opts.publicUrl, upstream),
          requiredClaims: ["exp", "nbf", "iat", "jti", "sub"],
          currentDate: new Date(clock.now()),
        });
        return grantOf(payload, upstream);
      } catch (error) {
        throw reasonOf(error);
      }
    },
  };
}
