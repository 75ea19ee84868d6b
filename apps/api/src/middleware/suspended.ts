import { type Clock, ensureNotSuspended, type SuspensionStore } from "@leash/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

/**
 * Every authenticated request of a suspended identity is `403 agent_suspended`, whatever its roles: one read of the
 * suspensions per request, so a suspension acknowledged by any API process holds at every other at once.
 */
export function refuseSuspended(deps: {
  suspensions: SuspensionStore;
  clock: Clock;
}): MiddlewareHandler<ApiEnv> {
  return async function refuseSuspendedMiddleware(c, next) {
    await ensureNotSuspended(deps, [c.get("identity").subject]);
    await next();
  };
}
