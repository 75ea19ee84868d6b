import type { Intent } from "../intent.js";
import type { ProviderName } from "../lease.js";

/**
 * A token for Leash's own `/mcp` carries no intent: each credential its tools ask for is decided when it is asked
 * for, against the task's ceiling and the policies. Its lease records this intent, which no request can carry
 * (`*` is never a canonical request resource), so ceilings, narrowing and re-evaluation can tell it apart.
 */
export const SESSION_INTENT: Readonly<Intent> = Object.freeze({ action: "session", resource: "*" });

/** True for the lease (or issuance request) of a token for `/mcp`: no intent, so no ceiling or policy to check. */
export function isSession(of: { provider: ProviderName; intent: Intent }): boolean {
  return (
    of.provider === "oauth" &&
    of.intent.action === SESSION_INTENT.action &&
    of.intent.resource === SESSION_INTENT.resource
  );
}
