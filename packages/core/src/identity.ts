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
}

export interface IdentityVerifier {
  /** Resolves with the identity, or throws LeashError("unauthenticated") saying why, never echoing the token. */
  verify(token: string): Promise<WorkloadIdentity>;
}
