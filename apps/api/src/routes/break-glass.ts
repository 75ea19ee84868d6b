import { createRoute, z } from "@hono/zod-openapi";
import { Ceiling, openBreakGlass } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses } from "../schemas.js";

const Body = z
  .strictObject({
    task_id: z.string().min(1).max(128),
    justification: z.string().min(10, "say why, in at least 10 characters").max(2000),
    ttl_seconds: z.number().int().min(1),
    ceiling: Ceiling,
  })
  .openapi("BreakGlassCreate");

const View = z
  .object({
    id: z.string(),
    task_id: z.string(),
    ceiling: Ceiling,
    opened_by: z.string(),
    expires_at: z.string(),
  })
  .openapi("BreakGlass");

const route = createRoute({
  method: "post",
  path: "/v1/break-glass",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Temporarily widens a task's ceiling (capped by LEASH_BREAK_GLASS_MAX_SECONDS, never past the task deadline). Leases issued under it are marked break_glass and audited as warnings; another call is a new, separately audited act.",
  request: { body: { content: { "application/json": { schema: Body } }, required: true } },
  responses: {
    201: { description: "Opened", content: { "application/json": { schema: View } } },
    ...errorResponses,
  },
});

export const registerBreakGlass: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const grant = await openBreakGlass(ctx.broker, c.get("identity"), {
      taskId: body.task_id,
      justification: body.justification,
      ttlSeconds: body.ttl_seconds,
      ceiling: body.ceiling,
    });
    return c.json(
      {
        id: grant.id,
        task_id: grant.taskId,
        ceiling: grant.ceiling,
        opened_by: grant.openedBy,
        expires_at: new Date(grant.expiresAt).toISOString(),
      },
      201,
    );
  });
};
