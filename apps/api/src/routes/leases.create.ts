import { createRoute, z } from "@hono/zod-openapi";
import { issueLease, LeashError } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { issuedView } from "../issued-view.js";
import { observeIssue } from "../observe-issue.js";
import { bearer, errorResponses, LeaseCreateBody, LeaseCreated, PendingApproval } from "../schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/leases",
  tags: ["leases"],
  security: bearer,
  description:
    "An agent asks for a credential for one intent of one of its tasks. `Idempotency-Key` makes a retry return the same lease.",
  request: {
    headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional() }),
    body: { content: { "application/json": { schema: LeaseCreateBody } }, required: true },
  },
  responses: {
    201: { description: "Issued", content: { "application/json": { schema: LeaseCreated } } },
    200: {
      description: "Replay of an earlier request with the same Idempotency-Key",
      content: { "application/json": { schema: LeaseCreated } },
    },
    202: {
      description: "Step-up: a person must approve first; retry the same request (or redeem) after approval",
      content: { "application/json": { schema: PendingApproval } },
    },
    ...errorResponses,
  },
});

export const registerLeasesCreate: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const caller = c.get("identity");
    if (!caller.roles.has("agent"))
      throw new LeashError("forbidden", "asking for a credential needs the agent role");
    const body = c.req.valid("json");
    const outcome = await observeIssue(ctx, body.provider, () =>
      issueLease(
        ctx.broker,
        caller,
        {
          taskId: body.task_id,
          provider: body.provider,
          target: body.target,
          intent: body.intent,
          ttlSeconds: body.ttl_seconds,
        },
        c.req.valid("header")["idempotency-key"],
        // A replay waiting for the first request's mint stops waiting when its client goes away.
        { signal: c.req.raw.signal },
      ),
    );
    c.header("cache-control", "no-store");
    const view = issuedView(outcome);
    if (view.status === 202) return c.json(view.body, 202);
    return view.status === 200 ? c.json(view.body, 200) : c.json(view.body, 201);
  });
};
