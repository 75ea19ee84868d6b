import { createRoute } from "@hono/zod-openapi";
import { getLease, returnLease } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { bearer, errorResponses, IdParam, LeaseView, leaseView } from "../schemas.js";

const get = createRoute({
  method: "get",
  path: "/v1/leases/{id}",
  tags: ["leases"],
  security: bearer,
  description: "A lease, never its secret: visible to the agent that holds it and to the security team.",
  request: { params: IdParam },
  responses: {
    200: { description: "The lease", content: { "application/json": { schema: LeaseView } } },
    ...errorResponses,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/leases/{id}",
  tags: ["leases"],
  security: bearer,
  description: "The agent returns a credential early (or the security team revokes one lease). Idempotent.",
  request: { params: IdParam },
  responses: {
    202: { description: "Revocation scheduled", content: { "application/json": { schema: LeaseView } } },
    ...errorResponses,
  },
});

export const registerLeasesGet: RouteRegistrar = (app, ctx) => {
  app.openapi(get, async (c) => {
    const lease = await getLease(ctx.broker, c.get("identity"), c.req.valid("param").id);
    return c.json(leaseView(lease, ctx.broker.clock.now()), 200);
  });
  app.openapi(remove, async (c) => {
    const lease = await returnLease(ctx.broker, c.get("identity"), c.req.valid("param").id);
    return c.json(leaseView(lease, ctx.broker.clock.now()), 202);
  });
};
