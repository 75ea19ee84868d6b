import { createRoute } from "@hono/zod-openapi";
import { isLive, OAuthError, returnLease } from "@leash/core";
import { verifyAccessToken } from "@leash/providers";
import { endpointCaller } from "../oauth/caller.js";
import { NO_STORE, oauthHandler } from "../oauth/errors.js";
import { formPairs, single } from "../oauth/form.js";
import { oauthErrorResponses, TokenParamForm } from "../oauth/schemas.js";
import { bearer } from "../schemas.js";
import type { OAuthRegistrar } from "./oauth.js";

const route = createRoute({
  method: "post",
  path: "/oauth/revoke",
  tags: ["oauth"],
  security: bearer,
  description:
    "RFC 7009: an agent ends one of its own access tokens (its lease ends with cause `returned`). Answers 200 whatever the token was (someone else's, unknown, already ended: nothing revoked).",
  request: {
    body: { content: { "application/x-www-form-urlencoded": { schema: TokenParamForm } }, required: true },
  },
  responses: { 200: { description: "Done (or nothing to do)" }, ...oauthErrorResponses },
});

export const registerOAuthRevoke: OAuthRegistrar = (app, ctx, deps) => {
  const keys = { issuer: deps.issuer, keys: ctx.signingKeys, clock: ctx.broker.clock };
  // Documented, not validated by the OpenAPI layer: the parameters are read (repeats included) by RFC 6749's rules,
  // and refused as RFC 6749 errors.
  app.openAPIRegistry.registerPath(route);
  app.post(
    route.path,
    oauthHandler(ctx.logger, async (c) => {
      const pairs = await formPairs(c);
      const caller = await endpointCaller(ctx, deps, c, pairs, `${deps.issuer}/oauth/revoke`);
      const token = single(pairs, "token");
      if (!token) throw new OAuthError("invalid_request", "token is required");
      const verified = await verifyAccessToken(keys, token);
      const lease = verified ? await ctx.store.leases.get(verified.payload.jti) : null;
      // RFC 7009 §2.2: the answer is the same whether anything was revoked, so tokens cannot be probed.
      if (lease?.provider === "oauth" && lease.agent === caller.subject && isLive(lease.state))
        await returnLease(ctx.broker, caller, lease.id);
      return c.body(null, 200, NO_STORE);
    }),
  );
};
