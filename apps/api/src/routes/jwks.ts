import { createRoute, z } from "@hono/zod-openapi";
import type { RouteRegistrar } from "../context.js";

const route = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["tools"],
  description:
    "Public keys of Leash task tokens: the current signing key and the previous ones, so rotation does not break verifiers.",
  responses: {
    200: {
      description: "JWK set",
      content: {
        "application/json": { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
      },
    },
  },
});

export const registerJwks: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const { jwks } = await ctx.signingKeys.current();
    c.header("cache-control", "public, max-age=60");
    return c.json({ keys: jwks.keys as Record<string, unknown>[] }, 200);
  });
};
