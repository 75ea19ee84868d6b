/** Where Leash's OAuth endpoints are, as clients address them: every URL from LEASH_PUBLIC_URL, never from `Host`. */
export interface OAuthEndpoints {
  /** LEASH_PUBLIC_URL without a trailing `/`: the `iss` of access tokens and the metadata's `issuer`. */
  issuer: string;
  authorization: string;
  token: string;
  revocation: string;
  introspection: string;
  /** The feed of ended access tokens resource servers follow. */
  revocations: string;
  jwks: string;
  /** Leash's own MCP endpoint: the resource of a token asked for without intent. */
  mcp: string;
  /** The path this process serves the RFC 8414 metadata at: the well-known prefix, then the issuer's path. */
  metadataPath: string;
}

/**
 * The endpoints under a public URL. A trailing `/` is dropped: RFC 8414 §3.1 puts the well-known segment between
 * host and path, so `https://h/p/` and `https://h/p` would otherwise name two issuers.
 */
export function oauthEndpoints(publicUrl: string): OAuthEndpoints {
  const issuer = publicUrl.replace(/\/+$/, "");
  const path = new URL(issuer).pathname.replace(/\/+$/, "");
  return {
    issuer,
    authorization: `${issuer}/oauth/authorize`,
    token: `${issuer}/oauth/token`,
    revocation: `${issuer}/oauth/revoke`,
    introspection: `${issuer}/oauth/introspect`,
    revocations: `${issuer}/oauth/revocations`,
    jwks: `${issuer}/.well-known/jwks.json`,
    mcp: `${issuer}/mcp`,
    metadataPath: `/.well-known/oauth-authorization-server${path}`,
  };
}
