import { resourceProblem } from "@leash/core/resource";
import type { LeashGrant, Need } from "./types.js";

/**
 * Whether the token's intent covers what the request needs: the same action, and the same resource or one under
 * the granted prefix (a granted resource ending in `/`). Both must be canonical resources (the API's grammar): a
 * tool that resolves `docs/../secrets` before using it must not be let through by a prefix check on the raw text.
 */
export function allows(grant: Pick<LeashGrant, "intent">, need: Need): boolean {
  const granted = grant.intent;
  if (!granted || granted.action !== need.action) return false;
  if (resourceProblem(need.resource, "request") || resourceProblem(granted.resource, "request")) return false;
  return granted.resource.endsWith("/")
    ? need.resource.startsWith(granted.resource)
    : need.resource === granted.resource;
}

/** The scope string an `insufficient_scope` challenge names (RFC 6750 §3): `<action>:<resource>`. */
export function scopeOf(need: Need): string {
  return `${need.action}:${need.resource}`;
}
