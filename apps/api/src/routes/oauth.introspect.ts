import { createRoute, z } from "@hono/zod-openapi";
import { OAuthError } from "@leash/core";
import { introspectAccessToken } from "@leash/providers";
import { endpointCaller } from "../oauth/caller.js";
import { NO_STORE, oauthHandler } from "../oauth/errors.js";
import { formPairs, single } from "../oauth/form.js";
import { oauthErrorResponses, TokenParamForm } from "../oauth/schemas.js";
import { bearer } from "../schemas.js";
import type { OAuthRegistrar } from "./oauth.js";

const Introspection = z
  .looseObject({
    active: z.boolean(),
    client_id: z.string().optional(),
    sub: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    token_type: z.enum(["Bearer", "DPoP"]).optional(),
    task_id: z.string().optional(),
  })
  .openapi("AccessTokenIntrospection");

const route = createRoute({
  method: "post",
  path: "/oauth/introspect",
  tags: ["oauth"],
  security: bearer,
  description:
    "RFC 7662 for access tokens, by any trusted identity: active while its lease is. A v1 task token is never an active access token (use /v1/introspect for those).",
  request: {
    body: { content: { "application/x-www-form-urlencoded": { schema: TokenParamForm } }, required: true },
  },
  responses: {
    200: { description: "Token state", content: { "application/json": { schema: Introspection } } },
    ...oauthErrorResponses,
  },
});

export const registerOAuthIntrospect: OAuthRegistrar = (app, ctx, deps) => {
  const introspection = {
    issuer: deps.issuer,
    keys: ctx.signingKeys,
    clock: ctx.broker.clock,
    leases: ctx.store.leases,
  };
  // Documented, not validated by the OpenAPI layer: the parameters are read (repeats included) by RFC 6749's rules,
  // and refused as RFC 6749 errors.
  app.openAPIRegistry.registerPath(route);
  app.post(
    route.path,
    oauthHandler(ctx.logger, async (c) => {
      const pairs = await formPairs(c);
      await endpointCaller(ctx, deps, c, pairs, `${deps.issuer}/oauth/introspect`);
      const token = single(pairs, "token");
      if (!token) throw new OAuthError("invalid_request", "token is required");
      return c.json(await introspectAccessToken(introspection, token), 200, NO_STORE);
    }),
  );
};
