import { StaticPrivateKeyJwtProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export interface AgentOptions {
  /** The MCP server's URL: the client discovers the rest (RFC 9728, then RFC 8414). */
  mcpUrl: string;
  /** The authorization server the agent expects (Leash's public URL): credentials go nowhere else. */
  leashUrl: string;
  /** The agent's identity (its workload JWT's `sub`): the OAuth client id. */
  clientId: string;
  /** The agent's workload JWT (a SPIFFE JWT-SVID...) with `aud` = Leash's token endpoint: the client assertion. */
  workloadJwt: string;
  /** `task:<id> <action>:<resource>`: the task and the one intent the token is for. */
  scope: string;
}

/**
 * An agent as any MCP client is written: the official SDK's client with its client-credentials provider for
 * private_key_jwt (RFC 7523) fed with the workload JWT. On the first 401 it reads the server's metadata, finds
 * Leash, asks for a token for this server (`resource`, RFC 8707) and retries. No Leash code.
 */
export async function connectAgent(options: AgentOptions) {
  const authProvider = new StaticPrivateKeyJwtProvider({
    clientId: options.clientId,
    jwtBearerAssertion: options.workloadJwt,
    scope: options.scope,
    expectedIssuer: options.leashUrl,
  });
  const transport = new StreamableHTTPClientTransport(new URL(options.mcpUrl), { authProvider });
  const client = new Client({ name: "example-agent", version: "1.0.0" });
  await client.connect(transport);
  return { client, authProvider };
}
