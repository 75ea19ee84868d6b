import { ORCHESTRATOR } from "../../support/stack.js";

/** The trust domain of the second trusted issuer the attack suite starts next to the stack's dev issuer. */
export const PARTNER_DOMAIN = "spiffe://partner.example";

/** The stack's roles (as `devTrustConfig` maps them), widened with extra subject patterns per role. */
export function rolesWith(extra: { orchestrator?: string[]; security?: string[]; agent?: string[] } = {}) {
  return {
    orchestrator: [ORCHESTRATOR, ...(extra.orchestrator ?? [])],
    security: ["spiffe://dev.local/security/", ...(extra.security ?? [])],
    agent: ["spiffe://dev.local/agent/", ...(extra.agent ?? [])],
  };
}
