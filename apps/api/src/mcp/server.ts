import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ApiContext } from "../context.js";
import { runTool } from "./result.js";
import {
  listLeases,
  listLeasesInput,
  requestCredential,
  requestCredentialInput,
  returnCredential,
  returnCredentialInput,
} from "./tools.js";

const INSTRUCTIONS =
  "Leash issues short-lived credentials for one intent of your task. Ask with request_credential for exactly " +
  "what the next step needs; a refusal comes back as a problem (type, detail, reasons) to act on. Return " +
  "credentials you no longer need with return_credential.";

/** Leash's own MCP server, built for one request (the endpoint is stateless). */
export function leashMcpServer(ctx: ApiContext, requestId: string | undefined): McpServer {
  const server = new McpServer({ name: "leash", version: "1.0.0" }, { instructions: INSTRUCTIONS });
  server.registerTool(
    "request_credential",
    {
      title: "Request a credential",
      description:
        "Ask for a credential for one intent of your task: returns the lease (with the credential, or a base_url " +
        "through Leash's gateway), or a pending approval.",
      inputSchema: requestCredentialInput,
    },
    (args, extra) => runTool(ctx, requestId, () => requestCredential(ctx, args, extra)),
  );
  server.registerTool(
    "list_leases",
    {
      title: "List your leases",
      description: "Your leases of a task (by default the token's task), never their secrets.",
      inputSchema: listLeasesInput,
      annotations: { readOnlyHint: true },
    },
    (args, extra) => runTool(ctx, requestId, () => listLeases(ctx, args, extra)),
  );
  server.registerTool(
    "return_credential",
    {
      title: "Return a credential",
      description: "End one of your leases now: its credential stops working.",
      inputSchema: returnCredentialInput,
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    (args, extra) => runTool(ctx, requestId, () => returnCredential(ctx, args, extra)),
  );
  return server;
}
