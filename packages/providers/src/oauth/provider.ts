import {
  type CredentialProvider,
  isSession,
  LeashError,
  type MintedCredential,
  type MintRequest,
  type OAuthRevocation,
  type OAuthRevocationFeed,
  type RevokeRequest,
  resourceIndicatorProblem,
} from "@leash/core";
import type { SigningKeyFile } from "../leash-jwt/keys.js";
import { scopeOf } from "../leash-jwt/provider.js";
import { signAccessToken } from "./access-token.js";

export interface OAuthProviderOptions {
  /** LEASH_PUBLIC_URL: the tokens' `iss`; `<it>/mcp` is Leash's own MCP endpoint. */
  issuer: string;
  keys: SigningKeyFile;
  /** Where ended tokens are recorded for resource servers (the store's `oauthRevocations`). */
  revocations: OAuthRevocationFeed;
  maxTtlSeconds: number;
}

/**
 * OAuth access tokens (`POST /oauth/token`): signatures over a lease, like task tokens, so a replay signs again and
 * nothing exists outside Leash. Ending one records it in the feed resource servers follow, and `/oauth/introspect`
 * reads the lease's state; resource servers that verify locally rely on that feed and the short `exp`.
 */
export function createOAuthProvider(opts: OAuthProviderOptions): CredentialProvider {
  const mcpResource = `${opts.issuer}/mcp`;

  function entryOf(request: RevokeRequest): OAuthRevocation {
    const expiresAt = request.providerExpiresAt ?? request.issuedAt + opts.maxTtlSeconds * 1000;
    // The token's own `exp` (whole seconds, as signed).
    return { jti: request.leaseId, aud: request.target ?? "", exp: Math.floor(expiresAt / 1000) };
  }

  async function record(request: RevokeRequest, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await opts.revocations.record([entryOf(request)]).catch((cause: unknown) => {
      throw new LeashError("provider_unavailable", "oauth: the revocation could not be recorded", {
        retry: true,
        cause,
      });
    });
  }

  return {
    name: "oauth",
    remintable: true,
    mintsInProcess: true,
    maxTtlSeconds: () => opts.maxTtlSeconds,
    validate(target, intent) {
      const problem = target === undefined ? "is required" : resourceIndicatorProblem(target);
      if (problem) throw new LeashError("unknown_target", `oauth: the resource ${problem}`);
      if (isSession({ provider: "oauth", intent }) && target !== mcpResource)
        throw new LeashError("provider_rejected", "oauth: only a token for Leash's /mcp may carry no intent");
    },
    async mint(request: MintRequest, signal: AbortSignal): Promise<MintedCredential> {
      signal.throwIfAborted();
      const token = await signAccessToken(opts.keys, opts.issuer, request);
      const session = isSession({ provider: "oauth", intent: request.intent });
      return {
        credential: { token, token_type: request.confirmation ? "DPoP" : "Bearer" },
        handle: {},
        providerExpiresAt: request.expiresAt,
        scope: [session ? "mcp" : scopeOf(request.intent)],
      };
    },
    async revoke(request, signal) {
      await record(request, signal);
      return {};
    },
    async reclaim(request, signal) {
      await record(request, signal);
    },
  };
}
