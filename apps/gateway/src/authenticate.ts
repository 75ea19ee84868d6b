import type { IncomingMessage } from "node:http";
import { isLeashError } from "@leash/core";
import type { GatewayGrant } from "@leash/providers";
import type { LiveLeases, TokenVerifier } from "./ports.js";
import { GatewayRefusal } from "./problem.js";

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * The lease's grant from `Authorization: Bearer <gateway token>`, verified for this upstream (a token minted for
 * one upstream is refused under another). A token past its `exp` verified in every other respect (signature
 * first, then claims) belongs to a lease that has ended: `lease_not_live`, as for any other ending.
 */
export async function authenticate(
  req: IncomingMessage,
  upstream: string,
  verifier: TokenVerifier,
): Promise<GatewayGrant> {
  const match = BEARER.exec(req.headers.authorization ?? "");
  if (!match?.[1])
    throw new GatewayRefusal("unauthenticated", "Authorization: Bearer <gateway token> is required");
  try {
    return await verifier.verify(match[1], upstream);
  } catch (error) {
    if (!isLeashError(error) || error.code !== "unauthenticated") throw error;
    if (error.message === "gateway token has expired") {
      throw new GatewayRefusal("lease_not_live", "the lease has ended (its token has expired)");
    }
    throw new GatewayRefusal("unauthenticated", error.message);
  }
}

/** The lease must not have expired by the token's `exp`, nor ended as the live view knows; a stale view fails closed. */
export function checkLive(grant: GatewayGrant, leases: LiveLeases, now: number): void {
  if (grant.expiresAt <= now) throw new GatewayRefusal("lease_not_live", "the lease has ended (expired)");
  const status = leases.status(grant);
  if (status === "ended") throw new GatewayRefusal("lease_not_live", "the lease has ended");
  if (status === "stale") {
    throw new GatewayRefusal(
      "gateway_unavailable",
      "the gateway cannot currently tell which leases have ended",
    );
  }
}
