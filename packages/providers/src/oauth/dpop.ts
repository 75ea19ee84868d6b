import { type Clock, type DpopReplayCache, OAuthError } from "@leash/core";
import { calculateJwkThumbprint, EmbeddedJWK, errors, type JWK, jwtVerify } from "jose";

/** Asymmetric algorithms only (RFC 9449 §4.3): never `none`, never HMAC. Advertised in the AS metadata. */
export const DPOP_ALGORITHMS = ["ES256", "ES384", "EdDSA", "RS256", "PS256"] as const;
/** A proof is accepted this long after its `iat` (RFC 9449 §11.1), and this far ahead of the server's clock. */
export const DPOP_MAX_AGE_SECONDS = 60;
export const DPOP_CLOCK_SKEW_SECONDS = 5;
const MAX_PROOF_LENGTH = 8192;

export interface DpopCheck {
  /** The request's method and its URL as the client addressed it (from LEASH_PUBLIC_URL, never from Host). */
  method: string;
  url: string;
}

export interface DpopDeps {
  replay: DpopReplayCache;
  clock: Clock;
}

/** Scheme, host and path (RFC 9449 §4.3: query and fragment are ignored; the URL parser normalises case and port). */
function comparable(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return null;
  }
}

const refused = (why: string) => new OAuthError("invalid_dpop_proof", `DPoP proof ${why}`);

function reasonOf(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  // Before JWTClaimValidationFailed, which it extends: a proof older than the window is not fresh.
  if (error instanceof errors.JWTExpired)
    return refused(error.claim === "iat" ? "is not fresh (iat)" : "has expired");
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refused("must be signed with an asymmetric algorithm");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "typ") return refused("must have typ dpop+jwt");
    if (error.claim === "iat") return refused("is not fresh (iat)");
    return refused(`lacks a valid ${error.claim} claim`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return refused("signature verification failed");
  return refused("is malformed (a JWS with a public jwk header is expected)");
}

/** A proof that passed every check but the replay one, which `spend` makes (once the sender is known). */
export interface CheckedDpopProof {
  /** The SHA-256 thumbprint of the proof's key (`cnf.jkt`). */
  jkt: string;
  /** Records the proof's `jti` for its key until its window ends; refuses it when it was recorded before. */
  spend(): Promise<void>;
}

/**
 * RFC 9449 §4.3 checks of a DPoP proof at the token endpoint, the JWS by jose: `typ` dpop+jwt, an asymmetric
 * algorithm, the signature under the public key of the `jwk` header, `htm` and `htu` of this request, `iat` within
 * the acceptance window; then `spend` refuses a `jti` seen before from that key. Checking writes nothing, so the
 * token endpoint spends a proof only for a caller that has authenticated.
 */
export async function checkDpopProof(
  deps: DpopDeps,
  proof: string,
  check: DpopCheck,
): Promise<CheckedDpopProof> {
  if (proof.length === 0 || proof.length > MAX_PROOF_LENGTH) throw refused("is empty or too long");
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: [...DPOP_ALGORITHMS],
      requiredClaims: ["jti", "htm", "htu", "iat"],
      maxTokenAge: DPOP_MAX_AGE_SECONDS,
      clockTolerance: DPOP_CLOCK_SKEW_SECONDS,
      currentDate: new Date(deps.clock.now()),
    });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch (error) {
    throw reasonOf(error);
  }
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256)
    throw refused("lacks a valid jti claim");
  if (htm !== check.method) throw refused("is for another method (htm)");
  if (typeof htu !== "string" || comparable(htu) === null || comparable(htu) !== comparable(check.url))
    throw refused("is for another URL (htu)");
  const jkt = await calculateJwkThumbprint(jwk, "sha256");
  const until = ((iat as number) + DPOP_MAX_AGE_SECONDS + DPOP_CLOCK_SKEW_SECONDS + 1) * 1000;
  return {
    jkt,
    async spend() {
      if (!(await deps.replay.firstUse(`${jkt}\n${jti}`, until))) throw refused("was used before (jti)");
    },
  };
}
