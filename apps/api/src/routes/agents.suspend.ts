import { createRoute, z } from "@hono/zod-openapi";
import { liftSuspension, suspendAgent } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses } from "../schemas.js";

const AgentParam = z.object({
  agent: z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name: "agent", in: "path" }, description: "The agent's id (URL-encoded)" }),
});

const Body = z
  .strictObject({
    reason: z.string().min(1).max(500),
    until: z.iso.datetime({ offset: true }).optional().openapi({
      description:
        "RFC 3339; when the suspension lifts by itself (audited agent.unsuspended). None: until lifted",
    }),
    include_delegated: z.boolean().optional().openapi({
      description:
        "Also revoke the leases of every task descending, at any depth, from the agent's tasks (its delegates'). Default true",
    }),
  })
  .openapi("AgentSuspend");

const Suspended = z
  .object({ agent: z.string(), suspended: z.literal(true), revoking: z.number().int() })
  .openapi("AgentSuspended");
const Lifted = z.object({ agent: z.string(), suspended: z.literal(false) }).openapi("AgentUnsuspended");

const suspend = createRoute({
  method: "post",
  path: "/v1/agents/{agent}/suspend",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Suspends an identity: from the acknowledgement on, every request it makes is 403 agent_suspended whatever its roles, and nothing is issued under any task descending from its tasks. Its live leases, and unless include_delegated is false its delegates', are revoked (cause agent_suspended) in the same step. While suspended, a POST replaces reason and until and revokes whatever is live. Task states are unchanged.",
  request: {
    params: AgentParam,
    body: { content: { "application/json": { schema: Body } }, required: true },
  },
  responses: {
    202: {
      description: "Suspended; its leases are being revoked",
      content: { "application/json": { schema: Suspended } },
    },
    ...errorResponses,
  },
});

const lift = createRoute({
  method: "delete",
  path: "/v1/agents/{agent}/suspend",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Lifts the suspension (audited agent.unsuspended); nothing revoked comes back. Answers the same when the agent was not suspended.",
  request: { params: AgentParam },
  responses: {
    200: { description: "Not suspended", content: { "application/json": { schema: Lifted } } },
    ...errorResponses,
  },
});

export const registerAgentsSuspend: RouteRegistrar = (app, ctx) => {
  app.openapi(suspend, async (c) => {
    const body = c.req.valid("json");
    const out = await suspendAgent(ctx.broker, c.get("identity"), {
      agent: c.req.valid("param").agent,
      reason: body.reason,
      until: body.until === undefined ? undefined : Date.parse(body.until),
      includeDelegated: body.include_delegated,
    });
    return c.json(out, 202);
  });
  app.openapi(lift, async (c) => {
    return c.json(await liftSuspension(ctx.broker, c.get("identity"), c.req.valid("param").agent), 200);
  });
};
