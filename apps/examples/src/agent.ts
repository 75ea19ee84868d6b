import { StaticPrivateKeyJwtProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** An RFC 9396 authorization detail; Leash reads the one of type `leash_intent`. */
type AuthorizationDetail = { type: string } & Record<string, unknown>;

export interface AgentOptions {
  /** The MCP server's URL: the client discovers the rest (RFC 9728, then RFC 8414). */
  mcpUrl: string;
  /** The authorization server the agent expects (Leash's public URL): credentials go nowhere else. */
  leashUrl: string;
  /** The agent's identity (its workload JWT's `sub`): the OAuth client id. */
  clientId: string;
  /** The agent's workload JWT (a SPIFFE JWT-SVID...) with `aud` = Leash's token endpoint: the client assertion. */
  workloadJwt: string;
  /** What the token is for: `task:<id> <action>:<resource>` (policies then see the intent as restricted)... */
  scope?: string;
  /** ...or the intent in full (RFC 9396), e.g. with its sensitivity, for policies that look at it. */
  authorizationDetails?: AuthorizationDetail[];
}

/** The SDK's private_key_jwt client-credentials provider, adding RFC 9396 details to its token request. */
class DetailedRequestProvider extends StaticPrivateKeyJwtProvider {
  constructor(
    options: ConstructorParameters<typeof StaticPrivateKeyJwtProvider>[0] & { expectedIssuer: string },
    private readonly details: AuthorizationDetail[],
  ) {
    super(options);
  }

  override prepareTokenRequest(scope?: string): URLSearchParams {
    const params = super.prepareTokenRequest(scope);
    params.set("authorization_details", JSON.stringify(this.details));
    return params;
  }
}

/**
 * An agent as any MCP client is written: the official SDK's client with its client-credentials provider for
 * private_key_jwt (RFC 7523) fed with the workload JWT. On the first 401 it reads the server's metadata, finds
 * Leash, asks for a token for this server (`resource`, RFC 8707) and retries. Nothing Leash-specific: the intent
 * travels as a standard `scope` or `authorization_details`.
 */
export async function connectAgent(options: AgentOptions) {
  const providerOptions = {
    clientId: options.clientId,
    jwtBearerAssertion: options.workloadJwt,
    expectedIssuer: options.leashUrl,
    ...(options.scope ? { scope: options.scope } : {}),
  };
  const authProvider = options.authorizationDetails
    ? new DetailedRequestProvider(providerOptions, options.authorizationDetails)
    : new StaticPrivateKeyJwtProvider(providerOptions);
  const transport = new StreamableHTTPClientTransport(new URL(options.mcpUrl), { authProvider });
  const client = new Client({ name: "example-agent", version: "1.0.0" });
  await client.connect(transport);
  return { client, authProvider };
}
