import type { Context, Handler, MiddlewareHandler } from "hono";
import { metadataResponse } from "./protect.js";
import { refusalResponse } from "./refusal.js";
import type { ResourceServer } from "./resource-server.js";
import type { LeashGrant, Need } from "./types.js";

/** Hono variables set by `leashAuth`: `c.get("leash")` in handlers. */
export interface LeashVariables {
  leash: LeashGrant;
}

export interface LeashAuthOptions {
  /** What the route needs the token's intent to cover (answered 403 insufficient_scope otherwise). */
  need?: (c: Context) => Need | undefined;
}

/** Refuses requests without a valid, live Leash access token for this resource; sets `c.var.leash`. */
export function leashAuth(
  rs: ResourceServer,
  options: LeashAuthOptions = {},
): MiddlewareHandler<{ Variables: LeashVariables }> {
  return async function leashAuthMiddleware(c, next) {
    const outcome = await rs.authenticate(c.req.raw, options.need?.(c));
    if (!outcome.ok) return refusalResponse(outcome);
    c.set("leash", outcome.grant);
    await next();
  };
}

/** `app.get(rs.metadataPath, protectedResourceMetadata(rs))`: the RFC 9728 document. */
export function protectedResourceMetadata(rs: ResourceServer): Handler {
  return function protectedResourceMetadataHandler() {
    return metadataResponse(rs);
  };
}
