import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { allows, createResourceServer, leashGrantOf, mcpHandler } from "@leash/resource-kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

/** What the example serves: a few documents, one of them outside any `docs/` intent. */
const DOCUMENTS: Readonly<Record<string, string>> = {
  "docs/readme.md": "# Demo\nThis document was read through an MCP server that trusts Leash's tokens.",
  "docs/runbook.md": "1. Ask Leash for a credential for one intent.\n2. Use it.\n3. Give it back.",
  "secrets/key": "never shown: no docs/ intent covers it",
};

export interface DocsServerOptions {
  /** Leash's public URL (its issuer): the server reads its metadata, keys and revocation feed from there. */
  leashUrl: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The server's name in MCP (and in its resource identifier's path, `/<name>/mcp` when set). */
  name?: string;
  onError?: (error: Error) => void;
}

export interface DocsServer {
  /** The MCP endpoint, which is also the resource identifier agents ask Leash tokens for. */
  url: string;
  close(): Promise<void>;
}

/** The MCP server for one request: its tools see the agent, task and intent Leash's token grants. */
function docsMcpServer(name: string): McpServer {
  const server = new McpServer({ name, version: "1.0.0" });
  server.registerTool(
    "read_doc",
    {
      description: "Read one document by path (docs/...). Your token's intent must cover read on it.",
      inputSchema: { path: z.string().min(1).max(256) },
      annotations: { readOnlyHint: true },
    },
    async ({ path }, extra) => {
      const grant = leashGrantOf(extra);
      if (!allows(grant, { action: "read", resource: path }))
        return {
          isError: true,
          content: [{ type: "text", text: `outside your intent: needs read:${path}` }],
        };
      const text = DOCUMENTS[path];
      if (text === undefined)
        return { isError: true, content: [{ type: "text", text: `no document ${path}` }] };
      return { content: [{ type: "text", text }] };
    },
  );
  server.registerTool(
    "whoami",
    { description: "Who Leash says is calling: agent, task, intent.", annotations: { readOnlyHint: true } },
    async (extra) => {
      const { agent, taskId, intent, leaseId } = leashGrantOf(extra);
      const seen = { agent, task_id: taskId, intent, lease_id: leaseId };
      return { content: [{ type: "text", text: JSON.stringify(seen) }], structuredContent: seen };
    },
  );
  return server;
}

/**
 * An MCP server (Streamable HTTP, the official SDK) protected by Leash with the resource kit: the kit serves its
 * RFC 9728 metadata, verifies Leash access tokens locally, follows Leash's revocation feed and hands each tool
 * the verified grant. Nothing in it calls Leash per request.
 */
export async function startDocsServer(options: DocsServerOptions): Promise<DocsServer> {
  const name = options.name ?? "docs";
  const host = options.host ?? "127.0.0.1";
  let handler: ((request: Request) => Promise<Response>) | undefined;
  const server = serve({
    fetch: (request) => (handler ? handler(request) : new Response("starting", { status: 503 })),
    port: options.port ?? 0,
    hostname: host,
  });
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => resolve(server.address() as AddressInfo));
  });
  const url = `http://${host}:${address.port}${options.name ? `/${name}` : ""}/mcp`;
  const resourceServer = createResourceServer({
    resource: url,
    issuer: options.leashUrl,
    metadata: { resource_name: `${name} (example MCP server)` },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const close = () =>
    new Promise<void>((resolve) => {
      resourceServer.close();
      server.close(() => resolve());
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
  try {
    await resourceServer.start(AbortSignal.timeout(10_000));
  } catch (error) {
    await close();
    throw error;
  }
  handler = mcpHandler({ resourceServer, server: () => docsMcpServer(name), onError: options.onError });
  return { url, close };
}
