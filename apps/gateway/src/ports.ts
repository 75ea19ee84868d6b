import type { GatewayRevocation } from "@leash/core";
import type { GatewayGrant } from "@leash/providers";

/** Verifies gateway tokens locally (createGatewayTokenVerifier in @leash/providers). */
export interface TokenVerifier {
  verify(token: string, upstream: string): Promise<GatewayGrant>;
}

/**
 * Which leases have ended, kept current from Redis by subscription (the live lease view of @leash/store): read on
 * every request without a round trip. `stale`: the view has not proved itself current within its bound.
 */
export interface LiveLeases {
  status(grant: { leaseId: string; upstream: string; issuedAt: number }): "live" | "ended" | "stale";
  onRevoked(listener: (entry: GatewayRevocation) => void): () => void;
}
