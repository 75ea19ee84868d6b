import { z } from "zod";

export const Role = z.enum(["agent", "orchestrator", "security"]);
export type Role = z.infer<typeof Role>;

/** A caller whose workload JWT has been verified. */
export interface WorkloadIdentity {
  /** The token's `sub`: a SPIFFE ID or an OIDC subject. */
  subject: string;
  issuer: string;
  roles: ReadonlySet<Role>;
  /** Epoch ms of the token's `exp`. */
  expiresAt: number;
  /** Epoch ms of the token's `iat`, when it has one (a client assertion's lifetime is measured from it). */
  issuedAt?: number;
}

export interface VerifyOptions {
  /**
   * Accept a token whose `aud` holds one of these instead of the configured audience (an RFC 7523 client assertion
   * for the token endpoint). A token that also holds the configured audience is refused: a token sent to the API
   * as a bearer token is never good for anything else.
   */
  audience?: readonly string[];
}

export interface IdentityVerifier {
  /** Resolves with the identity, or throws LeashError("unauthenticated") saying why, never echoing the token. */
  verify(token: string, options?: VerifyOptions): Promise<WorkloadIdentity>;
}
