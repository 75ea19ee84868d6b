import { createRoute, z } from "@hono/zod-openapi";
import { type BreakGlass, Ceiling, closeBreakGlass, openBreakGlass } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses, IdParam } from "../schemas.js";

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
    opened_at: z.string(),
    expires_at: z.string(),
    state: z.enum(["open", "closed", "expired"]),
    closed_by: z.string().nullable(),
    closed_at: z.string().nullable(),
  })
  .openapi("BreakGlass");

const Closed = View.extend({
  revoking: z
    .number()
    .int()
    .openapi({ description: "Live leases issued under the grant, now being revoked" }),
}).openapi("BreakGlassClosed");

const route = createRoute({
  method: "post",
  path: "/v1/break-glass",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Temporarily widens a task's ceiling (capped by LEASH_BREAK_GLASS_MAX_SECONDS, never past the task deadline). Leases that need it are marked break_glass, audited as warnings, and end no later than the grant (DELETE /v1/break-glass/{id} ends it early); another call is a new, separately audited act.",
  request: { body: { content: { "application/json": { schema: Body } }, required: true } },
  responses: {
    201: { description: "Opened", content: { "application/json": { schema: View } } },
    ...errorResponses,
  },
});

const close = createRoute({
  method: "delete",
  path: "/v1/break-glass/{id}",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Closes a grant before its time: it widens nothing from now on, and every live lease issued under it is revoked (cause break_glass_ended); the task's other leases keep running. Idempotent. A grant that already expired is answered with state expired and nothing revoked.",
  request: { params: IdParam },
  responses: {
    202: {
      description: "Closed; its leases are being revoked",
      content: { "application/json": { schema: Closed } },
    },
    ...errorResponses,
  },
});

function view(grant: BreakGlass, now: number): z.infer<typeof View> {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    id: grant.id,
    task_id: grant.taskId,
    ceiling: grant.ceiling,
    opened_by: grant.openedBy,
    opened_at: new Date(grant.openedAt).toISOString(),
    expires_at: new Date(grant.expiresAt).toISOString(),
    state: grant.closedAt !== undefined ? "closed" : grant.expiresAt <= now ? "expired" : "open",
    closed_by: grant.closedBy ?? null,
    closed_at: iso(grant.closedAt),
  };
}

export const registerBreakGlass: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const grant = await openBreakGlass(ctx.broker, c.get("identity"), {
      taskId: body.task_id,
      justification: body.justification,
      ttlSeconds: body.ttl_seconds,
      ceiling: body.ceiling,
    });
    return c.json(view(grant, ctx.broker.clock.now()), 201);
  });
  app.openapi(close, async (c) => {
    const closed = await closeBreakGlass(ctx.broker, c.get("identity"), c.req.valid("param").id);
    return c.json({ ...view(closed.grant, ctx.broker.clock.now()), revoking: closed.revoking }, 202);
  });
};
