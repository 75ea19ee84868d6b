import { createRoute, z } from "@hono/zod-openapi";
import { LeaseState, ProviderName } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses, LeaseList, leaseView } from "../schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/leases",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Leases, newest first, filtered (`target` = a role ARN, Vault role or other provider target: who holds what on it); page with `cursor` = the previous page's `next_cursor`. A sparse filter may answer a short page with a `next_cursor`: go on until it is null.",
  request: {
    query: z.strictObject({
      agent: z.string().min(1).optional(),
      task_id: z.string().min(1).optional(),
      provider: ProviderName.optional(),
      target: z.string().min(1).max(2048).optional(),
      state: LeaseState.optional(),
      cursor: z.string().min(1).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: { description: "A page of leases", content: { "application/json": { schema: LeaseList } } },
    ...errorResponses,
  },
});

export const registerLeasesList: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    // One instant for the filter and the view, so `state=active` never lists a lease shown as expired.
    const now = ctx.broker.clock.now();
    const page = await ctx.store.leases.list({
      agent: q.agent,
      taskId: q.task_id,
      provider: q.provider,
      target: q.target,
      state: q.state,
      at: now,
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json({ items: page.items.map((l) => leaseView(l, now)), next_cursor: page.nextCursor }, 200);
  });
};
