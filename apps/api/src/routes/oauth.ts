import type { OpenAPIHono } from "@hono/zod-openapi";
import type { GrantDeps } from "@leash/core";
import type { ApiContext, RouteRegistrar } from "../context.js";
import type { ApiEnv } from "../env.js";
import { cappedBody } from "../middleware/body.js";
import { oauthErrors, oauthFallback } from "../oauth/errors.js";
import { grantDepsOf } from "../oauth/grant-deps.js";
import { registerOAuthAuthorize } from "./oauth.authorize.js";
import { registerOAuthIntrospect } from "./oauth.introspect.js";
import { registerOAuthMetadata } from "./oauth.metadata.js";
import { registerOAuthRevocations } from "./oauth.revocations.js";
import { registerOAuthRevoke } from "./oauth.revoke.js";
import { registerOAuthToken } from "./oauth.token.js";

export type OAuthRegistrar = (app: OpenAPIHono<ApiEnv>, ctx: ApiContext, deps: GrantDeps) => void;

/**
 * The authorization server (RFC 8414 metadata, token, revocation, introspection, the revocation feed): outside /v1,
 * so neither its identity middleware nor problem+json apply; errors are RFC 6749 JSON, bodies capped as for /v1.
 */
export const registerOAuth: RouteRegistrar = (app, ctx) => {
  app.use("/oauth/*", oauthErrors());
  app.use("/oauth/*", cappedBody(ctx.bodyLimitBytes));
  const deps = grantDepsOf(ctx);
  for (const register of [
    registerOAuthMetadata,
    registerOAuthAuthorize,
    registerOAuthToken,
    registerOAuthRevoke,
    registerOAuthIntrospect,
    registerOAuthRevocations,
  ])
    register(app, ctx, deps);
  app.all(
    "/oauth/*",
    oauthFallback({
      "/oauth/token": ["POST"],
      "/oauth/revoke": ["POST"],
      "/oauth/introspect": ["POST"],
      "/oauth/revocations": ["GET"],
      "/oauth/authorize": ["GET", "POST"],
    }),
  );
};
