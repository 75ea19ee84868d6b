import { LeashError } from "@leash/core";
import { errors } from "jose";
import { KeySetUnavailable } from "./key-set.js";

/** What the caller's token claimed, for messages a person can act on. Never the token itself. */
export interface TokenContext {
  issuer: string;
  alg: string;
  kid: string | undefined;
  audience: string;
  keysFrom: "uri" | "file";
}

/** Caller-supplied text in a message: control characters dropped and the length bounded. */
export function shown(value: unknown): string {
  const text = String(value).replace(/\p{Cc}/gu, "?");
  return text.length > 128 ? `${text.slice(0, 128)}…` : text;
}

export function unauthenticated(reason: string): LeashError {
  return new LeashError("unauthenticated", reason, { retry: false });
}

function claimFailure(error: errors.JWTClaimValidationFailed, ctx: TokenContext): string {
  const { claim, reason } = error;
  if (reason === "missing") return `token has no ${claim} claim`;
  if (claim === "nbf" && reason === "check_failed") return "token not yet valid";
  if (claim === "aud" && reason === "check_failed") return `audience must include ${ctx.audience}`;
  if (claim === "iss" && reason === "check_failed") return `issuer ${shown(ctx.issuer)} is not trusted`;
  return `invalid ${claim} claim`;
}

/** Maps a jose (or key set) failure to the LeashError the port promises; unknown failures stay internal. */
export function toLeashError(error: unknown, ctx: TokenContext): LeashError {
  if (error instanceof LeashError) return error;
  if (error instanceof KeySetUnavailable) {
    const what =
      ctx.keysFrom === "uri"
        ? `could not fetch keys of issuer ${shown(ctx.issuer)}`
        : `could not read keys of issuer ${shown(ctx.issuer)} from its jwks_file`;
    return new LeashError("unauthenticated", what, { retry: true, cause: error });
  }
  if (error instanceof errors.JWTExpired) return unauthenticated("token expired");
  if (error instanceof errors.JWTClaimValidationFailed) return unauthenticated(claimFailure(error, ctx));
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthenticated(`algorithm ${shown(ctx.alg)} is not allowed for issuer ${shown(ctx.issuer)}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthenticated("signature verification failed");
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated(
      ctx.kid === undefined
        ? `no ${shown(ctx.alg)} key at issuer ${shown(ctx.issuer)} (the token has no kid)`
        : `no key with kid ${shown(ctx.kid)} at issuer ${shown(ctx.issuer)}`,
    );
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return unauthenticated("malformed token");
  }
  return new LeashError("internal", "identity verification failed unexpectedly", { cause: error });
}
