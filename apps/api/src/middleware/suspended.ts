import { type Clock, ensureNotSuspended, type SuspensionCheck } from "@leash/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

/**
 * Every authenticated request of a suspended identity is `403 agent_suspended`, whatever its roles. The check reads
 * the process's view of the suspensions (no Redis read while the view proves itself current): at the process that
 * acknowledged a suspension it holds at once, at the others within the view's staleness bound. Issuance does not
 * rest on it: the store refuses a lease under a task a suspension reached (or registered after one) in its own step.
 */
export function refuseSuspended(deps: {
  suspensions: SuspensionCheck;
  clock: Clock;
}): MiddlewareHandler<ApiEnv> {
  return async function refuseSuspendedMiddleware(c, next) {
    await ensureNotSuspended(deps, [c.get("identity").subject]);
    await next();
  };
}
