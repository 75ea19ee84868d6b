import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { metadataResponse } from "../protect.js";
import { refusalResponse } from "../refusal.js";
import type { ResourceServer } from "../resource-server.js";
import type { LeashGrant } from "../types.js";
import { readBody } from "./body.js";
import { connect } from "./dispatch.js";
import { authInfoOf } from "./grant.js";
import { errorResponse, INTERNAL_ERROR, PARSE_ERROR } from "./jsonrpc.js";
import { handleLegacy } from "./legacy.js";
import { handleModern, isModern } from "./modern.js";

export interface McpHandlerOptions {
  resourceServer: ResourceServer;
  /**
   * A new server for each request (the endpoint is stateless), built with the official SDK; its tools read the
   * verified grant with `leashGrantOf(extra)`, or the factory registers only the tools the grant allows.
   */
  server: (grant: LeashGrant) => McpServer | Promise<McpServer>;
  /** Origins accepted besides the resource's own (browser-based clients); any other Origin is refused 403. */
  allowedOrigins?: readonly string[];
  /** Default 4 MiB, the SDK's own bound. */
  maxBodyBytes?: number;
  /** Failures of the server factory or of a handler, for logs (the client gets a bare internal error). */
  onError?: (error: Error) => void;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * An MCP endpoint (Streamable HTTP) protected by Leash access tokens, as a Fetch API handler: the resource's RFC
 * 9728 metadata at its well-known path; `403` for a request from a foreign `Origin` before anything else (DNS
 * rebinding, MCP transports "Security"); `405` for anything but POST (no GET stream, no session to DELETE);
 * `401`/`403`/`503` from the resource kit; then revision 2026-07-28 per request, or the 2025-11-25 and 2025-06-18
 * revisions after an `initialize`, all without sessions.
 */
export function mcpHandler(options: McpHandlerOptions): (request: Request) => Promise<Response> {
  const rs = options.resourceServer;
  const origins = new Set([new URL(rs.resource).origin, ...(options.allowedOrigins ?? [])]);
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;

  async function serve(request: Request): Promise<Response> {
    const origin = request.headers.get("origin");
    if (origin !== null && !origins.has(origin))
      return errorResponse(403, -32000, "Forbidden: Origin not allowed");
    if (new URL(request.url).pathname === rs.metadataPath && request.method === "GET")
      return metadataResponse(rs);
    if (request.method !== "POST") {
      const refused = errorResponse(405, -32000, "Method not allowed: this endpoint is stateless, POST only");
      refused.headers.set("allow", "POST");
      return refused;
    }
    const outcome = await rs.authenticate(request);
    if (!outcome.ok) return refusalResponse(outcome);
    if (!JSON_TYPE.test(request.headers.get("content-type") ?? ""))
      return errorResponse(415, -32000, "Unsupported Media Type: Content-Type must be application/json");
    const text = await readBody(request, maxBodyBytes);
    if (text === undefined) return errorResponse(413, -32000, "Payload Too Large");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return errorResponse(400, PARSE_ERROR, "Parse error: Invalid JSON");
    }
    const authInfo = authInfoOf(outcome.grant, outcome.token);
    if (isModern(body, request.headers)) {
      const requestInfo = { headers: Object.fromEntries(request.headers), url: new URL(request.url) };
      const open = async () => connect(await options.server(outcome.grant), { authInfo, requestInfo });
      return handleModern(body, request.headers, open);
    }
    return handleLegacy(request, body, await options.server(outcome.grant), authInfo);
  }

  return async function mcpEndpoint(request) {
    try {
      return await serve(request);
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
      return errorResponse(500, INTERNAL_ERROR, "Internal error");
    }
  };
}
