import { InvalidIdentifier, mcpHandler, metadataResponse, type ResourceServer } from "@leash/resource-kit";
import type { RouteRegistrar } from "../context.js";
import { leashMcpResource } from "../mcp/resource.js";
import { leashMcpServer } from "../mcp/server.js";

/**
 * `/mcp`: Leash as an MCP server (Streamable HTTP, stateless), protected by its own access tokens, with its RFC
 * 9728 metadata at `/.well-known/oauth-protected-resource[/path]/mcp`. Not in the OpenAPI document: it speaks
 * JSON-RPC, described by the MCP specification.
 */
export const registerMcp: RouteRegistrar = (app, ctx) => {
  let rs: ResourceServer;
  try {
    rs = leashMcpResource(ctx);
  } catch (error) {
    if (!(error instanceof InvalidIdentifier)) throw error;
    // An http LEASH_PUBLIC_URL off loopback cannot be an OAuth resource; the rest of the API still serves.
    ctx.logger.warn({ error: error.message }, "/mcp is disabled: LEASH_PUBLIC_URL must be https");
    return;
  }
  app.get(rs.metadataPath, () => metadataResponse(rs));
  app.all("/mcp", (c) => {
    const requestId = c.get("requestId");
    const handler = mcpHandler({
      resourceServer: rs,
      server: () => leashMcpServer(ctx, requestId),
      allowedOrigins: ctx.mcpAllowedOrigins,
      maxBodyBytes: ctx.bodyLimitBytes,
      onError: (error) => ctx.logger.error({ err: error, request_id: requestId }, "/mcp failed"),
    });
    return handler(c.req.raw);
  });
};
