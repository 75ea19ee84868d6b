import { type IdentityVerifier, LeashError, type Role } from "@leash/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

/** Verifies the workload JWT in `Authorization: Bearer`; failures are 401 problems that say why. */
export function identity(
  verifier: IdentityVerifier,
  onFailure?: (reason: string) => void,
): MiddlewareHandler<ApiEnv> {
  return async function identityMiddleware(c, next) {
    const header = c.req.header("authorization");
    if (!header) throw new LeashError("unauthenticated", "missing Authorization: Bearer <workload JWT>");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new LeashError("unauthenticated", "Authorization must be 'Bearer <workload JWT>'");
    try {
      c.set("identity", await verifier.verify(match[1]));
    } catch (error) {
      if (error instanceof LeashError) onFailure?.(error.message);
      throw error;
    }
    await next();
  };
}

/** 403 unless the verified identity holds one of the roles. */
export function requireRole(...roles: Role[]): MiddlewareHandler<ApiEnv> {
  if (roles.length === 0) throw new Error("requireRole needs at least one role");
  return async function requireRoleMiddleware(c, next) {
    const caller = c.get("identity");
    if (!roles.some((r) => caller.roles.has(r))) {
      throw new LeashError("forbidden", `this operation needs the ${roles.join(" or ")} role`);
    }
    await next();
  };
}
