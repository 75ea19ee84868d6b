import { createRoute, z } from "@hono/zod-openapi";
import { OAuthError } from "@leash/core";
import { isFeedCursor } from "@leash/store";
import { NO_STORE, oauthHandler } from "../oauth/errors.js";
import { oauthErrorResponses } from "../oauth/schemas.js";
import type { OAuthRegistrar } from "./oauth.js";

const MAX_LIMIT = 1000;

const Revocations = z
  .object({
    revoked: z.array(z.object({ jti: z.string(), exp: z.number().int() })),
    cursor: z.string(),
    has_more: z.boolean(),
  })
  .openapi("RevokedTokens");

const route = createRoute({
  method: "get",
  path: "/oauth/revocations",
  tags: ["oauth"],
  description:
    "The access tokens that ended before their `exp`, in the order they ended, for resource servers that verify tokens locally (advertised as `leash_revoked_tokens_endpoint`). Open, like a revocation list: token ids and expiries only, never an audience, subject, task or token. `after` is the `cursor` of an earlier answer; `has_more` says to ask again at once. Entries stay until 30 s after their `exp`.",
  request: {
    query: z.object({
      after: z.string().optional(),
      limit: z
        .string()
        .optional()
        .openapi({ description: `1 to ${MAX_LIMIT} (default ${MAX_LIMIT})` }),
    }),
  },
  responses: {
    200: {
      description: "Entries after the cursor",
      content: { "application/json": { schema: Revocations } },
    },
    ...oauthErrorResponses,
  },
});

function limitOf(text: string | undefined): number {
  if (text === undefined) return MAX_LIMIT;
  const limit = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT))
    throw new OAuthError("invalid_request", `limit must be 1 to ${MAX_LIMIT}`);
  return limit;
}

export const registerOAuthRevocations: OAuthRegistrar = (app, ctx) => {
  app.openapi(
    route,
    oauthHandler(ctx.logger, async (c) => {
      const { after } = c.req.query();
      if (after !== undefined && !isFeedCursor(after))
        throw new OAuthError("invalid_request", "after must be a cursor of an earlier answer");
      const page = await ctx.store.oauthRevocations.read(after ?? null, limitOf(c.req.query("limit")));
      // The entry's `aud` stays in the store: an anonymous reader learns no resource server from the feed.
      const revoked = page.items.map(({ jti, exp }) => ({ jti, exp }));
      return c.json({ revoked, cursor: page.cursor, has_more: page.more }, 200, NO_STORE);
    }),
  );
};
