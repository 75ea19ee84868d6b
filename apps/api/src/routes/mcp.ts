import { createRoute, z } from "@hono/zod-openapi";
import { InvalidIdentifier, mcpHandler, type ResourceServer } from "@leash/resource-kit";
import type { RouteRegistrar } from "../context.js";
import { leashMcpResource } from "../mcp/resource.js";
import { leashMcpServer } from "../mcp/server.js";
import { rateLimiter } from "../middleware/rate-limit.js";

const ProtectedResourceMetadata = z
  .object({
    resource: z.string(),
    authorization_servers: z.array(z.string()),
    bearer_methods_supported: z.array(z.literal("header")),
  })
  .openapi("ProtectedResourceMetadata");

/** The path depends on LEASH_PUBLIC_URL's (RFC 9728 §3.1: `/.well-known/oauth-protected-resource/<path>/mcp`). */
const metadataRoute = (path: string) =>
  createRoute({
    method: "get",
    path,
    tags: ["mcp"],
    description:
      "RFC 9728 metadata of Leash's MCP endpoint (`/mcp`, Streamable HTTP, JSON-RPC as the MCP specification " +
      "describes it): the resource identifier tokens must carry as `aud`, and Leash as its authorization server.",
    responses: {
      200: {
        description: "Protected Resource Metadata",
        content: { "application/json": { schema: ProtectedResourceMetadata } },
      },
    },
  });

/**
 * `/mcp`: Leash as an MCP server (Streamable HTTP, stateless), protected by its own access tokens. Only its
 * metadata is in the OpenAPI document: the endpoint speaks JSON-RPC.
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
  app.openapi(metadataRoute(rs.metadataPath), (c) => {
    const { resource, authorization_servers, bearer_methods_supported } = rs.metadata();
    c.header("cache-control", "public, max-age=300");
    return c.json({ resource, authorization_servers, bearer_methods_supported }, 200);
  });
  // Buckets of their own: an agent's /mcp tool calls and its /v1 requests are limited each at the configured rate.
  const admit = rateLimiter(ctx.rateLimit);
  app.all("/mcp", (c) => {
    const requestId = c.get("requestId");
    const handler = mcpHandler({
      resourceServer: rs,
      server: () => leashMcpServer(ctx, { requestId, admit }),
      allowedOrigins: ctx.mcpAllowedOrigins,
      maxBodyBytes: ctx.bodyLimitBytes,
      onError: (error) => ctx.logger.error({ err: error, request_id: requestId }, "/mcp failed"),
    });
    return handler(c.req.raw);
  });
};
