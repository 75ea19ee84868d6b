import { createRoute, z } from "@hono/zod-openapi";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses, LeaseView, leaseView } from "../schemas.js";

const Exposure = z
  .object({
    agent: z.string(),
    count: z.number().int(),
    by_provider: z.record(z.string(), z.number().int()),
    live: z.array(LeaseView),
  })
  .openapi("Exposure");

const route = createRoute({
  method: "get",
  path: "/v1/agents/{agent}/exposure",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "The agent's blast radius now: every live lease with provider, target, scope and expiry (URL-encode the agent id).",
  request: {
    params: z.object({
      agent: z
        .string()
        .min(1)
        .max(512)
        .openapi({ param: { name: "agent", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "Live leases", content: { "application/json": { schema: Exposure } } },
    ...errorResponses,
  },
});

export const registerExposure: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const agent = c.req.valid("param").agent;
    // Live = possibly working at a provider: a lease past its expiry stays listed (as `expired`, unconfirmed)
    // until the worker has ended it.
    const now = ctx.broker.clock.now();
    const live = (await ctx.store.leases.selectLive({ agent })).sort((a, b) => a.expiresAt - b.expiresAt);
    const byProvider: Record<string, number> = {};
    for (const l of live) byProvider[l.provider] = (byProvider[l.provider] ?? 0) + 1;
    return c.json({ agent, count: live.length, by_provider: byProvider, live: live.map((l) => leaseView(l, now)) }, 200);
  });
};
