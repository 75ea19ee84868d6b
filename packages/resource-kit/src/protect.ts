import { refusalResponse } from "./refusal.js";
import type { ResourceServer } from "./resource-server.js";
import type { LeashGrant, Need } from "./types.js";

/** The RFC 9728 metadata document as an HTTP answer (public: it names no one). */
export function metadataResponse(rs: ResourceServer): Response {
  return Response.json(rs.metadata(), { headers: { "cache-control": "public, max-age=300" } });
}

export interface ProtectOptions {
  /** What a request needs the token's intent to cover (answered 403 insufficient_scope otherwise). */
  need?: (request: Request) => Need | undefined;
}

/**
 * The framework-free form: a Fetch API handler (Node's `@hono/node-server`, Deno, Bun, workers) that serves the
 * resource's metadata at its well-known path and hands every other request to `handler` with the verified grant,
 * or answers the refusal (401/403 with `WWW-Authenticate`, 503 while revocation cannot be checked).
 */
export function protect(
  rs: ResourceServer,
  handler: (request: Request, grant: LeashGrant) => Response | Promise<Response>,
  options: ProtectOptions = {},
): (request: Request) => Promise<Response> {
  return async function protectedHandler(request) {
    if (new URL(request.url).pathname === rs.metadataPath && request.method === "GET")
      return metadataResponse(rs);
    const outcome = await rs.authenticate(request, options.need?.(request));
    if (!outcome.ok) return refusalResponse(outcome);
    return handler(request, outcome.grant);
  };
}
