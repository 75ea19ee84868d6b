import { createRoute, z } from "@hono/zod-openapi";
import {
  GRANT_CLIENT_CREDENTIALS,
  GRANT_TOKEN_EXCHANGE,
  LEASH_INTENT_TYPE,
  oauthEndpoints,
} from "@leash/core";
import { ALLOWED_ALGORITHMS } from "@leash/identity";
import { DPOP_ALGORITHMS } from "@leash/providers";
import type { OAuthRegistrar } from "./oauth.js";

/** RFC 8414 §2 metadata, with what the official MCP SDK clients require (an authorization endpoint, response types). */
function authorizationServerMetadata(publicUrl: string) {
  const e = oauthEndpoints(publicUrl);
  const algorithms = [...ALLOWED_ALGORITHMS];
  return {
    issuer: e.issuer,
    authorization_endpoint: e.authorization,
    token_endpoint: e.token,
    revocation_endpoint: e.revocation,
    introspection_endpoint: e.introspection,
    jwks_uri: e.jwks,
    response_types_supported: ["code"],
    grant_types_supported: [GRANT_TOKEN_EXCHANGE, GRANT_CLIENT_CREDENTIALS],
    token_endpoint_auth_methods_supported: ["private_key_jwt", "none"],
    token_endpoint_auth_signing_alg_values_supported: algorithms,
    revocation_endpoint_auth_methods_supported: ["private_key_jwt"],
    revocation_endpoint_auth_signing_alg_values_supported: algorithms,
    introspection_endpoint_auth_methods_supported: ["private_key_jwt"],
    introspection_endpoint_auth_signing_alg_values_supported: algorithms,
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    authorization_details_types_supported: [LEASH_INTENT_TYPE],
    leash_revoked_tokens_endpoint: e.revocations,
  };
}

const Metadata = z.record(z.string(), z.unknown()).openapi("AuthorizationServerMetadata");

export const registerOAuthMetadata: OAuthRegistrar = (app, ctx) => {
  const metadata = authorizationServerMetadata(ctx.publicUrl);
  const route = createRoute({
    method: "get",
    path: oauthEndpoints(ctx.publicUrl).metadataPath,
    tags: ["oauth"],
    description:
      "RFC 8414 authorization server metadata, every URL under LEASH_PUBLIC_URL (with a path `/p`, served at `/.well-known/oauth-authorization-server/p`).",
    responses: { 200: { description: "Metadata", content: { "application/json": { schema: Metadata } } } },
  });
  app.openapi(route, (c) => c.json(metadata, 200, { "cache-control": "public, max-age=60" }));
};
