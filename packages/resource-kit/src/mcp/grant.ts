import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { LeashGrant } from "../types.js";

/** The `AuthInfo` the adapter hands the SDK: the standard fields, and the whole grant under `extra.leash`. */
export function authInfoOf(grant: LeashGrant, token: string): AuthInfo {
  return {
    token,
    clientId: grant.clientId,
    scopes: [...grant.scopes],
    expiresAt: grant.expiresAt,
    resource: new URL(grant.resource),
    extra: { leash: grant },
  };
}

/**
 * In a tool (or any request handler) of a server behind `mcpHandler`: the verified agent, task, intent and lease.
 * Throws when the request did not come through the adapter, so a tool never runs unauthenticated by mistake.
 */
export function leashGrantOf(extra: { authInfo?: AuthInfo | undefined }): LeashGrant {
  const grant = extra.authInfo?.extra?.leash;
  if (typeof grant !== "object" || grant === null || typeof (grant as LeashGrant).leaseId !== "string")
    throw new Error("no Leash grant: this handler must be served through the resource kit's mcpHandler");
  return grant as LeashGrant;
}
