import { z } from "zod";

/**
 * Asymmetric JWS algorithms only. HS* is excluded because an HMAC "verified" with a public key lets anyone who
 * has the public key forge tokens; `none` is excluded because it is no signature at all.
 */
export const ALLOWED_ALGORITHMS = ["ES256", "ES384", "RS256", "PS256", "EdDSA"] as const;

export const Algorithm = z.enum(ALLOWED_ALGORITHMS);
export type Algorithm = z.infer<typeof Algorithm>;
