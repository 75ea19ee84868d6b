import { leashGrantOf } from "@leash/resource-kit";
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

/** Per request: its id (in problems) and the per-identity rate limit (`LEASH_RATE_LIMIT_*`, as on /v1). */
export interface McpRequest {
  requestId: string | undefined;
  admit(agent: string): void;
}

/** Leash's own MCP server, built for one request (the endpoint is stateless). */
export function leashMcpServer(ctx: ApiContext, request: McpRequest): McpServer {
  const server = new McpServer({ name: "leash", version: "1.0.0" }, { instructions: INSTRUCTIONS });
  const { requestId } = request;
  /** Every tool call counts against the agent's bucket; a refusal is a 429 problem like any other. */
  const run = (extra: Parameters<typeof leashGrantOf>[0], tool: () => Promise<Record<string, unknown>>) =>
    runTool(ctx, requestId, () => {
      request.admit(leashGrantOf(extra).agent);
      return tool();
    });
  server.registerTool(
    "request_credential",
    {
      title: "Request a credential",
      description:
        "Ask for a credential for one intent of your task: returns the lease (with the credential, or a base_url " +
        "through Leash's gateway), or a pending approval.",
      inputSchema: requestCredentialInput,
    },
    (args, extra) => run(extra, () => requestCredential(ctx, args, extra)),
  );
  server.registerTool(
    "list_leases",
    {
      title: "List your leases",
      description: "Your leases of a task (by default the token's task), never their secrets.",
      inputSchema: listLeasesInput,
      annotations: { readOnlyHint: true },
    },
    (args, extra) => run(extra, () => listLeases(ctx, args, extra)),
  );
  server.registerTool(
    "return_credential",
    {
      title: "Return a credential",
      description: "End one of your leases now: its credential stops working.",
      inputSchema: returnCredentialInput,
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    (args, extra) => run(extra, () => returnCredential(ctx, args, extra)),
  );
  return server;
}
