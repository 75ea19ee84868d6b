import {
  type Clock,
  type IdentityVerifier,
  LeashError,
  systemClock,
  type VerifyOptions,
  type WorkloadIdentity,
} from "@leash/core";
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { ALLOWED_ALGORITHMS } from "./algorithms.js";
import type { IssuerConfig, TrustConfig } from "./config.js";
import { shown, type TokenContext, toLeashError, unauthenticated } from "./failures.js";
import { fileKeySet } from "./file-key-set.js";
import { remoteKeySet } from "./remote-key-set.js";
import { rolesFor, spiffeParts, subjectMatches } from "./subjects.js";
import { VerificationCache } from "./verification-cache.js";

export const MAX_TOKEN_BYTES = 8192;
const MAX_CLOCK_TOLERANCE_SECONDS = 30;
const MAX_JWKS_BYTES = 256 * 1024;
/** Kid-less tokens are tried against at most this many keys, so a large bundle cannot multiply the work. */
const MAX_KEY_CANDIDATES = 4;
// Three base64url parts; the signature may be empty so that `alg: none` gets its own message below.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface IdentityVerifierOptions {
  /** Token validity and the verification cache follow this clock (epoch ms). */
  clock?: Clock;
  /** Allowed skew on `exp`, `nbf` and `iat`; 0..30, default 30. */
  clockToleranceSeconds?: number;
  jwksTimeoutMs?: number;
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksFailureBackoffMs?: number;
  jwksFileCheckIntervalMs?: number;
  /** Verified tokens remembered (LRU); 0 disables the cache. */
  cacheSize?: number;
  /** A remembered token is re-verified after this long even before its `exp`, so removed keys take effect. */
  cacheMaxAgeMs?: number;
}

export interface ClosableIdentityVerifier extends IdentityVerifier {
  /** Forgets every remembered token; later calls fail. Idempotent. */
  close(): Promise<void>;
}

interface TrustedIssuer {
  config: IssuerConfig;
  getKey: JWTVerifyGetKey;
}

function keySetFor(config: IssuerConfig, options: IdentityVerifierOptions, clock: Clock): JWTVerifyGetKey {
  if (config.jwks_uri !== undefined) {
    return remoteKeySet(config.jwks_uri, {
      timeoutMs: options.jwksTimeoutMs ?? 5_000,
      cooldownMs: options.jwksCooldownMs ?? 30_000,
      cacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
      failureBackoffMs: options.jwksFailureBackoffMs ?? 2_000,
      maxBytes: MAX_JWKS_BYTES,
    });
  }
  if (config.jwks_file !== undefined) {
    return fileKeySet(config.jwks_file, {
      checkIntervalMs: options.jwksFileCheckIntervalMs ?? 2_000,
      clock,
      maxBytes: MAX_JWKS_BYTES,
    });
  }
  throw new Error(`issuer ${config.issuer} has neither jwks_uri nor jwks_file`);
}

/** jose throws on several matching keys (no `kid`); each is tried, as its documentation suggests. */
async function verifySignature(
  token: string,
  getKey: JWTVerifyGetKey,
  options: Parameters<typeof jwtVerify>[2],
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    let tried = 0;
    for await (const key of error) {
      if (++tried > MAX_KEY_CANDIDATES) break;
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function decodeUnverified(token: string): { alg: unknown; kid: unknown; iss: unknown } {
  try {
    const header = decodeProtectedHeader(token);
    return { alg: header.alg, kid: header.kid, iss: decodeJwt(token).iss };
  } catch {
    throw unauthenticated("malformed token");
  }
}

/**
 * Verifies workload JWTs against the configured issuers. Keys come only from configuration (`jku`, `x5u`, `jwk`
 * and `x5c` headers are never consulted), the issuer is chosen by `iss` and only its keys are tried.
 */
export function createIdentityVerifier(
  trust: TrustConfig,
  options: IdentityVerifierOptions = {},
): ClosableIdentityVerifier {
  const clock = options.clock ?? systemClock;
  const tolerance = options.clockToleranceSeconds ?? MAX_CLOCK_TOLERANCE_SECONDS;
  if (!(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new RangeError(`clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 300_000;
  const cache = new VerificationCache(options.cacheSize ?? 10_000);
  const issuers = new Map<string, TrustedIssuer>(
    trust.issuers.map((config) => [config.issuer, { config, getKey: keySetFor(config, options, clock) }]),
  );
  let closed = false;

  async function verifyUncached(
    token: string,
    now: number,
    audience: readonly string[] | undefined,
  ): Promise<WorkloadIdentity> {
    const { alg, kid, iss } = decodeUnverified(token);
    if (typeof alg !== "string" || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw unauthenticated(`algorithm ${shown(alg)} is not allowed`);
    }
    if (typeof iss !== "string") throw unauthenticated("token has no iss claim");
    const trusted = issuers.get(iss);
    if (trusted === undefined) throw unauthenticated(`issuer ${shown(iss)} is not trusted`);
    const { config } = trusted;
    const ctx: TokenContext = {
      issuer: iss,
      alg,
      kid: typeof kid === "string" ? kid : undefined,
      audience: audience?.join(" or ") ?? trust.audience,
      keysFrom: config.jwks_uri === undefined ? "file" : "uri",
    };

    let payload: JWTPayload;
    try {
      payload = await verifySignature(token, trusted.getKey, {
        algorithms: config.algorithms ?? [...ALLOWED_ALGORITHMS],
        issuer: config.issuer,
        audience: audience ? [...audience] : trust.audience,
        clockTolerance: tolerance,
        currentDate: new Date(now),
        requiredClaims: ["exp", "sub"],
      });
    } catch (error) {
      throw toLeashError(error, ctx);
    }

    const { sub, exp, iat, aud } = payload;
    // A token the API accepts as a bearer token may have been shown to anyone the holder called: never a credential
    // for anything else (RFC 7523 §3: the assertion's audience identifies the authorization server alone).
    if (audience && (aud === trust.audience || (Array.isArray(aud) && aud.includes(trust.audience)))) {
      throw unauthenticated(`audience must not include ${trust.audience} here`);
    }
    if (typeof sub !== "string" || sub === "") throw unauthenticated("token has no sub claim");
    if (typeof exp !== "number") throw unauthenticated("token has no exp claim");
    // jose checks `iat` only together with maxTokenAge; a token minted in the future is refused here.
    if (typeof iat === "number" && iat > Math.floor(now / 1000) + tolerance) {
      throw unauthenticated("token issued in the future (iat)");
    }
    if (sub.startsWith("spiffe://") && spiffeParts(sub) === null) {
      throw unauthenticated(`subject ${shown(sub)} is not a valid SPIFFE ID`);
    }
    const prefixes = config.subject_prefixes;
    if (prefixes !== undefined && !prefixes.some((pattern) => subjectMatches(sub, pattern))) {
      throw unauthenticated(`issuer ${shown(iss)} may not assert subject ${shown(sub)}`);
    }
    return Object.freeze({
      subject: sub,
      issuer: iss,
      roles: rolesFor(sub, trust.roles),
      expiresAt: exp * 1000,
      ...(typeof iat === "number" ? { issuedAt: iat * 1000 } : {}),
    });
  }

  return {
    async verify(token: string, options: VerifyOptions = {}): Promise<WorkloadIdentity> {
      if (closed) throw new LeashError("not_ready", "identity verifier is closed");
      if (typeof token !== "string" || token === "") throw unauthenticated("missing token");
      // Checked before any parsing; the pattern below admits ASCII only, so characters are bytes.
      if (token.length > MAX_TOKEN_BYTES) throw unauthenticated(`token exceeds ${MAX_TOKEN_BYTES} bytes`);
      if (!COMPACT_JWS.test(token)) throw unauthenticated("malformed token");

      const now = clock.now();
      const { audience } = options;
      if (audience?.length === 0) throw new RangeError("audience must name at least one value");
      // The audience checked is part of the key: a token verified for one audience says nothing of another.
      const key = VerificationCache.keyOf(audience ? `${audience.join("\n")}\n\n${token}` : token);
      const cached = cache.get(key, now);
      if (cached !== undefined) return cached;

      const identity = await verifyUncached(token, now, audience);
      const until = Math.min(identity.expiresAt, now + cacheMaxAgeMs);
      if (until > now) cache.set(key, identity, until);
      return identity;
    },
    async close(): Promise<void> {
      closed = true;
      cache.clear();
    },
  };
}
