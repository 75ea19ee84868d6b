import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { errorResponse, UNSUPPORTED_PROTOCOL_VERSION } from "./jsonrpc.js";
import { LEGACY_VERSIONS, SUPPORTED_VERSIONS } from "./versions.js";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * An `initialize` asking for a revision this endpoint does not serve is answered with the newest it serves, as
 * version negotiation says (the client then continues or disconnects); the SDK would agree to older ones.
 */
function negotiated(body: unknown): unknown {
  if (!isRecord(body) || body.method !== "initialize" || !isRecord(body.params)) return body;
  const requested = body.params.protocolVersion;
  if (typeof requested === "string" && LEGACY_VERSIONS.includes(requested)) return body;
  return { ...body, params: { ...body.params, protocolVersion: LEGACY_VERSIONS[0] } };
}

/**
 * One request of the `initialize`-based revisions (2025-11-25, 2025-06-18) through the SDK's own Streamable HTTP
 * transport in stateless mode: a fresh transport and server per request, no `Mcp-Session-Id`, JSON answers.
 */
export async function handleLegacy(
  request: Request,
  body: unknown,
  server: McpServer,
  authInfo: AuthInfo,
): Promise<Response> {
  const version = request.headers.get("mcp-protocol-version");
  if (version !== null && !LEGACY_VERSIONS.includes(version))
    return errorResponse(400, UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", null, {
      supported: SUPPORTED_VERSIONS,
      requested: version,
    });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { parsedBody: negotiated(body), authInfo });
  } finally {
    await server.close();
  }
}
